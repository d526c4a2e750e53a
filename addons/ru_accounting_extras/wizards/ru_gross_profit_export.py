from datetime import datetime, time, timedelta
from decimal import Decimal

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..models.ru_cash_store import to_decimal
from ..models.ru_gross_profit_report import MEASURE_FIELDS, margin_percent
from .xlsx_attachment import write_xlsx

GROUPINGS = {
    "store": ["store_id"],
    "store_category": ["store_id", "categ_id"],
    "store_cashier": ["store_id", "cashier_id"],
    "category": ["categ_id"],
}


class RuGrossProfitExport(models.TransientModel):
    _name = "ru.gross.profit.export"
    _description = "Gross Profit XLSX Export"

    date_from = fields.Date(required=True, default=fields.Date.context_today)
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    grouping = fields.Selection(
        [
            ("store", "Store"),
            ("store_category", "Store and product category"),
            ("store_cashier", "Store and cashier"),
            ("category", "Product category"),
        ],
        required=True,
        default="store_category",
    )
    store_ids = fields.Many2many("ru.cash.store", string="Stores", help="Empty: all stores.")

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        if any(wizard.date_from > wizard.date_to for wizard in self):
            raise ValidationError(_("The start date must not be after the end date."))

    def _domain(self):
        # The report's dates are UTC datetimes: the period is whole days in the user's zone.
        start = datetime.combine(self.date_from, time.min)
        stop = datetime.combine(self.date_to + timedelta(days=1), time.min)
        domain = [
            ("date", ">=", fields.Datetime.to_string(self._to_utc(start))),
            ("date", "<", fields.Datetime.to_string(self._to_utc(stop))),
        ]
        if self.store_ids:
            domain.append(("store_id", "in", self.store_ids.ids))
        return domain

    def _to_utc(self, local_naive):
        zone = pytz.timezone(self.env.user.tz or "UTC")
        return zone.localize(local_naive).astimezone(pytz.utc).replace(tzinfo=None)

    def _rows(self):
        groupby = GROUPINGS[self.grouping]
        return self.env["ru.gross.profit.report"].read_group(
            self._domain(),
            ["qty:sum", "revenue:sum", "cost:sum", "gross_profit:sum", "margin_percent"],
            groupby,
            orderby=", ".join(groupby),
            lazy=False,
        )

    def action_export_xlsx(self):
        self.ensure_one()
        rows = self._rows()
        file_name = "gross_profit_%s_%s.xlsx" % (self.date_from, self.date_to)
        return write_xlsx(self.env, file_name, lambda workbook: self._fill_xlsx(workbook, rows))

    def _fill_xlsx(self, workbook, rows):
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True})
        Report = self.env["ru.gross.profit.report"]
        groupby = GROUPINGS[self.grouping]
        sheet = workbook.add_worksheet(_("Gross Profit"))
        sheet.write(
            0,
            0,
            _("Gross profit from %(start)s to %(end)s", start=self.date_from, end=self.date_to),
            bold,
        )
        measures = ["qty", "revenue", "cost", "gross_profit", "margin_percent"]
        headers = [
            Report._fields[name].get_description(self.env)["string"]
            for name in groupby + measures
        ]
        for col, header in enumerate(headers):
            sheet.write(2, col, header, bold)
        sheet.set_column(0, len(headers), 18)
        for row, group in enumerate(rows, start=3):
            for col, name in enumerate(groupby):
                value = group[name]
                sheet.write(row, col, value[1] if value else _("Undefined"))
            for col, name in enumerate(measures, start=len(groupby)):
                sheet.write_number(row, col, group[name] or 0.0, money)
        totals = {
            name: sum((to_decimal(group[name]) for group in rows), Decimal(0))
            for name in MEASURE_FIELDS
        }
        totals["margin_percent"] = margin_percent(totals["revenue"], totals["gross_profit"])
        last = len(rows) + 3
        sheet.write(last, 0, _("Total"), bold)
        sheet.write_number(
            last, len(groupby), sum(g["qty"] or 0.0 for g in rows), money_bold
        )
        for col, name in enumerate(measures[1:], start=len(groupby) + 1):
            sheet.write_number(last, col, float(totals[name]), money_bold)
