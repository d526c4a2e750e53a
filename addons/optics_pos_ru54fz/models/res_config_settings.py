from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pos_fiscal_device_id = fields.Many2one(
        related="pos_config_id.fiscal_device_id", readonly=False, string="Point of Sale Register"
    )
    pos_fiscal_deposit_product_id = fields.Many2one(
        related="pos_config_id.fiscal_deposit_product_id",
        readonly=False,
        string="Glasses Job Deposit Product",
    )

    def action_open_fiscal_devices(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "optics_pos_ru54fz.action_fiscal_device"
        )
