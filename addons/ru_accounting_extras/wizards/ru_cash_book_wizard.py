from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .xlsx_attachment import write_xlsx


class RuCashBookWizard(models.TransientModel):
    _name = "ru.cash.book.wizard"
    _description = "Cash Book KO-4"

    store_id = fields.Many2one("ru.cash.store", required=True)
    date_from = fields.Date(required=True, default=fields.Date.context_today)
    date_to = fields.Date(required=True, default=fields.Date.context_today)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        if any(wizard.date_from > wizard.date_to for wizard in self):
            raise ValidationError(_("The start date must not be after the end date."))

    def action_print_pdf(self):
        return self.env.ref("ru_accounting_extras.action_report_cash_book").report_action(self)

    def action_export_xlsx(self):
        self.ensure_one()
        days = self.store_id._cash_book_days(self.date_from, self.date_to)
        file_name = "cash_book_%s_%s_%s.xlsx" % (
            self.store_id.code or self.store_id.id,
            self.date_from,
            self.date_to,
        )
        return write_xlsx(self.env, file_name, lambda workbook: self._fill_xlsx(workbook, days))

    def _fill_xlsx(self, workbook, days):
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True})
        sheet = workbook.add_worksheet(_("Cash Book"))
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 40)
        sheet.set_column(2, 4, 16)
        sheet.write(0, 0, _("Cash Book KO-4: %s", self.store_id.name), bold)
        headers = [
            _("Document"),
            _("Received from / Paid to"),
            _("Account"),
            _("Income"),
            _("Expense"),
        ]
        row = 2
        for day in days:
            sheet.write(row, 0, fields.Date.to_string(day["date"]), bold)
            sheet.write(row, 1, _("Balance at the start of the day"), bold)
            sheet.write_number(row, 3, float(day["opening"]), money_bold)
            row += 1
            for col, header in enumerate(headers):
                sheet.write(row, col, header, bold)
            row += 1
            for order in day["orders"]:
                sheet.write(row, 0, order.name)
                sheet.write(row, 1, order.person or order.partner_id.name or order.basis or "")
                sheet.write(row, 2, order.counterpart_account_id.code or "")
                sheet.write_number(row, 3 if order.order_type == "in" else 4, order.amount, money)
                row += 1
            sheet.write(row, 1, _("Total for the day"), bold)
            sheet.write_number(row, 3, float(day["total_in"]), money_bold)
            sheet.write_number(row, 4, float(day["total_out"]), money_bold)
            row += 1
            sheet.write(row, 1, _("Balance at the end of the day"), bold)
            sheet.write_number(row, 3, float(day["closing"]), money_bold)
            row += 2
