from odoo import _, api, fields, models

from ..optics_math import decentration, minimum_blank


class OpticsGlassesJobWizard(models.TransientModel):
    """Pick a frame and a lens per eye for a confirmed prescription."""

    _name = "optics.glasses.job.wizard"
    _description = "New Glasses Job"

    prescription_id = fields.Many2one("optics.prescription", required=True, readonly=True)
    partner_id = fields.Many2one(related="prescription_id.partner_id")
    company_id = fields.Many2one(related="prescription_id.company_id")
    frame_id = fields.Many2one(
        "product.product",
        required=True,
        domain="[('optics_kind', '=', 'frame'), ('company_id', 'in', [False, company_id])]",
    )
    pd_od = fields.Float("Far PD (OD)", digits=(6, 1))
    pd_os = fields.Float("Far PD (OS)", digits=(6, 1))
    height_od = fields.Float("Fitting Height (OD)", digits=(6, 1))
    height_os = fields.Float("Fitting Height (OS)", digits=(6, 1))
    min_blank_od = fields.Float("Minimum Blank (OD)", digits=(6, 1), compute="_compute_ranges")
    min_blank_os = fields.Float("Minimum Blank (OS)", digits=(6, 1), compute="_compute_ranges")
    allowed_range_od_ids = fields.Many2many(
        "optics.lens.range", compute="_compute_ranges", string="Right Lenses Available"
    )
    allowed_range_os_ids = fields.Many2many(
        "optics.lens.range", compute="_compute_ranges", string="Left Lenses Available"
    )
    range_od_id = fields.Many2one(
        "optics.lens.range",
        "Right Lens (OD)",
        required=True,
        domain="[('id', 'in', allowed_range_od_ids)]",
    )
    range_os_id = fields.Many2one(
        "optics.lens.range",
        "Left Lens (OS)",
        required=True,
        domain="[('id', 'in', allowed_range_os_ids)]",
    )

    @api.onchange("prescription_id")
    def _onchange_prescription_id(self):
        rx = self.prescription_id
        self.pd_od, self.pd_os = rx.pd_far_od, rx.pd_far_os
        self.height_od, self.height_os = rx.fitting_height_od, rx.fitting_height_os

    @api.depends("prescription_id", "frame_id", "pd_od", "pd_os")
    def _compute_ranges(self):
        """Lenses covering each eye's power and, once a frame is chosen, big enough."""
        for wizard in self:
            frame = wizard.frame_id
            for eye in ("od", "os"):
                needed = 0
                if frame.frame_a and wizard[f"pd_{eye}"]:
                    inset = decentration(frame.frame_a, frame.frame_dbl, wizard[f"pd_{eye}"])
                    needed = float(minimum_blank(frame.frame_ed, inset))
                wizard[f"min_blank_{eye}"] = needed
                wizard[f"allowed_range_{eye}_ids"] = (
                    wizard.prescription_id._matching_lens_ranges(eye, min_diameter=needed)
                    if wizard.prescription_id
                    else False
                )

    def action_create_job(self):
        self.ensure_one()
        job = self.env["mrp.production"]._optics_create_job(
            self.prescription_id,
            self.frame_id,
            self.range_od_id,
            self.range_os_id,
            {
                "optics_pd_od": self.pd_od,
                "optics_pd_os": self.pd_os,
                "optics_height_od": self.height_od,
                "optics_height_os": self.height_os,
            },
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Glasses Job"),
            "res_model": "mrp.production",
            "res_id": job.id,
            "view_mode": "form",
            "target": "current",
        }
