from odoo import fields, models

QUANTITIES = [
    ("sphere", "Sphere"),
    ("cylinder", "Cylinder"),
    ("axis", "Axis"),
    ("addition", "Addition"),
    ("prism", "Prism"),
    ("height", "Segment/Fitting Height"),
]


class OpticsToleranceLine(models.Model):
    _name = "optics.tolerance.line"
    _description = "Lens Tolerance"
    _order = "profile_id, quantity, power_from"

    profile_id = fields.Many2one(
        "optics.tolerance.profile", required=True, ondelete="cascade", index=True
    )
    quantity = fields.Selection(QUANTITIES, required=True)
    power_from = fields.Float(
        digits=(6, 2),
        help="Lower bound of the power that selects this line: the highest "
        "meridian for sphere, the cylinder for cylinder and axis, the addition for addition.",
    )
    power_to = fields.Float(digits=(6, 2), default=99.0)
    tolerance_abs = fields.Float(
        "Tolerance",
        digits=(6, 2),
        help="Allowed deviation in dioptres (degrees for the axis, mm for heights).",
    )
    tolerance_pct = fields.Float(
        "Tolerance (%)",
        digits=(5, 2),
        help="When set, the tolerance is this percentage of the power instead.",
    )
