"""The tolerance profiles against the standards' tables: at each break point and
just beyond it, a value off by the tolerance passes and one off by a little more
fails, for each standard and lens design."""

from decimal import Decimal

from odoo.tests import TransactionCase, tagged

from ..optics_math import within_tolerance

ANSI, ISO = "optics_core.tolerance_ansi_z80_1", "optics_core.tolerance_iso_8980"
SV, PAL = "single_vision", "progressive"

# (profile, quantity, design, meridian, cylinder, nominal value, ordered, tolerance or None)
CASES = [
    # ANSI Z80.1 single vision: sphere 0.13 D to 6.50 D, then 2 % of the power
    (ANSI, "sphere", SV, "0", "0", "0", "0", "0.13"),
    (ANSI, "sphere", SV, "6.5", "0", "0", "-6.5", "0.13"),
    (ANSI, "sphere", SV, "6.625", "0", "0", "-6.625", "0.1325"),
    (ANSI, "sphere", SV, "10", "0", "0", "10", "0.2"),
    # cylinder 0.13 D to 2.00 D, 0.15 D to 4.50 D, then 4 %
    (ANSI, "cylinder", SV, "2", "2", "0", "-2", "0.13"),
    (ANSI, "cylinder", SV, "2.125", "2.125", "0", "-2.125", "0.15"),
    (ANSI, "cylinder", SV, "4.5", "4.5", "0", "-4.5", "0.15"),
    (ANSI, "cylinder", SV, "4.625", "4.625", "0", "-4.625", "0.185"),
    # ANSI Z80.1 progressive: sphere 0.16 D to 8.00 D, then 2 %
    (ANSI, "sphere", PAL, "8", "0", "0", "8", "0.16"),
    (ANSI, "sphere", PAL, "8.125", "0", "0", "8.125", "0.1625"),
    # cylinder 0.16 D to 2.00 D, 0.18 D to 3.50 D, then 5 %
    (ANSI, "cylinder", PAL, "2", "2", "0", "-2", "0.16"),
    (ANSI, "cylinder", PAL, "2.125", "2.125", "0", "-2.125", "0.18"),
    (ANSI, "cylinder", PAL, "3.5", "3.5", "0", "-3.5", "0.18"),
    (ANSI, "cylinder", PAL, "3.625", "3.625", "0", "-3.625", "0.18125"),
    # axis, both designs: not defined below 0.12 D, then 14, 7, 5, 3, 2 degrees
    (ANSI, "axis", SV, "1", "0.1", "0", "90", None),
    (ANSI, "axis", SV, "1", "0.125", "0", "90", "14"),
    (ANSI, "axis", PAL, "1", "0.25", "0", "90", "14"),
    (ANSI, "axis", SV, "1", "0.375", "0", "90", "7"),
    (ANSI, "axis", SV, "1", "0.5", "0", "90", "7"),
    (ANSI, "axis", SV, "1", "0.625", "0", "90", "5"),
    (ANSI, "axis", PAL, "1", "0.75", "0", "90", "5"),
    (ANSI, "axis", SV, "1", "0.875", "0", "90", "3"),
    (ANSI, "axis", SV, "2", "1.5", "0", "90", "3"),
    (ANSI, "axis", SV, "2", "1.625", "0", "90", "2"),
    # addition: 0.12 D to 4.00 D, then 0.18 D
    (ANSI, "addition", PAL, "1", "0", "4", "4", "0.12"),
    (ANSI, "addition", PAL, "1", "0", "4.25", "4.25", "0.18"),
    # prism at the reference point 0.33 up to 3.375 D; above, the centre within 1.0 mm
    (ANSI, "prism_horizontal", SV, "3.375", "0", "0", "0", "0.33"),
    (ANSI, "prism_vertical", PAL, "3.375", "0", "2", "2", "0.33"),
    (ANSI, "prism_horizontal", SV, "3.5", "0", "0", "0", None),
    (ANSI, "centre_horizontal", SV, "3.375", "0", "0", "31", None),
    (ANSI, "centre_horizontal", SV, "3.5", "0", "0", "31", "1"),
    (ANSI, "height", PAL, "1", "0", "0", "18", "1"),
    # ISO 8980-1/-2 table 1 (the grid below) starting at plano
    (ISO, "sphere", SV, "0", "0", "0", "0", "0.12"),
    (ISO, "cylinder", PAL, "0.25", "0.25", "0", "-0.25", "0.12"),
    # ISO axis: 16, 9, 6, 4, 3 degrees
    (ISO, "axis", SV, "1", "0.1", "0", "10", None),
    (ISO, "axis", SV, "1", "0.25", "0", "10", "16"),
    (ISO, "axis", PAL, "1", "0.375", "0", "10", "9"),
    (ISO, "axis", SV, "1", "0.5", "0", "10", "9"),
    (ISO, "axis", SV, "1", "0.625", "0", "10", "6"),
    (ISO, "axis", PAL, "1", "0.75", "0", "10", "6"),
    (ISO, "axis", SV, "1", "0.875", "0", "10", "4"),
    (ISO, "axis", SV, "2", "1.5", "0", "10", "4"),
    (ISO, "axis", SV, "2", "1.625", "0", "10", "3"),
    (ISO, "addition", PAL, "1", "0", "4", "4", "0.12"),
    (ISO, "addition", PAL, "1", "0", "4.25", "4.25", "0.18"),
    # ISO prism: 0.25 / 0.37 / 0.50 plus 0.1 (horizontal) or 0.05 (vertical) per dioptre
    (ISO, "prism_horizontal", SV, "4", "0", "2", "2", "0.65"),
    (ISO, "prism_vertical", SV, "4", "0", "2", "0", "0.45"),
    (ISO, "prism_horizontal", PAL, "4", "0", "2.25", "2", "0.77"),
    (ISO, "prism_vertical", SV, "4", "0", "2.25", "1", "0.57"),
    (ISO, "prism_horizontal", SV, "0", "0", "10", "10", "0.37"),
    (ISO, "prism_horizontal", SV, "0", "0", "10.25", "10.25", "0.5"),
    (ISO, "prism_vertical", SV, "10", "0", "10.25", "0", "1"),
    # ISO 8980 has no centration in mm for uncut lenses: judged as prism
    (ISO, "centre_horizontal", SV, "5", "0", "0", "31", None),
    (ISO, "height", PAL, "5", "0", "0", "18", None),
]

