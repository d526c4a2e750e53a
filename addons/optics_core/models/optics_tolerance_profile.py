from odoo import fields, models

from ..optics_math import tolerance_for


class OpticsToleranceProfile(models.Model):
    _name = "optics.tolerance.profile"
    _description = "Lens Tolerance Profile"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    standard = fields.Char(help="Standard the table comes from, e.g. ANSI Z80.1-2020.")
    active = fields.Boolean(default=True)
    line_ids = fields.One2many("optics.tolerance.line", "profile_id", "Tolerances", copy=True)

    def _tolerance(self, quantity, reference):
        """Allowed deviation for quantity at this reference power (None: not checked)."""
        self.ensure_one()
        lines = [
            (line.quantity, line.power_from, line.power_to, line.tolerance_abs, line.tolerance_pct)
            for line in self.line_ids.sorted(lambda line: (line.quantity, line.power_from))
        ]
        return tolerance_for(lines, quantity, reference)
