from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..amount_in_words import amount_in_words_ru
from .ru_cash_store import to_decimal

SEQUENCE_CODES = {"in": "ru.cash.order.in", "out": "ru.cash.order.out"}
DOCUMENT_STATES = [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")]


class RuCashOrder(models.Model):
    """Incoming (KO-1, form 0310001) or outgoing (KO-2, form 0310002) cash order."""

    _name = "ru.cash.order"
    _description = "Cash Order"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", default="/", readonly=True, copy=False)
    order_type = fields.Selection(
        [("in", "Incoming (KO-1)"), ("out", "Outgoing (KO-2)")],
        string="Type",
        required=True,
        default="in",
    )
    state = fields.Selection(
        DOCUMENT_STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    source = fields.Selection(
        [
            ("manual", "Manual"),
            ("pos_cash_move", "POS cash in/out"),
            ("pos_session", "POS session closing"),
            ("transfer", "Cash transfer"),
        ],
        default="manual",
        required=True,
        readonly=True,
    )
    store_id = fields.Many2one("ru.cash.store", required=True, check_company=True, index=True)
    company_id = fields.Many2one(related="store_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="store_id.currency_id")
    journal_id = fields.Many2one(
        "account.journal",
        string="Cash Journal",
        compute="_compute_journal_id",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        check_company=True,
        domain="[('ru_cash_store_id', '=', store_id)]",
        help="The store's cash desk, or the till's journal for cash moved at a till.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    amount = fields.Monetary(required=True)
    amount_in_words = fields.Char(compute="_compute_amount_in_words")
    partner_id = fields.Many2one("res.partner", check_company=True)
    person = fields.Char(
        string="Received from / Paid to",
        help="Printed on the form: 'Принято от' for KO-1, 'Выдать' for KO-2.",
    )
    basis = fields.Char(help="The reason printed on the form.")
    attachment = fields.Char(string="Attached Documents")
    identity_document = fields.Char(help="KO-2 only: the document of the person paid.")
    counterpart_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        domain="[('deprecated', '=', False)]",
        help="Account credited by an incoming order, debited by an outgoing one.",
    )
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, copy=False)
    transfer_id = fields.Many2one("ru.cash.transfer", readonly=True, copy=False)
    pos_session_id = fields.Many2one("pos.session", string="POS Session", readonly=True, copy=False)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", readonly=True, copy=False, index="btree_not_null"
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "The amount of a cash order must be positive."),
        (
            "statement_line_uniq",
            "unique(statement_line_id)",
            "A cash statement line has one cash order only.",
        ),
    ]

    @api.depends("store_id")
    def _compute_journal_id(self):
        for order in self:
            if order.journal_id not in order.store_id._cash_journals():
                order.journal_id = order.store_id.journal_id

    @api.depends("amount")
    def _compute_amount_in_words(self):
        for order in self:
            order.amount_in_words = amount_in_words_ru(to_decimal(order.amount))

    @api.depends("name", "order_type")
    def _compute_display_name(self):
        labels = dict(self._fields["order_type"]._description_selection(self.env))
        for order in self:
            order.display_name = "%s %s" % (labels.get(order.order_type, ""), order.name or "/")

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(order.state == "posted" for order in self):
            raise UserError(_("A posted cash order cannot be deleted."))

    def _prepare_move_vals(self):
        self.ensure_one()
        cash_account = self.journal_id.default_account_id
        if not cash_account:
            raise UserError(
                _("The cash journal %s has no default account.", self.journal_id.display_name)
            )
        if not self.counterpart_account_id:
            raise UserError(_("Set the counterpart account of the cash order first."))
        sign = 1 if self.order_type == "in" else -1
        label = self.basis or self.name

        def line(account, balance):
            return fields.Command.create(
                {
                    "name": label,
                    "account_id": account.id,
                    "partner_id": self.partner_id.id,
                    "debit": balance if balance > 0 else 0.0,
                    "credit": -balance if balance < 0 else 0.0,
                }
            )

        return {
            "move_type": "entry",
            "journal_id": self.journal_id.id,
            "date": self.date,
            "ref": self.name,
            "line_ids": [
                line(cash_account, sign * self.amount),
                line(self.counterpart_account_id, -sign * self.amount),
            ],
        }

    def action_post(self):
        for order in self:
            if order.state != "draft":
                raise UserError(_("Only a draft cash order can be posted."))
            if float_compare(order.amount, 0, precision_rounding=order.currency_id.rounding) <= 0:
                raise UserError(_("The amount of a cash order must be positive."))
            if order.order_type == "out":
                order._check_cash_available()
            order.name = self.env["ir.sequence"].next_by_code(
                SEQUENCE_CODES[order.order_type], sequence_date=order.date
            )
            if not order.move_id:
                move = self.env["account.move"].create(order._prepare_move_vals())
                move.action_post()
                order.move_id = move
            order.state = "posted"
        for store in self.store_id:
            for day in set(self.filtered(lambda o, s=store: o.store_id == s).mapped("date")):
                store._check_cash_limit(day)
        return True

    def _check_cash_available(self):
        """An outgoing order may not spend cash the store does not have on that day."""
        self.ensure_one()
        if self.statement_line_id:
            return  # already happened at the till: the order only documents it
        available = self.store_id._cash_balance_before(self.date + timedelta(days=1))
        if to_decimal(self.amount) > available:
            raise UserError(
                _(
                    "The store %(store)s has only %(available)s in cash on %(day)s: "
                    "it cannot pay out %(amount)s.",
                    store=self.store_id.name,
                    available=available,
                    day=fields.Date.to_string(self.date),
                    amount=to_decimal(self.amount),
                )
            )

    def action_cancel(self):
        if any(order.state != "draft" for order in self):
            raise UserError(_("Only a draft cash order can be cancelled."))
        self.state = "cancel"

    def action_draft(self):
        if any(order.state != "cancel" for order in self):
            raise UserError(_("Only a cancelled cash order can be reset to draft."))
        self.state = "draft"

    @api.model
    def _create_from_statement_lines(self, statement_lines, source):
        """Document cash already moved at a till: one posted order per statement line.

        The statement line's own journal entry is the order's entry (Odoo posted
        it already), so nothing is booked twice.
        """
        orders = self.browse()
        done = self.search([("statement_line_id", "in", statement_lines.ids)]).statement_line_id
        for line in statement_lines - done:
            store = line.pos_session_id.config_id.ru_cash_store_id
            if (
                not store
                or line.journal_id not in store._cash_journals()
                or line.currency_id.is_zero(line.amount)
            ):
                continue
            counterpart = line.move_id.line_ids.filtered(
                lambda aml, ln=line: aml.account_id != ln.journal_id.default_account_id
            )[:1]
            orders |= self.create(
                {
                    "order_type": "in" if line.amount > 0 else "out",
                    "source": source,
                    "store_id": store.id,
                    "journal_id": line.journal_id.id,
                    "date": line.date,
                    "amount": abs(line.amount),
                    "partner_id": line.partner_id.id,
                    "person": line.pos_session_id.user_id.name,
                    "basis": line.payment_ref,
                    "counterpart_account_id": counterpart.account_id.id,
                    "move_id": line.move_id.id,
                    "pos_session_id": line.pos_session_id.id,
                    "statement_line_id": line.id,
                }
            )
        orders.action_post()
        return orders
