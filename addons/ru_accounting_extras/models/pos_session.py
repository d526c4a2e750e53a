from collections import defaultdict

from odoo import _, api, fields, models

Z_FIELDS = (
    "fiscal_sale_total",
    "fiscal_refund_total",
    "fiscal_cash_total",
    "fiscal_electronic_total",
    "fiscal_z_report_done",
    "fiscal_z_counted",
    "fiscal_z_cash_total",
    "fiscal_z_electronic_total",
)


class PosSession(models.Model):
    _inherit = "pos.session"

    ru_cash_order_ids = fields.One2many("ru.cash.order", "pos_session_id", string="Cash Orders")
    # Not stored: stored, every POS payment would recompute them on the sale's path.
    ru_payment_cash_total = fields.Monetary(
        string="Cash Payments", compute="_compute_ru_payment_totals"
    )
    ru_payment_electronic_total = fields.Monetary(
        string="Electronic Payments", compute="_compute_ru_payment_totals"
    )
    ru_z_cash_difference = fields.Monetary(
        string="Cash Difference (Z - POS)", compute="_compute_ru_z_reconciliation", store=True
    )
    ru_z_electronic_difference = fields.Monetary(
        string="Electronic Difference (Z - POS)",
        compute="_compute_ru_z_reconciliation",
        store=True,
    )
    ru_z_total_difference = fields.Monetary(
        string="Net Sales Difference (Z - POS)",
        compute="_compute_ru_z_reconciliation",
        store=True,
        help="Fiscal sales minus fiscal refunds, against the POS cash and electronic payments.",
    )
    ru_z_state = fields.Selection(
        [
            ("pending", "Waiting for the Z report"),
            ("matched", "Matched"),
            ("mismatch", "Mismatch"),
        ],
        string="Z Report Reconciliation",
        compute="_compute_ru_z_reconciliation",
        store=True,
    )
    ru_z_mismatch = fields.Boolean(
        string="Z Report Mismatch", compute="_compute_ru_z_reconciliation", store=True
    )

    def _ru_payment_totals(self):
        """{session id: {"cash": amount, "electronic": amount}} from the POS payments.

        Cash: payment methods counted in the cash drawer; electronic: methods
        with a bank journal. Customer account (pay later) is neither.
        """
        totals = defaultdict(lambda: {"cash": 0.0, "electronic": 0.0})
        groups = self.env["pos.payment"]._read_group(
            [("session_id", "in", self.ids)],
            ["session_id", "payment_method_id"],
            ["amount:sum"],
        )
        for session, method, amount in groups:
            if method.is_cash_count:
                totals[session.id]["cash"] += amount
            elif method.journal_id.type == "bank":
                totals[session.id]["electronic"] += amount
        return totals

    @api.depends("order_ids.payment_ids.amount", "order_ids.payment_ids.payment_method_id")
    def _compute_ru_payment_totals(self):
        totals = self._ru_payment_totals() if self.ids else {}
        for session in self:
            paid = totals.get(session.id, {"cash": 0.0, "electronic": 0.0})
            session.ru_payment_cash_total = session.currency_id.round(paid["cash"])
            session.ru_payment_electronic_total = session.currency_id.round(paid["electronic"])

    # Recomputed when the fiscal totals or the Z report change (the drain's results)
    # and when the session's state does (closing), never on a sale: it then reads
    # the payments as they are.
    def _ru_z_shift_sessions(self):
        """The sessions whose POS payments the session's Z report counted: with the register's
        own counters, every session that sold in the register's shift it closed."""
        self.ensure_one()
        if not self.fiscal_z_counted:
            return self
        return self.search(
            [
                ("config_id.fiscal_device_id", "=", self.config_id.fiscal_device_id.id),
                ("fiscal_shift_number", "=", self.fiscal_shift_number),
                ("fiscal_z_counted", "=", True),
            ]
        )

    @api.depends("state", *Z_FIELDS)
    def _compute_ru_z_reconciliation(self):
        for session in self:
            currency = session.currency_id
            shift = session._ru_z_shift_sessions()
            paid = shift._ru_payment_totals()
            cash = sum(paid[s.id]["cash"] for s in shift)
            electronic = sum(paid[s.id]["electronic"] for s in shift)
            if session.fiscal_z_counted:
                # The register's counters: deposits set off (1215) and credit (1216) are no
                # money taken in this shift, so they stay out of the comparison.
                fiscal_cash = session.fiscal_z_cash_total
                fiscal_electronic = session.fiscal_z_electronic_total
                net_sales = fiscal_cash + fiscal_electronic
            else:
                fiscal_cash = session.fiscal_cash_total
                fiscal_electronic = session.fiscal_electronic_total
                net_sales = session.fiscal_sale_total - session.fiscal_refund_total
            cash_diff = currency.round(fiscal_cash - cash)
            electronic_diff = currency.round(fiscal_electronic - electronic)
            total_diff = currency.round(net_sales - cash - electronic)
            differs = any(
                not currency.is_zero(diff) for diff in (cash_diff, electronic_diff, total_diff)
            )
            if not session.fiscal_z_report_done:
                state = "pending"
            else:
                state = "mismatch" if differs else "matched"
            session.update(
                {
                    "ru_z_cash_difference": cash_diff,
                    "ru_z_electronic_difference": electronic_diff,
                    "ru_z_total_difference": total_diff,
                    "ru_z_state": state,
                    "ru_z_mismatch": state == "mismatch",
                }
            )

    def write(self, vals):
        watch = any(name in vals for name in Z_FIELDS + ("state",))
        flagged_before = set(self.filtered("ru_z_mismatch").ids) if watch else set()
        result = super().write(vals)
        if watch:
            newly_flagged = self.filtered(
                lambda s: s.ru_z_mismatch and s.id not in flagged_before
            )
            newly_flagged._ru_notify_z_mismatch()
        return result

    def _ru_notify_z_mismatch(self):
        """One warning activity per point of sale manager of the session's company."""
        if not self:
            return
        activity_type = self.env.ref("mail.mail_activity_data_warning")
        managers = self.env.ref("point_of_sale.group_pos_manager").sudo().users
        for session in self.sudo():
            note = _(
                "The Z report of %(session)s differs from the POS payments: "
                "cash %(cash)s, electronic %(electronic)s, net sales %(total)s.",
                session=session.name,
                cash=session.ru_z_cash_difference,
                electronic=session.ru_z_electronic_difference,
                total=session.ru_z_total_difference,
            )
            for user in managers.filtered(
                lambda u, s=session: s.company_id in u.company_ids and not u.share
            ):
                session.activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=_("Z report mismatch"),
                    note=note,
                    user_id=user.id,
                )

    def try_cash_in_out(self, _type, amount, reason, extras):
        before = self.sudo().statement_line_ids
        result = super().try_cash_in_out(_type, amount, reason, extras)
        self.env["ru.cash.order"].sudo()._create_from_statement_lines(
            self.sudo().statement_line_ids - before, "pos_cash_move"
        )
        return result

    def _validate_session(
        self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None
    ):
        result = super()._validate_session(
            balancing_account, amount_to_balance, bank_payment_method_diffs
        )
        if self.state == "closed":
            orders = self.env["ru.cash.order"].sudo()._create_from_statement_lines(
                self.sudo().statement_line_ids, "pos_session"
            )
            store = self.config_id.ru_cash_store_id
            if store and not orders:
                store.sudo()._check_cash_limit(fields.Date.context_today(self))
        return result
