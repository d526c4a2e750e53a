from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    ru_cash_transfer_account_id = fields.Many2one(
        "account.account",
        string="Cash Transfer Account",
        check_company=True,
        help="Transit account of cash transfers between stores and to the bank "
        "(e.g. 57 'Transfers in transit'). Empty: the company's internal "
        "transfer account is used.",
    )
    ru_okpo = fields.Char(string="OKPO Code", size=10)
    ru_director_name = fields.Char(string="Director (for cash orders)")
    ru_chief_accountant_name = fields.Char(string="Chief Accountant (for cash orders)")

    def _ru_cash_transfer_account(self):
        self.ensure_one()
        return self.ru_cash_transfer_account_id or self.transfer_account_id
