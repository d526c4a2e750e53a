from odoo import fields, models


class AccountJournal(models.Model):
    _inherit = "account.journal"

    ru_cash_store_id = fields.Many2one(
        "ru.cash.store",
        string="Cash Store",
        index="btree_not_null",
        help="The store whose cash this journal holds: its main cash desk or "
        "one of its tills (Odoo gives every till its own cash journal).",
    )