# ISO 8980-1 (single vision) and ISO 8980-2 (progressive) table 1, as the standards print
# them: row limits of the meridian of highest absolute power with tolerance A on each
# meridian, column limits of the cylinder, and tolerance B of each cell.
ISO_TABLES = {
    SV: (
        [
            ("3", "0.12"),
            ("6", "0.12"),
            ("9", "0.12"),
            ("12", "0.18"),
            ("20", "0.25"),
            (None, "0.37"),
        ],
        ["0.5", "2", "4", None],
        [
            ["0.09", "0.12", "0.18", "0.25"],
            ["0.12", "0.12", "0.18", "0.25"],
            ["0.12", "0.18", "0.18", "0.25"],
            ["0.12", "0.18", "0.25", "0.25"],
            ["0.18", "0.25", "0.25", "0.25"],
            ["0.25", "0.25", "0.37", "0.37"],
        ],
    ),
    PAL: (
        [("6", "0.12"), ("9", "0.18"), ("12", "0.18"), ("20", "0.25"), (None, "0.37")],
        ["0.75", "4", "6", None],
        [
            ["0.12", "0.18", "0.18", "0.25"],
            ["0.18", "0.18", "0.18", "0.25"],
            ["0.18", "0.18", "0.25", "0.25"],
            ["0.25", "0.25", "0.25", "0.25"],
            ["0.25", "0.25", "0.37", "0.37"],
        ],
    ),
}
JUST_BEYOND = Decimal("0.125")  # the next eighth of a dioptre


def _iso_grid_cases():
    """At the upper limit of each row and column, and just beyond the lower one."""
    cases = []
    for design, (rows, columns, cells) in ISO_TABLES.items():
        lows = [Decimal(0)] + [Decimal(high) for high, _a in rows[:-1]]
        for (high, tolerance_a), low, cell_row in zip(rows, lows, cells):
            meridians = [low + JUST_BEYOND] + ([Decimal(high)] if high else [low + 5])
            for meridian in meridians:
                cases.append((ISO, "sphere", design, meridian, "0", "0", -meridian, tolerance_a))
                column_lows = [Decimal(0)] + [Decimal(c) for c in columns[:-1]]
                for column_high, column_low, tolerance_b in zip(columns, column_lows, cell_row):
                    cylinder_high = Decimal(column_high) if column_high else column_low + 2
                    for cylinder in (column_low + JUST_BEYOND, cylinder_high):
                        cases.append(
                            (
                                ISO,
                                "cylinder",
                                design,
                                meridian,
                                cylinder,
                                "0",
                                -cylinder,
                                tolerance_b,
                            )
                        )
    return cases


CASES += _iso_grid_cases()


@tagged("post_install", "-at_install")
class TestToleranceTables(TransactionCase):
    def test_tables(self):
        for profile, quantity, design, meridian, cylinder, value, ordered, expected in CASES:
            references = {
                "meridian": meridian,
                "cylinder": cylinder,
                "value": value,
                "ordered": ordered,
            }
            with self.subTest(profile=profile, quantity=quantity, design=design, **references):
                references = {key: str(value) for key, value in references.items()}
                tolerance = self.env.ref(profile)._tolerance(quantity, design, references)
                if expected is None:
                    self.assertIsNone(tolerance)
                    continue
                self.assertEqual(tolerance, Decimal(expected))
                step = Decimal(1) if quantity == "axis" else Decimal("0.01")
                ordered_value = Decimal(str(ordered))
                for sign in (1, -1):
                    at_limit = ordered_value + sign * tolerance
                    beyond = ordered_value + sign * (tolerance + step)
                    self.assertTrue(within_tolerance(quantity, ordered, at_limit, tolerance))
                    self.assertFalse(within_tolerance(quantity, ordered, beyond, tolerance))

    def test_every_line_is_reached_by_a_case(self):
        """No line of the standards' profiles is left without a case above."""
        reached = set()
        for profile, quantity, design, meridian, cylinder, value, _ordered, _tol in CASES:
            references = {"meridian": meridian, "cylinder": cylinder, "value": value}
            references = {key: str(value) for key, value in references.items()}
            lines = self.env.ref(profile).line_ids.filtered(
                lambda line, q=quantity, d=design: line.quantity == q and line.design in (d, "all")
            )
            for line in lines:
                in_ranges = all(
                    line[f"{key}_from"] < float(references[key]) <= line[f"{key}_to"]
                    or float(references[key]) == line[f"{key}_from"] == 0
                    for key in references
                )
                if in_ranges:
                    reached.add(line.id)
        every = (self.env.ref(ANSI) | self.env.ref(ISO)).line_ids
        self.assertEqual(every - every.browse(reached), every.browse())
