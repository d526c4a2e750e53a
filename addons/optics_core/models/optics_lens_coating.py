from odoo import fields, models


class OpticsLensCoating(models.Model):
    _name = "optics.lens.coating"
    _description = "Lens Coating"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Short code used on lab orders.")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [
            ("anti_reflective", "Anti-Reflective"),
            ("hard", "Hard Coat"),
            ("blue_light", "Blue Light Filter"),
            ("photochromic", "Photochromic"),
            ("polarized", "Polarized"),
            ("tint", "Tint"),
            ("other", "Other"),
        ],
        required=True,
        default="anti_reflective",
    )
    active = fields.Boolean(default=True)
