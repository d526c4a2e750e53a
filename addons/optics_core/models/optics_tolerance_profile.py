from odoo import fields, models

from ..optics_math import tolerance_for


class OpticsToleranceProfile(models.Model):
    _name = "optics.tolerance.profile"
    _description = "Lens Tolerance Profile"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    standard = fields.Char(help="Standard the tables come from, e.g. ANSI Z80.1-2020.")
    active = fields.Boolean(default=True)
    line_ids = fields.One2many("optics.tolerance.line", "profile_id", "Tolerances", copy=True)

    def _tolerance(self, quantity, design, references):
        """Allowed deviation (Decimal) of quantity for a lens of this design, or None
        when the profile does not check it; references as optics_math.tolerance_for."""
        self.ensure_one()
        return tolerance_for(self.line_ids._as_dict(), quantity, design, references)
