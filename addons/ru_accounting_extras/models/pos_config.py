from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class PosConfig(models.Model):
    _inherit = "pos.config"

    ru_cash_store_id = fields.Many2one(
        "ru.cash.store",
        string="Cash Store",
        index=True,
        check_company=True,
        help="The store whose cash book receives this till's cash: its cash "
        "payment methods must use cash journals of that store.",
    )

    @api.constrains("ru_cash_store_id", "payment_method_ids")
    def _check_ru_cash_store_journal(self):
        for config in self.filtered("ru_cash_store_id"):
            store = config.ru_cash_store_id
            cash_journals = config.payment_method_ids.filtered("is_cash_count").journal_id
            foreign = cash_journals - store._cash_journals()
            if foreign:
                raise ValidationError(
                    _(
                        "The cash payment methods of the point of sale %(config)s must "
                        "use cash journals of its store %(store)s, not %(journals)s.",
                        config=config.name,
                        store=store.name,
                        journals=", ".join(foreign.mapped("display_name")),
                    )
                )
