from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models

KOPECK = Decimal("0.01")


def to_decimal(value):
    """Monetary values come out of PostgreSQL as floats: back to exact kopecks."""
    return Decimal(str(value or 0)).quantize(KOPECK)


class RuCashStore(models.Model):
    """A store's cash desk: one cash journal shared by the store's tills.

    A dedicated record rather than stock.warehouse: a store may have no
    warehouse of its own (stock kept centrally) and the cash limit, the
    manager and the cash journal are cash-desk data, not logistics data.
    """

    _name = "ru.cash.store"
    _description = "Store Cash Desk"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(help="Short code printed on cash orders.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    warehouse_id = fields.Many2one("stock.warehouse", check_company=True)
    journal_id = fields.Many2one(
        "account.journal",
        string="Cash Journal",
        required=True,
        check_company=True,
        domain="[('type', '=', 'cash')]",
        tracking=True,
        help="The store's cash desk: manual cash orders and transfers post here.",
    )
    journal_ids = fields.One2many(
        "account.journal",
        "ru_cash_store_id",
        string="All Cash Journals",
        help="The cash desk journal and the cash journals of the store's tills.",
    )
    cash_account_id = fields.Many2one(
        related="journal_id.default_account_id", string="Cash Account"
    )
    pos_config_ids = fields.One2many("pos.config", "ru_cash_store_id", string="Tills")
    manager_id = fields.Many2one(
        "res.users",
        string="Store Manager",
        help="Receives the cash limit warnings; empty: every point of sale "
        "manager of the company.",
    )
    cashier_name = fields.Char(help="Cashier printed on the cash orders and the cash book.")
    cash_limit = fields.Monetary(
        tracking=True,
        help="Highest cash balance allowed at the end of a day (set by the "
        "company's order under Bank of Russia directive 3210-U). Zero: no limit.",
    )
    cash_balance = fields.Monetary(
        string="Current Cash Balance", compute="_compute_cash_balance"
    )
    cash_over_limit = fields.Boolean(compute="_compute_cash_balance")

    _sql_constraints = [
        (
            "journal_uniq",
            "unique(journal_id)",
            "A cash journal belongs to one store only.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        stores = super().create(vals_list)
        stores._link_cash_desk_journal()
        return stores

    def write(self, vals):
        result = super().write(vals)
        if "journal_id" in vals:
            self._link_cash_desk_journal()
        return result

    def _cash_journals(self):
        return self.journal_id | self.journal_ids

    def _link_cash_desk_journal(self):
        for store in self:
            store.journal_id.ru_cash_store_id = store

    @api.depends("cash_limit")
    def _compute_cash_balance(self):
        tomorrow = fields.Date.context_today(self) + timedelta(days=1)
        for store in self:
            balance = store._cash_balance_before(tomorrow) if store.id else Decimal(0)
            store.cash_balance = float(balance)
            store.cash_over_limit = bool(store.cash_limit) and balance > to_decimal(
                store.cash_limit
            )

    def _cash_balance_before(self, day):
        """Cash balance of the store at the start of ``day``, from posted cash orders."""
        self.ensure_one()
        self.env["ru.cash.order"].flush_model()
        self.env.cr.execute(
            """
            SELECT COALESCE(SUM(CASE WHEN order_type = 'in' THEN amount ELSE -amount END), 0)
              FROM ru_cash_order
             WHERE store_id = %s AND state = 'posted' AND date < %s
            """,
            (self.id, day),
        )
        return to_decimal(self.env.cr.fetchone()[0])

    def _cash_book_days(self, date_from, date_to):
        """The cash book KO-4: one entry per day with cash orders.

        Each entry: date, opening and closing balance, total in and out
        (Decimal) and the day's posted cash orders; a day's closing balance is
        the opening balance of the next day.
        """
        self.ensure_one()
        orders = self.env["ru.cash.order"].search(
            [
                ("store_id", "=", self.id),
                ("state", "=", "posted"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
            order="date, order_type, name",
        )
        balance = self._cash_balance_before(date_from)
        days = []
        for order in orders:
            if not days or days[-1]["date"] != order.date:
                days.append(
                    {
                        "date": order.date,
                        "opening": balance,
                        "total_in": Decimal(0),
                        "total_out": Decimal(0),
                        "orders": self.env["ru.cash.order"],
                    }
                )
            day = days[-1]
            amount = to_decimal(order.amount)
            if order.order_type == "in":
                day["total_in"] += amount
                balance += amount
            else:
                day["total_out"] += amount
                balance -= amount
            day["orders"] |= order
            day["closing"] = balance
        return days

    def _cash_limit_recipients(self):
        self.ensure_one()
        if self.manager_id:
            return self.manager_id
        managers = self.env.ref("point_of_sale.group_pos_manager").users
        return managers.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )

    def _check_cash_limit(self, day):
        """Warn the store manager when the balance at the end of ``day`` exceeds the limit."""
        activity_type = self.env.ref("mail.mail_activity_data_warning")
        for store in self.filtered("cash_limit"):
            balance = store._cash_balance_before(day + timedelta(days=1))
            limit = to_decimal(store.cash_limit)
            if balance <= limit:
                continue
            summary = _("Cash over the limit on %s", fields.Date.to_string(day))
            existing = self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", store._name),
                    ("res_id", "=", store.id),
                    ("summary", "=", summary),
                ]
            )
            if existing:
                continue
            note = _(
                "The cash balance of %(store)s at the end of %(day)s is %(balance)s, "
                "over its limit of %(limit)s: hand the excess over to the bank.",
                store=store.name,
                day=fields.Date.to_string(day),
                balance=balance,
                limit=limit,
            )
            for user in store._cash_limit_recipients():
                store.sudo().activity_schedule(
                    activity_type_id=activity_type.id,
                    date_deadline=day + timedelta(days=1),
                    summary=summary,
                    note=note,
                    user_id=user.id,
                )

    @api.model
    def _cron_check_cash_limit(self):
        yesterday = fields.Date.context_today(self) - timedelta(days=1)
        self.search([("cash_limit", ">", 0)])._check_cash_limit(yesterday)

    def action_open_cash_book(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "ru_accounting_extras.action_ru_cash_book_wizard"
        )
        action["context"] = {"default_store_id": self.id}
        return action
