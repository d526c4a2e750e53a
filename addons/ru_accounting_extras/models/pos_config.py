from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class PosConfig(models.Model):
    _inherit = "pos.config"

    ru_cash_store_id = fields.Many2one(
        "ru.cash.store",
        string="Cash Store",
        index=True,
        check_company=True,
        help="The store whose cash desk receives this till's cash: its cash "
        "payment methods must use the store's cash journal.",
    )

    @api.constrains("ru_cash_store_id", "payment_method_ids")
    def _check_ru_cash_store_journal(self):
        for config in self.filtered("ru_cash_store_id"):
            store_journal = config.ru_cash_store_id.journal_id
            cash_journals = config.payment_method_ids.filtered("is_cash_count").journal_id
            if cash_journals - store_journal:
                raise ValidationError(
                    _(
                        "The cash payment methods of the point of sale %(config)s must "
                        "use the cash journal %(journal)s of its store %(store)s.",
                        config=config.name,
                        journal=store_journal.display_name,
                        store=config.ru_cash_store_id.name,
                    )
                )
