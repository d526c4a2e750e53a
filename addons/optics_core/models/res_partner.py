from odoo import _, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    optics_birthdate = fields.Date(
        "Date of Birth",
        help="Decides whether the child or the adult prescription validity applies.",
    )
    optics_prescription_ids = fields.One2many("optics.prescription", "partner_id", "Prescriptions")
    optics_prescription_count = fields.Integer(
        "Prescription Count", compute="_compute_optics_prescription_count"
    )

    def _compute_optics_prescription_count(self):
        counts = dict(
            self.env["optics.prescription"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.optics_prescription_count = counts.get(partner, 0)

    def action_view_optics_prescriptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Prescriptions"),
            "res_model": "optics.prescription",
            "view_mode": "tree,form",
            "domain": [("partner_id", "=", self.id)],
            "context": {"default_partner_id": self.id, "active_test": False},
        }
