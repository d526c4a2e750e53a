from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class PosSession(models.Model):
    _name = "pos.session"
    _inherit = ["pos.session", "fiscal.guard.mixin"]
    _fiscal_guarded_fields = (
        "fiscal_shift_opened_at",
        "fiscal_shift_number",
        "fiscal_z_report_done",
        "fiscal_sale_total",
        "fiscal_refund_total",
        "fiscal_cash_total",
        "fiscal_electronic_total",
        "fiscal_z_counted",
        "fiscal_z_cash_total",
        "fiscal_z_electronic_total",
        "fiscal_z_prepaid_total",
        "fiscal_z_credit_total",
    )

    fiscal_device_id = fields.Many2one(related="config_id.fiscal_device_id", string="Cash Register")
    fiscal_shift_opened_at = fields.Datetime(
        "Register Shift Opened",
        readonly=True,
        copy=False,
        help="When the register's shift was opened for this session.",
    )
    fiscal_shift_number = fields.Integer("Register Shift", readonly=True, copy=False)
    fiscal_z_report_done = fields.Boolean("Z Report Done", readonly=True, copy=False)
    # What the session shows of the shift: the register's, which other tills may share.
    fiscal_register_shift_opened_at = fields.Datetime(
        related="config_id.fiscal_device_id.shift_opened_at"
    )
    fiscal_z_report_due = fields.Boolean(related="config_id.fiscal_device_id.z_report_due")
    fiscal_shift_warning = fields.Boolean(
        "Shift Limit Near",
        compute="_compute_fiscal_shift_warning",
        help="The register shift reaches its 24-hour limit soon: close the session.",
    )
    fiscal_sale_total = fields.Monetary(
        "Fiscal Sales",
        readonly=True,
        copy=False,
        help="Total of the fiscalized sale receipts of this session.",
    )
    fiscal_refund_total = fields.Monetary(
        "Fiscal Returns",
        readonly=True,
        copy=False,
        help="Total of the fiscalized return receipts of this session (positive).",
    )
    fiscal_cash_total = fields.Monetary(
        "Fiscal Cash",
        readonly=True,
        copy=False,
        help="Cash on fiscalized receipts: sales minus returns.",
    )
    fiscal_electronic_total = fields.Monetary(
        "Fiscal Electronic",
        readonly=True,
        copy=False,
        help="Electronic payments on fiscalized receipts: sales minus returns.",
    )
    # The register's own counters of the shift the session's Z report closed (shared by
    # every session that sold in that shift), net of returns.
    fiscal_z_counted = fields.Boolean(
        "Register Counters Read",
        readonly=True,
        copy=False,
        help="The register's own counters of the shift were read before its Z report.",
    )
    fiscal_z_cash_total = fields.Monetary("Register Cash", readonly=True, copy=False)
    fiscal_z_electronic_total = fields.Monetary("Register Electronic", readonly=True, copy=False)
    fiscal_z_prepaid_total = fields.Monetary(
        "Register Advances Set Off",
        readonly=True,
        copy=False,
        help="Deposits and advances set off against settlements in the shift (tag 1215): "
        "money taken earlier, not in this shift's payments.",
    )
    fiscal_z_credit_total = fields.Monetary(
        "Register Credit",
        readonly=True,
        copy=False,
        help="Sales on credit in the shift (tag 1216): money not taken yet.",
    )
    fiscal_fiscalized_count = fields.Integer(
        "Fiscalized Receipts", compute="_compute_fiscal_counts"
    )
    fiscal_pending_count = fields.Integer("Receipts Waiting", compute="_compute_fiscal_counts")
    fiscal_failed_count = fields.Integer("Failed Receipts", compute="_compute_fiscal_counts")

    def _fiscal_refresh_totals(self):
        """Totals of the fiscalized receipts, written by the cron when results arrive.

        Plain stored fields rather than a stored compute: a compute on the orders'
        fiscal state would re-read every order of the session on each sale.
        """
        # Summed in SQL (numeric), one group per value written: no float arithmetic here.
        fiscalized = [("session_id", "in", self.ids), ("fiscal_state", "=", "fiscalized")]
        orders = self.env["pos.order"]
        by_operation = {
            (session.id, operation): total
            for session, operation, total in orders._read_group(
                fiscalized, ["session_id", "fiscal_operation"], ["fiscal_total:sum"]
            )
        }
        payments = {
            session.id: (cash, electronic)
            for session, cash, electronic in orders._read_group(
                fiscalized,
                ["session_id"],
                ["fiscal_cash_amount:sum", "fiscal_electronic_amount:sum"],
            )
        }
        for session in self:
            cash, electronic = payments.get(session.id, (0, 0))
            session._fiscal_write(
                {
                    "fiscal_sale_total": by_operation.get((session.id, "sell"), 0),
                    "fiscal_refund_total": by_operation.get((session.id, "sell_refund"), 0),
                    "fiscal_cash_total": cash,
                    "fiscal_electronic_total": electronic,
                }
            )

    @api.depends("order_ids.fiscal_state")
    def _compute_fiscal_counts(self):
        fiscalized = dict(
            self.env["pos.order"]._read_group(
                [("session_id", "in", self.ids), ("fiscal_state", "=", "fiscalized")],
                ["session_id"],
                ["__count"],
            )
        )
        for session in self:
            device = session.config_id.fiscal_device_id
            figures = device._fiscal_figures(domain=[("session_id", "=", session.id)]).get(
                device.id, {}
            )
            session.fiscal_fiscalized_count = fiscalized.get(session, 0)
            session.fiscal_pending_count = figures.get("waiting", 0)
            session.fiscal_failed_count = figures.get("failed", 0)

    @api.depends("fiscal_register_shift_opened_at", "state")
    def _compute_fiscal_shift_warning(self):
        hours = self.env["pos.order"]._fiscal_param("shift_warning_hours", 23.0)
        limit = fields.Datetime.now() - timedelta(hours=hours)
        for session in self:
            opened = session.fiscal_register_shift_opened_at
            session.fiscal_shift_warning = bool(
                opened and session.state != "closed" and opened <= limit
            )

    # ------------------------------------------------------------------
    # The register's shift (ATOL Web Server): opened by its first session,
    # closed after its last session and its last receipt
    # ------------------------------------------------------------------
    def _fiscal_drives_shift(self):
        return self.config_id.fiscal_device_id.backend == "atol_web"

    def write(self, vals):
        opening = vals.get("state") == "opened"
        to_open = self.filtered(lambda s: s.state != "opened") if opening else self.browse()
        result = super().write(vals)
        for session in to_open.filtered(
            lambda s: s._fiscal_drives_shift() and not s.fiscal_shift_opened_at
        ):
            session._fiscal_open_shift()
        return result

    def _fiscal_open_shift(self):
        """Make sure the register has an open shift; a failure is noted, never blocks sales."""
        device = self.config_id.fiscal_device_id
        try:
            status = (device._run_register_task("getShiftStatus") or {}).get("shiftStatus") or {}
            if status.get("state") == "expired":
                device._fiscal_print_z_report()
            if status.get("state") == "opened":
                shift = status.get("number") or 0
            else:
                shift = self._fiscal_shift_from_answer(device._run_register_task("openShift"))
        except UserError as error:
            self.message_post(body=_("Register shift not opened: %s", error))
            return
        self._fiscal_write(
            {"fiscal_shift_opened_at": fields.Datetime.now(), "fiscal_shift_number": shift}
        )

    @api.model
    def _fiscal_shift_from_answer(self, answer):
        params = (answer or {}).get("fiscalParams") or {}
        return params.get("shiftNumber") or 0

    def _validate_session(
        self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None
    ):
        result = super()._validate_session(
            balancing_account, amount_to_balance, bank_payment_method_diffs
        )
        # Not closed: the closing stopped at the balancing wizard, the shift goes on.
        for session in self.filtered(
            lambda s: (
                s.state == "closed" and s._fiscal_drives_shift() and not s.fiscal_z_report_done
            )
        ):
            session._fiscal_close_shift()
        return result

    def _fiscal_close_shift(self):
        """The register's shift ends after its last open session, never under another."""
        device = self.config_id.fiscal_device_id
        others = device._fiscal_open_sessions()
        if others:
            self.message_post(
                body=_(
                    "The shift of register %(register)s stays open: %(sessions)s still sell "
                    "in it. The Z report is printed after the last of them closes.",
                    register=device.name,
                    sessions=", ".join(others.mapped("name")),
                )
            )
            return
        device._fiscal_end_shift(self)

    def action_fiscal_report_x(self):
        self.ensure_one()
        if not self._fiscal_drives_shift():
            raise UserError(_("X reports are printed by ATOL Web Server registers only."))
        self.config_id.fiscal_device_id._run_register_task("reportX")
        return self.config_id.fiscal_device_id._notify(
            _("X report"), _("The register prints the X report."), "success"
        )

    def action_fiscal_sync_now(self):
        return self.config_id.fiscal_device_id.action_sync_now()

    def action_view_fiscal_orders(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("point_of_sale.action_pos_pos_form")
        action["domain"] = [("session_id", "in", self.ids), ("fiscal_state", "!=", False)]
        action["context"] = {"search_default_group_by_fiscal_state": 1}
        return action
