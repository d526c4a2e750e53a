from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ru_cash_transfer_account_id = fields.Many2one(
        related="company_id.ru_cash_transfer_account_id", readonly=False
    )
    ru_okpo = fields.Char(related="company_id.ru_okpo", readonly=False)
    ru_director_name = fields.Char(related="company_id.ru_director_name", readonly=False)
    ru_chief_accountant_name = fields.Char(
        related="company_id.ru_chief_accountant_name", readonly=False
    )
