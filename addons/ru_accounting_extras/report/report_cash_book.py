from odoo import api, models


class ReportCashBook(models.AbstractModel):
    _name = "report.ru_accounting_extras.report_cash_book"
    _description = "Cash Book KO-4"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env["ru.cash.book.wizard"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "ru.cash.book.wizard",
            "docs": wizards,
            "days_by_wizard": {
                wizard.id: wizard.store_id._cash_book_days(wizard.date_from, wizard.date_to)
                for wizard in wizards
            },
        }
