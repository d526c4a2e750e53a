import base64
import logging
import threading
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from fiscal_connector.connector import check_receipt
from fiscal_connector.errors import (
    FiscalError,
    IdempotencyConflictError,
    OutboxFullError,
    TransientBackendError,
)
from fiscal_connector.outbox import send_key
from fiscal_connector.qr import qr_png

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_datetime

from .fiscal_device import PARAM_PREFIX
from .pos_order_receipt import _money

_logger = logging.getLogger(__name__)

FISCAL_STATES = [
    ("to_send", "To Send"),
    ("queued", "Queued"),
    ("fiscalized", "Fiscalized"),
    ("failed", "Failed"),
    ("reissue", "Reissue Requested"),
    ("duplicate", "Duplicate (not fiscalized)"),
]

FAILURE_ACTIVITY = "optics_pos_ru54fz.mail_activity_type_fiscal_failure"
# Outbox entry states that end the order's wait.
OUTBOX_DONE = "done"
OUTBOX_DEAD = "dead"


def _auto_commit(env):
    """Commit between the cron's steps, except under tests (their transaction stays open)."""
    if not getattr(threading.current_thread(), "testing", False):
        env.cr.commit()


class PosOrder(models.Model):
    _name = "pos.order"
    # The thread carries the fiscal administrators' tasks for failed receipts.
    _inherit = ["pos.order", "fiscal.guard.mixin", "mail.thread", "mail.activity.mixin"]
    _fiscal_guarded_fields = (
        "fiscal_key",
        "fiscal_state",
        "fiscal_operation",
        "fiscal_device_id",
        "fiscal_fn",
        "fiscal_fd_number",
        "fiscal_sign",
        "fiscal_datetime",
        "fiscal_shift",
        "fiscal_receipt_number",
        "fiscal_registration_number",
        "fiscal_qr",
        "fiscal_total",
        "fiscal_cash_amount",
        "fiscal_electronic_amount",
        "fiscal_error",
        "fiscal_error_kind",
        "fiscal_correction",
    )

    fiscal_key = fields.Char(
        readonly=True, copy=False, help="Idempotency key of the fiscal document; never changes."
    )
    fiscal_state = fields.Selection(FISCAL_STATES, readonly=True, copy=False, index=True)
    fiscal_operation = fields.Selection(
        [("sell", "Sale"), ("sell_refund", "Sale Return")], readonly=True, copy=False
    )
    fiscal_device_id = fields.Many2one("fiscal.device", "Cash Register", readonly=True, copy=False)
    fiscal_fn = fields.Char("FN Number", readonly=True, copy=False)
    fiscal_fd_number = fields.Integer("Fiscal Document Number", readonly=True, copy=False)
    fiscal_sign = fields.Char("Fiscal Sign (FP)", readonly=True, copy=False)
    fiscal_datetime = fields.Datetime("Fiscal Date", readonly=True, copy=False)
    fiscal_shift = fields.Integer("Shift Number", readonly=True, copy=False)
    fiscal_receipt_number = fields.Integer("Receipt Number in Shift", readonly=True, copy=False)
    fiscal_registration_number = fields.Char("Register Number", readonly=True, copy=False)
    fiscal_qr = fields.Char("Receipt QR Data", readonly=True, copy=False)
    fiscal_total = fields.Monetary("Total on Receipt", readonly=True, copy=False)
    fiscal_cash_amount = fields.Monetary(
        "Fiscal Cash",
        readonly=True,
        copy=False,
        help="Cash on the fiscal document, negative for returns.",
    )
    fiscal_electronic_amount = fields.Monetary(
        "Fiscal Electronic",
        readonly=True,
        copy=False,
        help="Electronic payments on the fiscal document, negative for returns.",
    )
    fiscal_error = fields.Text(
        "Fiscal Error Detail",
        readonly=True,
        copy=False,
        help="Why the receipt waits or failed, in the words of the step that said so.",
    )
    fiscal_error_kind = fields.Char(readonly=True, copy=False)
    fiscal_error_message = fields.Text("Fiscal Error", compute="_compute_fiscal_error_message")
    fiscal_correction = fields.Boolean(
        "Correction Receipt",
        readonly=True,
        copy=False,
        help="Registered after its settlement day, as a correction receipt (tag 1173: on its "
        "own initiative; tag 1178: the sale's date).",
    )
    fiscal_key_ids = fields.One2many(
        "pos.order.fiscal.key",
        "order_id",
        "Key Chain",
        readonly=True,
        help="Every key the receipt was sent under: a key the register refused is followed by "
        "a successor only once the register confirmed it holds no document.",
    )
    optics_job_id = fields.Many2one(
        "mrp.production",
        "Glasses Job",
        index="btree_not_null",
        copy=False,
        help="Glasses job this deposit or pick-up order belongs to.",
    )
    fiscal_deposit_amount = fields.Monetary(
        "Deposit",
        compute="_compute_fiscal_deposit_amount",
        help="Deposit taken by this order (negative when it sets a deposit off).",
    )

    _sql_constraints = [
        ("fiscal_key_unique", "UNIQUE(fiscal_key)", "A fiscal key is used by one order only."),
    ]

    @api.depends_context("lang")
    @api.depends("fiscal_error", "fiscal_error_kind")
    def _compute_fiscal_error_message(self):
        word = self.env["fiscal.device"]._fiscal_error_message
        for order in self:
            order.fiscal_error_message = word(order.fiscal_error_kind, order.fiscal_error)

    def _fiscal_write(self, values):
        # An error written without its kind is worded already (by Odoo, or by the builder).
        if "fiscal_error" in values and "fiscal_error_kind" not in values:
            values = {**values, "fiscal_error_kind": False}
        return super()._fiscal_write(values)

    @api.model_create_multi
    def create(self, vals_list):
        # A sale at the till logs no creation message and subscribes no one: the thread is
        # for what happens to the receipt later, and the till's speed stays that of plain POS.
        quiet = self.with_context(tracking_disable=True)
        return super(PosOrder, quiet).create(vals_list).with_env(self.env)

    def write(self, vals):
        # Inside the till's create_from_ui, as at create: no tracking and no auto-subscription
        # (no field of the order is tracked), so the till's speed stays that of plain POS.
        if self.env.context.get("fiscal_paid_orders") is not None:
            return super(PosOrder, self.with_context(tracking_disable=True)).write(vals)
        return super().write(vals)

    @api.depends("lines.price_subtotal_incl", "config_id.fiscal_deposit_product_id")
    def _compute_fiscal_deposit_amount(self):
        for order in self:
            product = order.config_id.fiscal_deposit_product_id
            lines = order.lines.filtered(lambda line, p=product: p and line.product_id == p)
            order.fiscal_deposit_amount = sum(lines.mapped("price_subtotal_incl"))

    # ------------------------------------------------------------------
    # Request path: key and state only, in the order's own transaction
    # ------------------------------------------------------------------
    @api.model
    def _order_fields(self, ui_order):
        values = super()._order_fields(ui_order)
        job_id = self.env["mrp.production"].sudo().browse(ui_order.get("optics_job_id")).exists().id
        if not job_id:
            # A refund of a deposit belongs to the deposit's job: it reduces what is set off.
            refunded_ids = [
                line[2]["refunded_orderline_id"]
                for line in values.get("lines") or []
                if line[2].get("refunded_orderline_id")
            ]
            refunded = self.env["pos.order.line"].sudo().browse(refunded_ids)
            job_id = refunded.order_id.optics_job_id[:1].id
        if job_id:
            values["optics_job_id"] = job_id
        return values

    def _fiscal_check_job(self):
        """The job a till sent is its customer's, in the order's company (a refund keeps
        the job of the deposit it returns)."""
        job = self.sudo().optics_job_id
        if not job or self.lines.refunded_orderline_id:
            return
        customer = self.partner_id.commercial_partner_id
        if job.optics_partner_id.commercial_partner_id != customer or (
            job.company_id != self.company_id
        ):
            raise UserError(
                _(
                    "The glasses job %(job)s is not a job of this customer in this company: "
                    "choose the customer's own job.",
                    job=job.name,
                )
            )

    @api.model
    def create_from_ui(self, orders, draft=False):
        # Orders paid during the call are collected and keyed together afterwards:
        # one SQL statement and one cron trigger per call, whatever the number of orders.
        paid = []
        result = super(PosOrder, self.with_context(fiscal_paid_orders=paid)).create_from_ui(
            orders, draft
        )
        # Refused here, the call fails whole: no order is saved as paid whose receipt the
        # cron would refuse (Odoo logs and swallows errors raised inside order payment).
        self.browse(paid)._fiscal_check_payable()
        if paid and self.browse(paid)._fiscal_assign_key():
            self._fiscal_trigger_cron()
        return result

    def action_pos_order_paid(self):
        result = super().action_pos_order_paid()
        collected = self.env.context.get("fiscal_paid_orders")
        if collected is not None:
            collected.extend(self.ids)
            return result
        self._fiscal_check_payable()
        if self._fiscal_assign_key():
            self._fiscal_trigger_cron()
        return result

    def _fiscal_check_payable(self):
        """Refuse what the cron's enqueue would refuse, by the same builder and checks.

        Built as the cron builds it, as superuser: a cashier may not read the glasses job
        whose deposits a set-off draws on, and the rule must not depend on who sells.
        """
        for order in self.sudo():
            order._fiscal_check_job()
            device = order.config_id.fiscal_device_id
            if order.fiscal_key or order.fiscal_state or not device or not order.lines:
                continue
            receipt = order._fiscal_receipt()
            client = receipt.get("client") or {}
            if device.backend == "atol_online" and not (client.get("email") or client.get("phone")):
                raise UserError(
                    _(
                        "The cash register %s is a cloud register: it sends the receipt to the "
                        "buyer electronically. Choose the customer and enter their e-mail or "
                        "phone before payment.",
                        device.name,
                    )
                )
            try:
                check_receipt(device._fiscal_device_config(), receipt)
            except FiscalError as error:
                raise UserError(
                    _(
                        "Order %(order)s cannot be paid: its fiscal receipt would be refused "
                        "(%(reason)s).",
                        order=order.name,
                        reason=error,
                    )
                ) from error

    def _fiscal_operation_for_order(self):
        self.ensure_one()
        return "sell_refund" if self.amount_total < 0 else "sell"

    def _fiscal_assign_key(self):
        """Give each paid order of a fiscal POS its key and the state "to send" (no I/O).

        One UPDATE for all the orders, skipping any whose key a twin already holds
        (the till sent one order twice): this runs inside create_from_ui, whose speed
        must stay that of plain POS. The UNIQUE constraint stays the last guard.
        Returns the ids of the orders that got their key.
        """
        rows, keys = [], {}
        for order in self:
            device = order.config_id.fiscal_device_id
            if order.fiscal_key or order.fiscal_state or not device or not order.lines:
                continue
            operation = order._fiscal_operation_for_order()
            key = f"{order.access_token or uuid.uuid4().hex}-{operation}"
            if key not in keys.values():
                rows.append(SQL("(%s, %s, %s, %s)", order.id, key, operation, device.id))
            keys[order] = key
        if not keys:
            return set()
        self.env.cr.execute(
            SQL(
                """UPDATE pos_order o
                      SET fiscal_key = v.key, fiscal_state = 'to_send',
                          fiscal_operation = v.operation, fiscal_device_id = v.device
                     FROM (VALUES %s) AS v(id, key, operation, device)
                    WHERE o.id = v.id
                      AND NOT EXISTS (SELECT 1 FROM pos_order t WHERE t.fiscal_key = v.key)
                RETURNING o.id""",
                SQL(", ").join(rows),
            )
        )
        assigned = {row[0] for row in self.env.cr.fetchall()}
        orders = self.browse([order.id for order in keys])
        orders.invalidate_recordset(
            ["fiscal_key", "fiscal_state", "fiscal_operation", "fiscal_device_id"]
        )
        for order in orders.filtered(lambda o: o.id not in assigned):
            twin = self.sudo().search(
                [("fiscal_key", "=", keys[order]), ("id", "!=", order.id)], limit=1
            )
            # The till sent the same order twice: the first one carries the document.
            order._fiscal_write(
                {
                    "fiscal_state": "duplicate",
                    "fiscal_error": _(
                        "Same POS order as %s, which carries the fiscal receipt.", twin.name
                    ),
                }
            )
        return assigned

    @api.model
    def _fiscal_trigger_cron(self):
        """Ask for a run of the drain cron now, committed with the caller's transaction.

        Always a trigger of its own: one already due may belong to a run in progress,
        whose end deletes it (ir.cron._process_job), and this sale may come after the
        run's last look for orders to send.
        """
        # The id through the cached xmlid lookup: env.ref() would also query the cron's existence.
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "optics_pos_ru54fz.ir_cron_fiscal_drain"
        )
        self.env["ir.cron"].sudo().browse(cron_id)._trigger()

    # ------------------------------------------------------------------
    # The cron: enqueue (the reconciler), drain, write results back
    # ------------------------------------------------------------------
    @api.model
    def _fiscal_param(self, name, default):
        return type(default)(
            self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + name, default)
        )

    @api.model
    def _cron_fiscal_drain(self):
        """Send paid orders as they come, until none came for `idle_seconds`.

        The drain sends every register at once and stays for sales paid while it runs:
        its tick (on this thread, a few times a second) queues them, and each result is
        written to its order as the drain reports it. A sale paid after the run's last
        tick has a cron trigger of its own (create_from_ui), which outlives this run:
        Odoo deletes only the triggers dated before the run began (ir.cron._process_job).
        """
        devices = self.env["fiscal.device"].sudo().with_context(active_test=False).search([])
        if not devices:
            return
        with devices._fiscal_connector(devices) as conn:
            for device in devices.filtered("resume_requested"):  # its connection test passed
                conn.resume(device._fiscal_code())
                device._fiscal_write({"resume_requested": False})
            self._fiscal_reissue_requested(conn)
            self._fiscal_settle_queued(conn)
            self._fiscal_enqueue_pending(conn)
            conn.drain(
                max_seconds=self._fiscal_param("drain_seconds", 50.0),
                idle_seconds=self._fiscal_param("idle_seconds", 2.0),
                on_tick=lambda: self._fiscal_enqueue_pending(conn),
                on_result=lambda *outcome: self._fiscal_write_result(conn, *outcome),
            )
            devices._fiscal_after_drain(conn)

    @api.model
    def _fiscal_enqueue_pending(self, conn):
        """Put every order still "to send" into the outbox; the number of orders queued.

        This is also the reconciler: an order whose first enqueue crashed
        before its "queued" state was committed is simply enqueued again,
        and the outbox's idempotency on the key keeps it one entry.
        """
        batch = self._fiscal_param("enqueue_batch", 1000)
        orders = self.sudo().search([("fiscal_state", "=", "to_send")], order="id", limit=batch)
        queued = 0
        for order in orders:
            hold = order._fiscal_hold_reason()
            if hold:
                if order.fiscal_error != hold:
                    order._fiscal_write({"fiscal_error": hold})
                continue
            try:
                receipt = order._fiscal_receipt()
                conn.enqueue(order.fiscal_key, order.fiscal_device_id._fiscal_code(), receipt)
            except IdempotencyConflictError:
                # Already in the outbox under its key (the order changed since): the stored body
                # is the document, a second one would be a second fiscal receipt.
                _logger.info("Order %s is already in the fiscal outbox", order.name)
            except OutboxFullError as error:
                order._fiscal_write({"fiscal_error": str(error)})
                break
            except (FiscalError, UserError, ValidationError) as error:
                order._fiscal_write(
                    {
                        "fiscal_state": "failed",
                        "fiscal_error": str(error),
                        "fiscal_error_kind": getattr(error, "kind", False),
                    }
                )
                order._fiscal_flag_failure()
                continue
            order._fiscal_write({"fiscal_state": "queued", "fiscal_error": False})
            queued += 1
        _auto_commit(self.env)
        return queued

    @api.model
    def _fiscal_reissue_requested(self, conn):
        """Carry out the fiscal administrators' reissue requests: here, on the host that holds
        the outbox, whichever host took the request.

        The register is asked about the key the receipt was last sent under: a document it
        holds is adopted; a key it refused is followed by a successor; a key it never saw is
        sent again. The outbox records the answer before the order does, so a crash in between
        finds the entry queued again and the order follows it.
        """
        for order in self.sudo().search([("fiscal_state", "=", "reissue")], order="id"):
            entry = conn.entry(order.fiscal_key)
            if entry is None or entry["state"] != OUTBOX_DEAD:
                # Never queued (the builder refused it): queue it now. Or settled meanwhile.
                order._fiscal_write(
                    {
                        "fiscal_state": "to_send" if entry is None else "queued",
                        "fiscal_error": False,
                    }
                )
                continue
            try:
                answer = conn.reissue(order.fiscal_key)
            except TransientBackendError as error:  # asked again at the next run
                order._fiscal_write(
                    {"fiscal_error": _("Reissue waits for the register: %s", error)}
                )
                continue
            except FiscalError as error:
                order._fiscal_write({"fiscal_state": "failed", "fiscal_error": str(error)})
                order.message_post(body=_("Reissue refused: %s", error))
                continue
            if answer["adopted"]:
                order.message_post(
                    body=_(
                        "The register already holds document %(fd)s under key %(key)s: it is "
                        "adopted, no other receipt is sent.",
                        fd=answer["result"]["fd_number"],
                        key=answer["spent_key"],
                    )
                )
            elif answer["spent_key"]:
                order._fiscal_record_chain(conn.entry(order.fiscal_key))
            else:
                order.message_post(
                    body=_(
                        "The register never received key %s: the receipt is sent again under it.",
                        answer["send_key"],
                    )
                )
            order._fiscal_write({"fiscal_state": "queued", "fiscal_error": False})
            _auto_commit(self.env)

    def _fiscal_record_chain(self, entry):
        """Mirror the key chain of the order's outbox entry on the order, logging each key the
        register refused, confirmed empty, and the successor the receipt went out under."""
        self.ensure_one()
        spent = (entry or {}).get("spent_keys") or []
        links = self.sudo().fiscal_key_ids
        if not spent and not links:  # one key, as nearly always: nothing to show
            return
        known = {link.key: link for link in links}
        current = send_key(entry)
        chain = [(item["key"], item) for item in spent] + [(current, None)]
        for sequence, (key, item) in enumerate(chain):
            values = {"state": "current"}
            if item:
                values = {
                    "state": "spent",
                    "reason": self.fiscal_device_id._fiscal_mask(item.get("reason") or ""),
                    "spent_at": datetime.fromtimestamp(item["at"], timezone.utc).replace(
                        tzinfo=None
                    ),
                }
            link = known.get(key)
            if link is None:
                self.env["pos.order.fiscal.key"].sudo().create(
                    {"order_id": self.id, "sequence": sequence, "key": key, **values}
                )
            elif link.state != values["state"]:
                link.write(values)
            else:
                continue
            if item:
                self.message_post(
                    body=_(
                        "The register holds no document under key %(key)s (%(reason)s): the "
                        "receipt goes out again under its successor key %(successor)s.",
                        key=key,
                        reason=values["reason"],
                        successor=chain[sequence + 1][0],
                    )
                )

    @api.model
    def _fiscal_write_result(self, conn, key, state, result, error):
        """The drain's on_result: one final outcome onto its order, committed at once.

        The outbox marks the result reported only after this returned, so a crash
        before the commit offers it again; an order already written is left alone.
        On an error nothing is kept and the drain offers the result again.
        """
        order = self.sudo().search(
            [("fiscal_key", "=", key), ("fiscal_state", "in", ("to_send", "queued"))], limit=1
        )
        if not order:  # written already, or an entry of another database sharing the outbox
            return
        try:
            with self.env.cr.savepoint():
                entry = conn.entry(key) or {}
                order._fiscal_record_chain(entry)
                order._fiscal_apply_outcome(state, result, error, entry.get("last_error_kind"))
                if order.fiscal_state == "fiscalized":
                    order.session_id._fiscal_refresh_totals()
                order._fiscal_notify_till()
        finally:
            _auto_commit(self.env)  # the POS sees it now; after an error, a fresh transaction

    def _fiscal_notify_till(self):
        """Push the fiscal result to the till's POS bus, committed with the result: the
        receipt screen shows it at once instead of at its next poll."""
        for order in self:
            cashier = order.session_id.user_id
            # In the cashier's language and zone, as the till's own poll would get it.
            info = order.with_context(lang=cashier.lang, tz=cashier.tz)._fiscal_info_for_ui()
            self.env["bus.bus"]._sendone(
                order.session_id._get_bus_channel_name(),
                "OPTICS_FISCAL_RESULT",
                {order.pos_reference: info},
            )

    @api.model
    def _fiscal_settle_queued(self, conn):
        """Settle queued orders from their outbox entries: results lost before their commit."""
        queued = self.sudo().search([("fiscal_state", "=", "queued")], order="id")
        for order in queued:
            entry = conn.entry(order.fiscal_key)
            if entry is None:
                # The outbox lost it (restored or replaced file): queue it again under
                # the same key; the register's dedup on the key makes a resend harmless.
                order._fiscal_write({"fiscal_state": "to_send"})
                continue
            order._fiscal_record_chain(entry)
            order._fiscal_apply_outcome(
                entry["state"],
                entry.get("result"),
                entry.get("last_error"),
                entry.get("last_error_kind"),
            )
        queued.filtered(
            lambda o: o.fiscal_state == "fiscalized"
        ).session_id._fiscal_refresh_totals()
        _auto_commit(self.env)

    def _fiscal_apply_outcome(self, state, result, error, kind=None):
        """An outbox entry's state onto the order; `kind`: its error's (errors.error_kind)."""
        if state == OUTBOX_DONE and result:
            self._fiscal_apply_result(result)
        elif state == OUTBOX_DEAD:
            self._fiscal_write(
                {
                    "fiscal_state": "failed",
                    "fiscal_error": error or False,
                    "fiscal_error_kind": kind or "refused",
                }
            )
            self._fiscal_flag_failure()
        elif error and error != self.fiscal_error:
            self._fiscal_write({"fiscal_error": error, "fiscal_error_kind": kind or False})

    def _fiscal_payment_split(self):
        """(cash, electronic) of the document, signed like the order's amounts."""
        cash = electronic = Decimal(0)
        for payment in self.payment_ids:
            kind = payment.payment_method_id._fiscal_kind()
            if kind == "cash":
                cash += _money(payment.amount)
            elif kind == "electronic":
                electronic += _money(payment.amount)
        return float(cash), float(electronic)

    def _fiscal_apply_result(self, result):
        moment = datetime.fromisoformat(result["datetime"])
        if not moment.tzinfo:  # ATOL Online's report: the register's wall-clock time
            moment = self._fiscal_zone().localize(moment)
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        cash, electronic = self._fiscal_payment_split()
        self._fiscal_write(
            {
                "fiscal_state": "fiscalized",
                "fiscal_error": False,
                "fiscal_fn": result["fn_number"],
                "fiscal_fd_number": result["fd_number"],
                "fiscal_sign": str(result["fiscal_sign"]),
                "fiscal_datetime": moment.replace(microsecond=0),
                "fiscal_shift": result["shift_number"],
                "fiscal_receipt_number": result["receipt_number"],
                "fiscal_registration_number": result["registration_number"],
                "fiscal_qr": result.get("qr") or "",
                "fiscal_correction": result.get("operation", "").endswith("_correction"),
                "fiscal_total": float(Decimal(result["total"])),
                "fiscal_cash_amount": cash,
                "fiscal_electronic_amount": electronic,
            }
        )
        self._fiscal_failure_activities().unlink()  # the task is done: the receipt exists

    def _fiscal_failure_activities(self):
        activity_type = self.env.ref(FAILURE_ACTIVITY)
        return self.sudo().activity_ids.filtered(lambda a: a.activity_type_id == activity_type)

    def _fiscal_flag_failure(self):
        """One task per failed order for its register's fiscal administrator, kept up to
        date with the reason until the receipt is registered."""
        for order in self.sudo():
            user = order.fiscal_device_id._fiscal_responsible()
            # In the words the administrator reads.
            message = order.with_context(lang=user.lang or self.env.lang).fiscal_error_message
            note = order.fiscal_device_id._fiscal_mask(message or "")
            activity = order._fiscal_failure_activities()
            if activity:
                activity.note = note
                continue
            if user:
                order.activity_schedule(FAILURE_ACTIVITY, note=note, user_id=user.id)

    @api.model
    def _cron_fiscal_purge(self):
        devices = self.env["fiscal.device"].sudo().with_context(active_test=False).search([])
        if not devices:
            return 0
        with devices._fiscal_connector(devices) as conn:
            return conn.purge()  # the retention of the connector's settings

    def action_fiscal_reissue(self):
        """Ask for a failed receipt to be registered after all (fiscal administrators).

        Only a request, written here: the cron, on the host that holds the outbox, asks the
        register about the receipt's key and adopts, resends or issues a successor key.
        """
        self.env["fiscal.device"]._fiscal_check_admin()
        failed = self.filtered(lambda o: o.fiscal_state == "failed")
        for order in failed.sudo():
            order._fiscal_write({"fiscal_state": "reissue"})
            order.message_post(
                body=_("Reissue of the fiscal receipt requested by %s.", self.env.user.name)
            )
        self._fiscal_trigger_cron()
        return True

    # ------------------------------------------------------------------
    # What the POS shows
    # ------------------------------------------------------------------
    def _fiscal_qr_image(self):
        if not self.fiscal_qr:
            return False
        return "data:image/png;base64," + base64.b64encode(qr_png(self.fiscal_qr)).decode()

    def _fiscal_info_for_ui(self):
        self.ensure_one()
        if not self.fiscal_state:
            return False
        state_label = dict(self._fields["fiscal_state"]._description_selection(self.env))[
            self.fiscal_state
        ]
        info = {"state": self.fiscal_state, "state_label": state_label}
        if self.fiscal_state == "failed":
            # Who was really told (the task's assignee); none: the till says to call someone.
            info["notified"] = self._fiscal_failure_activities()[:1].user_id.name or False
        if self.fiscal_state == "fiscalized":
            info.update(
                {
                    "fn": self.fiscal_fn,
                    "fd": self.fiscal_fd_number,
                    "fp": self.fiscal_sign,
                    "datetime": self._fiscal_datetime_display(),
                    "shift": self.fiscal_shift,
                    "receipt_number": self.fiscal_receipt_number,
                    "registration_number": self.fiscal_registration_number,
                    "total": self.fiscal_total,
                    "qr_image": self._fiscal_qr_image(),
                }
            )
        return info

    def _fiscal_datetime_display(self):
        """The fiscal time as the register printed it (its zone), in the user's language."""
        return format_datetime(
            self.sudo().env,  # any user reads the language's formats
            self.fiscal_datetime,
            tz=self._fiscal_zone().zone,
            dt_format="medium",
        )

    @api.model
    def fiscal_info_for_ui(self, pos_references):
        """Fiscal state and data of orders by their POS reference (polled by the receipt screen)."""
        orders = self.search([("pos_reference", "in", pos_references)])
        return {order.pos_reference: order._fiscal_info_for_ui() for order in orders}

    @api.model
    def optics_jobs_for_ui(self, partner_id):
        """Open glasses jobs of a customer, with the deposits still to set off (for the till)."""
        # With the cashier's rights: the jobs of the companies the till works for.
        jobs = self.env["mrp.production"].search(
            [
                ("optics_partner_id", "=", partner_id),
                ("state", "not in", ("cancel",)),
                ("company_id", "in", self.env.companies.ids),
            ],
            order="id desc",
            limit=20,
        )
        jobs = jobs.filtered(
            lambda job: job.optics_stage != "delivered" or job.fiscal_deposit_total
        )
        return [
            {"id": job.id, "name": job.name, "deposit": job.fiscal_deposit_total} for job in jobs
        ]

    def _export_for_ui(self, order):
        values = super()._export_for_ui(order)
        values["fiscal"] = order._fiscal_info_for_ui()
        return values
