from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

MM = (6, 1)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    optics_kind = fields.Selection(
        [
            ("lens", "Spectacle Lens"),
            ("frame", "Frame"),
            ("contact_lens", "Contact Lens"),
            ("accessory", "Accessory"),
        ],
        index=True,
    )
    # Lens
    lens_design = fields.Selection(
        [
            ("single_vision", "Single Vision"),
            ("bifocal", "Bifocal"),
            ("progressive", "Progressive"),
            ("office", "Office"),
        ],
    )
    lens_index = fields.Float("Refractive Index", digits=(4, 3))
    lens_material = fields.Selection(
        [
            ("mineral", "Mineral Glass"),
            ("cr39", "CR-39"),
            ("polycarbonate", "Polycarbonate"),
            ("trivex", "Trivex"),
            ("high_index", "High-Index Plastic"),
        ],
    )
    lens_coating_ids = fields.Many2many("optics.lens.coating", string="Coatings")
    lens_range_ids = fields.One2many("optics.lens.range", "product_tmpl_id", "Power Ranges")
    lens_range_count = fields.Integer("Range Count", compute="_compute_lens_range_count")
    # Frame (boxing system, ISO 8624)
    frame_a = fields.Float("Box Width A", digits=MM, help="Horizontal box size, mm.")
    frame_b = fields.Float("Box Height B", digits=MM, help="Vertical box size, mm.")
    frame_dbl = fields.Float("Bridge DBL", digits=MM, help="Distance between lenses, mm.")
    frame_ed = fields.Float("Effective Diameter ED", digits=MM, help="mm.")
    frame_temple_length = fields.Float("Temple Length", digits=MM, help="mm.")
    frame_type = fields.Selection(
        [("full_rim", "Full Rim"), ("semi_rimless", "Semi-Rimless"), ("rimless", "Rimless")]
    )
    frame_material = fields.Selection(
        [
            ("plastic", "Plastic"),
            ("metal", "Metal"),
            ("optyl", "Optyl"),
            ("titanium", "Titanium"),
            ("other", "Other Material"),
        ],
    )

    def _compute_lens_range_count(self):
        for template in self:
            template.lens_range_count = len(template.lens_range_ids)

    @api.constrains("optics_kind", "frame_a", "frame_b", "frame_dbl", "frame_ed")
    def _check_frame_sizes(self):
        for template in self.filtered(lambda t: t.optics_kind == "frame"):
            sizes = (template.frame_a, template.frame_b, template.frame_dbl, template.frame_ed)
            if any(size < 0 for size in sizes):
                raise ValidationError(_("Frame %s: box sizes cannot be negative.", template.name))
            if template.frame_ed and template.frame_ed < template.frame_a:
                raise ValidationError(
                    _(
                        "Frame %s: the effective diameter ED cannot be smaller than"
                        " the box width A.",
                        template.name,
                    )
                )
