from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

METRICS_TOKEN_MIN_LENGTH = 16


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    fiscal_metrics_token = fields.Char(
        "Metrics Token",
        config_parameter="optics_pos_ru54fz.metrics_token",
        groups="optics_pos_ru54fz.group_fiscal_admin",
        help="Bearer token that Prometheus sends to /fiscal/metrics. "
        "While it is empty the route refuses every request.",
    )

    pos_fiscal_device_id = fields.Many2one(
        related="pos_config_id.fiscal_device_id", readonly=False, string="Point of Sale Register"
    )
    pos_fiscal_deposit_product_id = fields.Many2one(
        related="pos_config_id.fiscal_deposit_product_id",
        readonly=False,
        string="Glasses Job Deposit Product",
    )

    @api.constrains("fiscal_metrics_token")
    def _check_fiscal_metrics_token(self):
        for settings in self.sudo():
            token = settings.fiscal_metrics_token
            if token and (len(token) < METRICS_TOKEN_MIN_LENGTH or token != token.strip()):
                raise ValidationError(
                    _(
                        "The metrics token must have at least %(length)s characters "
                        "and no spaces at its ends.",
                        length=METRICS_TOKEN_MIN_LENGTH,
                    )
                )

    def action_open_fiscal_devices(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "optics_pos_ru54fz.action_fiscal_device"
        )
