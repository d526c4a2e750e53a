from odoo import fields, models

QUANTITIES = [
    ("sphere", "Sphere"),
    ("cylinder", "Cylinder"),
    ("axis", "Axis"),
    ("addition", "Addition"),
    ("prism_horizontal", "Horizontal Prism"),
    ("prism_vertical", "Vertical Prism"),
    ("centre_horizontal", "Horizontal Centration (PD)"),
    ("height", "Vertical Centration (Height)"),
]
DESIGNS = [
    ("all", "All Lenses"),
    ("single_vision", "Single Vision"),
    ("progressive", "Progressive"),
]
RANGE_HELP = "A line applies when its from < the value <= its to; a range from 0 also takes 0."


class OpticsToleranceLine(models.Model):
    """One cell of a standard's tolerance table.

    Three ranges select the line, so that two-dimensional tables (ISO 8980-1
    cylinder by meridian power and cylinder) fit: the power of the principal
    meridian of highest absolute power, the cylinder, and the quantity's own
    nominal value (addition, prescribed prism).
    """

    _name = "optics.tolerance.line"
    _description = "Lens Tolerance"
    _order = "profile_id, design, quantity, meridian_from, cylinder_from, value_from"

    profile_id = fields.Many2one(
        "optics.tolerance.profile", required=True, ondelete="cascade", index=True
    )
    design = fields.Selection(
        DESIGNS,
        "Lens Design",
        required=True,
        default="all",
        help="Lines for the lens's own design win over lines for all lenses.",
    )
    quantity = fields.Selection(QUANTITIES, required=True)
    meridian_from = fields.Float(
        digits=(6, 3),
        help="Power of the principal meridian of highest absolute power, D. " + RANGE_HELP,
    )
    meridian_to = fields.Float(digits=(6, 3), default=99.0)
    cylinder_from = fields.Float(digits=(6, 3), help="Cylinder, D (absolute). " + RANGE_HELP)
    cylinder_to = fields.Float(digits=(6, 3), default=99.0)
    value_from = fields.Float(
        digits=(6, 3),
        help="The quantity's nominal value: the addition, or the prescribed prism. " + RANGE_HELP,
    )
    value_to = fields.Float(digits=(6, 3), default=99.0)
    tolerance_abs = fields.Float(
        "Tolerance",
        digits=(6, 3),
        help="Allowed deviation: dioptres, prism dioptres, degrees for the axis, "
        "mm for centration.",
    )
    tolerance_pct = fields.Float(
        "Tolerance (% of Value)",
        digits=(5, 2),
        help="Added to the tolerance: this percentage of the ordered value.",
    )
    tolerance_per_dioptre = fields.Float(
        "Tolerance per Dioptre",
        digits=(6, 3),
        help="Added to the tolerance: this much per dioptre of the meridian of highest "
        "absolute power (ISO 8980-1 prism tolerances).",
    )

    def _as_dict(self):
        return [
            {
                name: line[name]
                for name in (
                    "quantity",
                    "design",
                    "meridian_from",
                    "meridian_to",
                    "cylinder_from",
                    "cylinder_to",
                    "value_from",
                    "value_to",
                    "tolerance_abs",
                    "tolerance_pct",
                    "tolerance_per_dioptre",
                )
            }
            for line in self
        ]
