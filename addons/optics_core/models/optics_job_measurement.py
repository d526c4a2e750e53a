from odoo import _, _lt, api, fields, models

from ..optics_math import deviation as value_deviation
from ..optics_math import to_decimal
from .optics_prescription import EYE_LABELS
from .optics_tolerance_line import DESIGNS, QUANTITIES

PRISM_BASES = [("in", "In"), ("out", "Out"), ("up", "Up"), ("down", "Down")]
BASE_WORDS = {
    "in": _lt("base in"),
    "out": _lt("base out"),
    "up": _lt("base up"),
    "down": _lt("base down"),
}
# A value with its unit, so that the unit is translated with it.
UNITS = {
    "sphere": _lt("%s D"),
    "cylinder": _lt("%s D"),
    "addition": _lt("%s D"),
    "axis": _lt("%s°"),
    "prism_horizontal": _lt("%s Δ"),
    "prism_vertical": _lt("%s Δ"),
    "centre_horizontal": _lt("%s mm"),
    "height": _lt("%s mm"),
}


class OpticsJobMeasurement(models.Model):
    """One value measured on a finished lens during the quality check."""

    _name = "optics.job.measurement"
    _description = "Glasses Job Measurement"
    _order = "production_id, eye, id"

    production_id = fields.Many2one(
        "mrp.production", "Glasses Job", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="production_id.company_id", store=True)
    eye = fields.Selection([("od", "Right (OD)"), ("os", "Left (OS)")], required=True)
    quantity = fields.Selection(QUANTITIES, required=True)
    design = fields.Selection(
        [item for item in DESIGNS if item[0] != "all"],
        "Lens Design",
        required=True,
        default="single_vision",
        help="Selects the progressive or the single-vision table of the profile.",
    )
    ordered = fields.Float(digits=(6, 3), required=True)
    ordered_base = fields.Selection(PRISM_BASES, help="Prism lines only.")
    reference_meridian = fields.Float(
        "Highest Meridian",
        digits=(6, 3),
        help="Power of the principal meridian of highest absolute power, D.",
    )
    reference_cylinder = fields.Float(digits=(6, 3))
    reference_value = fields.Float(digits=(6, 3), help="Nominal addition or prescribed prism.")
    measured = fields.Float(digits=(6, 3))
    measured_base = fields.Selection(
        PRISM_BASES, help="Base of the measured prism (prism lines only)."
    )
    is_measured = fields.Boolean("Read", help="Tick once the value has been measured.")
    tolerance = fields.Float(digits=(6, 3), compute="_compute_result", store=True)
    is_checked = fields.Boolean(
        "Checked", compute="_compute_result", store=True, help="The profile has a tolerance for it."
    )
    deviation = fields.Float(digits=(6, 3), compute="_compute_result", store=True)
    passed = fields.Boolean(compute="_compute_result", store=True)

    @api.depends(
        "ordered",
        "ordered_base",
        "measured",
        "measured_base",
        "reference_meridian",
        "reference_cylinder",
        "reference_value",
        "design",
        "is_measured",
        "production_id.optics_tolerance_profile_id",
    )
    def _compute_result(self):
        for line in self:
            profile = line.production_id.optics_tolerance_profile_id
            references = {
                "meridian": line.reference_meridian,
                "cylinder": line.reference_cylinder,
                "value": line.reference_value,
                "ordered": line.ordered,
            }
            tolerance = (
                profile._tolerance(line.quantity, line.design, references) if profile else None
            )
            off = value_deviation(
                line.quantity,
                line._signed(line.ordered, line.ordered_base),
                line._signed(line.measured, line.measured_base),
            )
            line.is_checked = tolerance is not None
            line.tolerance = float(tolerance) if tolerance is not None else 0.0
            line.deviation = float(off) if line.is_measured else 0.0
            line.passed = line.is_measured and (tolerance is None or off <= tolerance)

    def _signed(self, value, base):
        """A prism as a signed component: base in and base up are positive."""
        value = to_decimal(value)
        return -value if base in ("out", "down") else value

    def _failure_message(self):
        """Which value failed and by how much, in the user's language."""
        self.ensure_one()
        quantities = dict(self._fields["quantity"]._description_selection(self.env))
        # str() here: a lazy term takes its language from the calling method
        unit = str(UNITS[self.quantity])
        bases = {}
        for key, word in BASE_WORDS.items():  # not a comprehension: it has a frame of its own
            bases[key] = str(word)

        def shown(value, base=None):
            text = format(to_decimal(value).normalize(), "f")
            return f"{text} {bases[base]}" if base else text

        return _(
            "%(eye)s: %(quantity)s measured %(measured)s, ordered %(ordered)s: off by "
            "%(deviation)s, allowed %(tolerance)s.",
            eye=str(EYE_LABELS[self.eye]),
            quantity=quantities[self.quantity],
            measured=shown(self.measured, self.measured_base),
            ordered=shown(self.ordered, self.ordered_base),
            deviation=unit % shown(self.deviation),
            tolerance=unit % shown(self.tolerance),
        )
