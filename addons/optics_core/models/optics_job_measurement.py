from odoo import api, fields, models

from ..optics_math import to_decimal, within_tolerance
from .optics_tolerance_line import QUANTITIES


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
    ordered = fields.Float(digits=(6, 3), required=True)
    reference = fields.Float(
        "Reference Power",
        digits=(6, 3),
        help="Power that selects the tolerance line (highest meridian, cylinder or addition).",
    )
    measured = fields.Float(digits=(6, 3))
    is_measured = fields.Boolean("Read", help="Tick once the value has been measured.")
    tolerance = fields.Float(digits=(6, 3), compute="_compute_result", store=True)
    passed = fields.Boolean(compute="_compute_result", store=True)

    @api.depends(
        "ordered",
        "measured",
        "reference",
        "is_measured",
        "production_id.optics_tolerance_profile_id",
    )
    def _compute_result(self):
        for line in self:
            profile = line.production_id.optics_tolerance_profile_id
            tolerance = profile._tolerance(line.quantity, line.reference) if profile else None
            line.tolerance = float(to_decimal(tolerance)) if tolerance is not None else 0.0
            line.passed = line.is_measured and within_tolerance(
                line.quantity, line.ordered, line.measured, tolerance
            )
