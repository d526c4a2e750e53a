from odoo import _, api, fields, models

from ..optics_math import decentration, minimum_blank

# The lens fields filter on the eye's power in the database (no id lists sent
# to the browser, whatever the size of the catalogue).
RANGE_DOMAIN = (
    "[('optics_kind', '=', lens_kind), ('active', '=', True),"
    " ('sphere_min', '<=', sphere_{eye}), ('sphere_max', '>=', sphere_{eye}),"
    " ('cylinder_min', '<=', cylinder_{eye}), ('cylinder_max', '>=', cylinder_{eye}),"
    " ('addition_min', '<=', addition_{eye}), ('addition_max', '>=', addition_{eye}),"
    " ('diameter', '>=', min_blank_{eye}), ('company_id', 'in', [False, company_id])]"
)


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
    lens_kind = fields.Char("Optics Kind", compute="_compute_powers")
    sphere_od = fields.Float("Sphere (OD)", compute="_compute_powers")
    cylinder_od = fields.Float("Cylinder (OD)", compute="_compute_powers")
    addition_od = fields.Float("Addition (OD)", compute="_compute_powers")
    sphere_os = fields.Float("Sphere (OS)", compute="_compute_powers")
    cylinder_os = fields.Float("Cylinder (OS)", compute="_compute_powers")
    addition_os = fields.Float("Addition (OS)", compute="_compute_powers")
    min_blank_od = fields.Float("Minimum Blank (OD)", digits=(6, 1), compute="_compute_blanks")
    min_blank_os = fields.Float("Minimum Blank (OS)", digits=(6, 1), compute="_compute_blanks")
    range_od_id = fields.Many2one(
        "optics.lens.range", "Right Lens (OD)", required=True, domain=RANGE_DOMAIN.format(eye="od")
    )
    range_os_id = fields.Many2one(
        "optics.lens.range", "Left Lens (OS)", required=True, domain=RANGE_DOMAIN.format(eye="os")
    )

    @api.onchange("prescription_id")
    def _onchange_prescription_id(self):
        rx = self.prescription_id
        self.pd_od, self.pd_os = rx.pd_far_od, rx.pd_far_os
        self.height_od, self.height_os = rx.fitting_height_od, rx.fitting_height_os

    @api.depends("prescription_id")
    def _compute_powers(self):
        """Each eye's power as the lens ranges store it (minus cylinder, near sphere)."""
        for wizard in self:
            rx = wizard.prescription_id
            wizard.lens_kind = rx._lens_kind() if rx else False
            for eye in ("od", "os"):
                power = rx._lens_power(eye) if rx else (0, 0, 0)
                wizard[f"sphere_{eye}"], wizard[f"cylinder_{eye}"], wizard[f"addition_{eye}"] = (
                    float(value) for value in power
                )

    @api.depends("frame_id", "pd_od", "pd_os")
    def _compute_blanks(self):
        for wizard in self:
            frame = wizard.frame_id
            for eye in ("od", "os"):
                needed = 0.0
                if frame.frame_a and wizard[f"pd_{eye}"]:
                    inset = decentration(frame.frame_a, frame.frame_dbl, wizard[f"pd_{eye}"])
                    needed = float(minimum_blank(frame.frame_ed, inset))
                wizard[f"min_blank_{eye}"] = needed

    def _allowed_ranges(self, eye):
        """The lens ranges the eye's lens field offers."""
        self.ensure_one()
        return self.prescription_id._matching_lens_ranges(eye, self[f"min_blank_{eye}"])

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
