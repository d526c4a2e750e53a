import contextlib
import logging
import os
from datetime import datetime, timezone

from fiscal_connector.backends.atol_web import shift_counters
from fiscal_connector.connector import shift_opening, with_backend
from fiscal_connector.errors import FiscalError
from stdnum.ru import inn as ru_inn

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import config

from odoo.addons.base.models.res_partner import _tz_get

from fiscal_connector import ConnectorConfig, DeviceConfig, open_connector

TAXATION_SYSTEMS = [
    ("osn", "General (OSN)"),
    ("usn_income", "Simplified, income (USN)"),
    ("usn_income_outcome", "Simplified, income minus expense (USN)"),
    ("esn", "Unified agricultural tax (ESHN)"),
    ("patent", "Patent"),
]

# Connector policy read from system parameters (data, not code): name -> default,
# whose type is the parameter's.
CONNECTOR_PARAMS = {
    "max_entries": 100000,
    "retention_days": 30,
    "backoff_base": 1.0,
    "backoff_cap": 300.0,
    "breaker_fail_max": 5,
    "breaker_reset_timeout": 30.0,
}
_logger = logging.getLogger(__name__)

PARAM_PREFIX = "optics_pos_ru54fz."
# Sessions in these states still sell in their register's shift.
OPEN_SESSION_STATES = ("opening_control", "opened", "closing_control")
# Fiscal states of paid orders whose receipt is still to come (failed ones aside).
FISCAL_WAITING_STATES = ("to_send", "queued", "reissue")
# A device's numbers (_fiscal_figures), counted in PostgreSQL.
FIGURES = ("waiting", "failed", "oldest_age")


def _utc_datetime(epoch_seconds):
    """An outbox time (epoch seconds) as Odoo stores date-times; False for none."""
    if not epoch_seconds:
        return False
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(tzinfo=None)


class FiscalDevice(models.Model):
    _name = "fiscal.device"
    _description = "Cash Register (KKT)"
    _inherit = ["mail.thread", "fiscal.guard.mixin"]
    _order = "name"
    # Read from the outbox (no one writes them), and the register's shift.
    _fiscal_guarded_fields = (
        "queue_depth",
        "sending_count",
        "unknown_count",
        "failed_count",
        "oldest_pending_age",
        "breaker_state",
        "last_success",
        "last_error",
        "dead_count",
        "status_at",
        "resume_requested",
        "paused_reason",
        "last_error_kind",
        "paused_kind",
        "shift_opened_at",
        "shift_renewed_at",
        "z_report_due",
    )

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    backend = fields.Selection(
        [
            ("atol_web", "ATOL Web Server (register in the store)"),
            ("atol_online", "ATOL Online (cloud register)"),
        ],
        required=True,
        default="atol_web",
        tracking=True,
    )
    url = fields.Char(
        "Endpoint URL",
        required=True,
        tracking=True,
        help="Base URL of the backend, e.g. http://192.168.1.20:16732 for ATOL Web Server "
        "or https://online.atol.ru/possystem/v5/ for ATOL Online.",
    )
    login = fields.Char(groups="optics_pos_ru54fz.group_fiscal_admin", copy=False)
    password = fields.Char(groups="optics_pos_ru54fz.group_fiscal_admin", copy=False)
    group_code = fields.Char(
        groups="optics_pos_ru54fz.group_fiscal_admin",
        copy=False,
        help="ATOL Online group code of the cloud register.",
    )
    tz = fields.Selection(
        _tz_get,
        "Time Zone",
        required=True,
        default=lambda self: self.env.company.partner_id.tz or "Europe/Moscow",
        help="The zone of the register's clock: receipts show their fiscal time in it, as "
        "the register prints it and its QR code carries it.",
    )
    timeout = fields.Float(
        "Timeout (s)", default=5.0, help="Seconds to wait for one answer of the backend."
    )
    send_window = fields.Integer(
        default=10,
        required=True,
        tracking=True,
        help="How many of the register's oldest waiting receipts the connector may choose "
        "from. 1 sends strictly in sale order, so a receipt waiting for a retry (an answer "
        "lost on the way, a document the backend is still processing) holds up every sale "
        "behind it; more lets the later ones go meanwhile. A refund always waits for its sale.",
    )
    correction_after_hours = fields.Integer(
        "Late Sales As Corrections After (h)",
        default=0,
        tracking=True,
        help="A sale registered late (an outage, a refused receipt recovered) goes out as a "
        "correction receipt (1173: on its own initiative, 1178: the sale's date) this many "
        "hours after the sale; 0: once the sale's calendar day has ended in the register's "
        "time zone.",
    )
    company_inn = fields.Char("Company INN", required=True, tracking=True)
    company_email = fields.Char("Company E-mail")
    taxation = fields.Selection(TAXATION_SYSTEMS, "Taxation System", required=True, default="osn")
    settlement_address = fields.Char(help="Settlement address printed on receipts (tag 1009).")
    settlement_place = fields.Char(
        help="Settlement place (tag 1187): the store, or the web site for online sales."
    )
    registration_number = fields.Char(
        "KKT Registration Number",
        help="Registration number of the register at the tax service (tag 1037).",
    )
    pos_config_ids = fields.One2many("pos.config", "fiscal_device_id", "Points of Sale")
    responsible_id = fields.Many2one(
        "res.users",
        "Failed Receipts Go To",
        domain=lambda self: [
            ("groups_id", "in", self.env.ref("optics_pos_ru54fz.group_fiscal_admin").ids)
        ],
        help="Fiscal administrator given a task for each receipt of this register that fails; "
        "empty: the first fiscal administrator of the company.",
    )
    failure_activity_ids = fields.Many2many(
        "mail.activity",
        string="Failed Receipt Tasks",
        compute="_compute_failure_activity_ids",
        help="Open tasks of the fiscal administrators for receipts of this register that failed.",
    )

    queue_depth = fields.Integer(
        "Waiting",
        compute="_compute_live_status",
        help="Paid orders whose receipt is not fiscalized yet, in the outbox or not.",
    )
    failed_count = fields.Integer(
        "Failed",
        compute="_compute_live_status",
        help="Paid orders whose receipt failed: refused by the register or never queued.",
    )
    oldest_pending_age = fields.Char("Oldest Waiting", compute="_compute_live_status")
    # Written by the cron host after each drain (the outbox lives there): every host reads
    # them from PostgreSQL.
    status_at = fields.Datetime(
        "Connector Status At",
        readonly=True,
        copy=False,
        help="When the host that sends the receipts last wrote the figures below.",
    )
    sending_count = fields.Integer(
        "Sending", readonly=True, copy=False, help="Receipts being sent to the register."
    )
    unknown_count = fields.Integer(
        "Outcome Unknown",
        readonly=True,
        copy=False,
        help="Receipts sent without an answer yet: the register is asked again before a resend.",
    )
    dead_count = fields.Integer("Dead Letters", readonly=True, copy=False)
    breaker_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half-open", "Half-Open")],
        "Circuit Breaker",
        readonly=True,
        copy=False,
        help="Closed: receipts go to the register. Open: the register failed several times "
        "in a row and is left alone for a while. Half-open: one receipt tries again.",
    )
    last_success = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Char(
        "Technical Detail",
        readonly=True,
        copy=False,
        help="The connector's own text of the last error, for the technician.",
    )
    last_error_kind = fields.Char(readonly=True, copy=False)
    last_error_message = fields.Char("Last Error", compute="_compute_error_messages")
    paused_kind = fields.Char(readonly=True, copy=False)
    paused_message = fields.Char("Paused Because", compute="_compute_error_messages")
    paused_reason = fields.Char(
        "Paused",
        readonly=True,
        copy=False,
        help="The register refused this register's settings (credentials, group code): its "
        "receipts wait, none is lost, until the settings change or a connection test passes.",
    )
    shift_opened_at = fields.Datetime(
        "Shift Opened",
        readonly=True,
        copy=False,
        help="When the register's open shift was opened, by the register's own clock; empty "
        "while its shift is closed. A shift lasts at most 24 hours.",
    )
    shift_renewed_at = fields.Datetime(
        "Shift Renewed",
        readonly=True,
        copy=False,
        help="When the connector last closed and reopened the register's shift by itself, "
        "because the register refused receipts for it (over 24 hours, or closed).",
    )
    resume_requested = fields.Boolean(
        readonly=True,
        copy=False,
        help="A connection test passed while the register was paused: the host that sends the "
        "receipts resumes it at its next run.",
    )
    z_report_due = fields.Boolean(
        readonly=True,
        copy=False,
        help="The last POS session on this register closed before its Z report could be "
        "printed (receipts still waiting, or the register not answering): the fiscal queue "
        "prints it once every receipt is sent and no session uses the register.",
    )

    def _compute_failure_activity_ids(self):
        failed = (
            self.env["pos.order"]
            .sudo()
            .search([("fiscal_device_id", "in", self.ids), ("fiscal_state", "=", "failed")])
        )
        activities = failed._fiscal_failure_activities()
        for device in self:
            device.failure_activity_ids = activities.filtered(
                lambda a, d=device: failed.browse(a.res_id).fiscal_device_id == d
            )

    def _fiscal_responsible(self):
        """Who is told of this register's failed receipts: its responsible, else the first
        active fiscal administrator of its company."""
        self.ensure_one()
        if self.responsible_id.active:
            return self.responsible_id
        return (
            self.env.ref("optics_pos_ru54fz.group_fiscal_admin")
            .sudo()
            .users.filtered(lambda u: not u.share and self.company_id in u.company_ids)
            .sorted("id")[:1]
        )

    @api.constrains("company_inn")
    def _check_company_inn(self):
        for device in self:
            if not ru_inn.is_valid(device.company_inn or ""):
                raise ValidationError(
                    _(
                        "The company INN %(inn)s of register %(name)s is not a valid INN.",
                        inn=device.company_inn,
                        name=device.name,
                    )
                )

    @api.constrains("send_window")
    def _check_send_window(self):
        if any(device.send_window < 1 for device in self):
            raise ValidationError(_("The send window is at least 1 receipt."))

    @api.constrains("url")
    def _check_url(self):
        for device in self:
            if not (device.url or "").lower().startswith(("http://", "https://")):
                raise ValidationError(_("The endpoint URL must start with http:// or https://."))

    # ------------------------------------------------------------------
    # The one way into the fiscal connector core
    # ------------------------------------------------------------------
    def _fiscal_code(self):
        """Device code in the outbox: unique per database so one outbox file may serve several."""
        self.ensure_one()
        return f"{self.env.cr.dbname}-{self.id}"

    @api.model
    def _fiscal_outbox_path(self):
        path = config.get("fiscal_outbox_path")
        dbname = self.env.cr.dbname
        if path:
            return os.path.abspath(path.replace("{db}", dbname))
        return os.path.join(config["data_dir"], "fiscal", dbname, "outbox.sqlite3")

    @api.model
    def _fiscal_connector_config(self):
        fiscal_param = self.env["pos.order"]._fiscal_param
        policy = {name: fiscal_param(name, default) for name, default in CONNECTOR_PARAMS.items()}
        path = self._fiscal_outbox_path()
        return ConnectorConfig(path, redis_url=config.get("fiscal_redis_url") or None, **policy)

    def _fiscal_device_config(self, timeout=None):
        self.ensure_one()
        device = self.sudo()
        return DeviceConfig(
            device._fiscal_code(),
            backend=device.backend,
            url=device.url,
            login=device.login or "",
            password=device.password or "",
            group_code=device.group_code or "",
            company_inn=device.company_inn or "",
            company_email=device.company_email or "",
            payment_address=device.settlement_place or "",
            timeout=timeout or device.timeout or 5.0,
            tz=device.tz or "",
            correction_after_hours=device.correction_after_hours,
            send_window=device.send_window,
        )

    @api.model
    @contextlib.contextmanager
    def _fiscal_connector(self, devices=None, timeout=None, create=True):
        """Open the core's connector for `devices` (default: all); closed after use.
        `create`: False refuses (FiscalError) on a host that holds no outbox."""
        if devices is None:
            devices = self.sudo().with_context(active_test=False).search([])
        conn = open_connector(
            self._fiscal_connector_config(),
            [d._fiscal_device_config(timeout) for d in devices],
            create=create,
        )
        try:
            yield conn
        finally:
            conn.close()

    # ------------------------------------------------------------------
    # Live status, test connection, reports
    # ------------------------------------------------------------------
    def _compute_live_status(self):
        figures = self.filtered("id")._fiscal_figures()
        for device in self:
            counts = figures.get(device.id) or dict.fromkeys(FIGURES, 0)
            device.queue_depth = counts["waiting"]
            device.failed_count = counts["failed"]
            device.oldest_pending_age = (
                self._format_age(counts["oldest_age"]) if counts["waiting"] else ""
            )

    def _fiscal_store_status(self, statuses):
        """Keep in PostgreSQL what the outbox (connector.status()) says of each device, for
        every host to show: its outbox figures, breaker, last success and error, why it is
        paused, and its shift when the drain renewed it."""
        for device in self:
            status = statuses.get(device._fiscal_code()) or {}
            states = status.get("states") or {}
            values = {
                "sending_count": states.get("sending", 0),
                "unknown_count": states.get("unknown", 0),
                "dead_count": states.get("dead", 0),
                "breaker_state": status.get("breaker") or False,
                "last_success": _utc_datetime(status.get("last_success")),
                "last_error": device._fiscal_mask(status.get("last_error") or "") or False,
                "last_error_kind": status.get("last_error_kind") or False,
                "paused_reason": device._fiscal_mask(status.get("paused") or "") or False,
                "paused_kind": status.get("paused_kind") or False,
                "shift_renewed_at": _utc_datetime(status.get("shift_renewed_at")),
            }
            if values["shift_renewed_at"] != device.shift_renewed_at:
                values["shift_opened_at"] = _utc_datetime(status.get("shift_opened_at"))
            changed = {name: value for name, value in values.items() if device[name] != value}
            if changed:
                device._fiscal_write({**changed, "status_at": fields.Datetime.now()})

    @api.depends_context("lang")
    @api.depends("last_error", "last_error_kind", "paused_reason", "paused_kind")
    def _compute_error_messages(self):
        for device in self:
            device.last_error_message = device._fiscal_error_message(
                device.last_error_kind, device.last_error
            )
            device.paused_message = device._fiscal_error_message(
                device.paused_kind, device.paused_reason
            )

    @api.model
    def _fiscal_error_message(self, kind, detail):
        """An error of the connector in the user's language, by its kind ("refused:234",
        see fiscal_connector.errors.error_kind); its own English text (`detail`) where the
        kind has no wording here."""
        # An if-chain, not a table of lambdas: _() finds the user's language in its caller's
        # frame, and a lambda's frame has none.
        name, _sep, code = (kind or "").partition(":")
        if name == "refused" and code:
            return _("The register refused the receipt (error %s); nothing was registered.", code)
        if name == "refused":
            return _("The register refused the receipt; nothing was registered.")
        if name == "invalid":
            return _("The receipt breaks a rule of FFD 1.2; nothing was registered.")
        if name == "unreachable":
            return _("The register does not answer: the receipt waits and is sent again.")
        if name == "processing":
            return _("The register is still processing the receipt: it is asked again.")
        if name == "interrupted":
            return _("Sending was interrupted: the register is asked what became of the receipt.")
        if name == "reference":
            return _(
                "The sale this return refers to was refused: reissue the sale first, then "
                "this return."
            )
        if name == "waiting_reference":
            return _("Waits until the sale it returns is registered.")
        if name == "settings":
            return _(
                "The register refused its settings (error %s): check the login, password and "
                "group code.",
                code or "?",
            )
        return detail or False

    def _fiscal_figures(self, domain=()):
        """The numbers of each device, for every screen that shows them: {id: figures}.

        From PostgreSQL, on any host: `waiting` (paid, not fiscalized, queued or not),
        `failed` (refused by the register or never queued) and `oldest_age` (seconds, of the
        oldest waiting order). `domain` narrows the orders (a POS session's).
        """
        groups = (
            self.env["pos.order"]
            .sudo()
            ._read_group(
                [
                    ("fiscal_device_id", "in", self.ids),
                    ("fiscal_state", "in", (*FISCAL_WAITING_STATES, "failed")),
                    *domain,
                ],
                ["fiscal_device_id", "fiscal_state"],
                ["__count", "date_order:min"],
            )
        )
        now = fields.Datetime.now()
        figures = {}
        for device in self:
            figures[device.id] = dict.fromkeys(FIGURES, 0)
        for device, state, count, oldest in groups:
            counts = figures[device.id]
            if state == "failed":
                counts["failed"] += count
                continue
            counts["waiting"] += count
            counts["oldest_age"] = max(counts["oldest_age"], int((now - oldest).total_seconds()))
        return figures

    @api.model
    def _format_age(self, seconds):
        minutes, secs = divmod(int(seconds), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}"

    @api.model
    def _fiscal_check_admin(self):
        """Server-side gate of the fiscal actions: buttons and RPC calls alike."""
        if not (self.env.su or self.env.user.has_group("optics_pos_ru54fz.group_fiscal_admin")):
            raise AccessError(_("Only fiscal administrators may do this."))

    def _fiscal_mask(self, text):
        """`text` without the devices' credentials, for anything shown or stored."""
        for device in self.sudo():
            for secret in (device.login, device.password, device.group_code):
                if secret:
                    text = text.replace(secret, "***")
        return text

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": self._fiscal_mask(message),
                "type": kind,
                "sticky": False,
            },
        }

    def action_test_connection(self):
        self.ensure_one()
        self._fiscal_check_admin()
        timeout = min(self.timeout or 3.0, 3.0)
        try:
            # Straight to the register: this host may not be the one holding the outbox.
            answer = with_backend(self._fiscal_device_config(timeout), lambda b: b.ping())
        except FiscalError as error:
            return self._notify(
                _("Connection failed"),
                _("The register did not pass the connection test: %s", error),
                "danger",
            )
        if self.paused_reason:  # the cron host resumes it at its next run, now
            self._fiscal_write({"resume_requested": True})
            self.env["pos.order"]._fiscal_trigger_cron()
        return self._notify(_("Connection works"), self._connection_message(answer), "success")

    def _connection_message(self, answer):
        """The backend's answer (a PingAnswer of the core) in the user's language."""
        facts = getattr(answer, "facts", {})
        if self.backend == "atol_online":
            return _("ATOL Online accepted the login, password and group code.")
        message = _(
            "ATOL Web Server %(version)s answered; tasks in its queue: %(queued)s.",
            version=facts.get("version", "?"),
            queued=facts.get("queued", 0),
        )
        if facts.get("blocked"):
            message += " " + _("Its queue is blocked: %s", facts["blocked"])
        return message

    def _run_register_task(self, task):
        """Run a register task (shift, reports); the backend's answer, or UserError."""
        self.ensure_one()
        try:
            # Straight to the register, from whichever host serves the session.
            answer = with_backend(self._fiscal_device_config(), lambda b: b.run_task(task))
        except FiscalError as error:
            raise UserError(
                _(
                    "The register %(name)s did not run %(task)s: %(error)s",
                    name=self.name,
                    task=task,
                    error=self._fiscal_mask(str(error)),
                )
            ) from error
        told, opened = shift_opening(task, answer, datetime.now(timezone.utc).timestamp())
        if told and self.shift_opened_at != _utc_datetime(opened):
            # The machinery's write, whoever opens or closes the session.
            self.sudo()._fiscal_write({"shift_opened_at": _utc_datetime(opened)})
        return answer

    # ------------------------------------------------------------------
    # The register's shift: one for every POS session that sells on it
    # ------------------------------------------------------------------
    def _fiscal_open_sessions(self):
        """The POS sessions that still sell in these registers' shifts."""
        return (
            self.env["pos.session"]
            .sudo()
            .search(
                [
                    ("config_id.fiscal_device_id", "in", self.ids),
                    ("state", "in", OPEN_SESSION_STATES),
                ]
            )
        )

    def _fiscal_end_shift(self, session):
        """The last session on the register closed: print the Z report now if the register has
        sent every receipt, else leave it due for the drain cron, triggered now, which prints it
        once they are sent. Never raises: a register that does not answer must not stop the
        session's closing, and the closing request neither sends receipts nor commits."""
        self.ensure_one()
        waiting = self._fiscal_figures()[self.id]["waiting"]
        if waiting:
            self.sudo()._fiscal_write({"z_report_due": True})
            self.env["pos.order"]._fiscal_trigger_cron()
            session.message_post(
                body=_(
                    "The shift of register %(register)s stays open: %(count)s receipt(s) still "
                    "wait to be sent. The Z report is printed as soon as they are sent.",
                    register=self.name,
                    count=waiting,
                )
            )
            return
        try:
            self._fiscal_print_z_report()
        except UserError as error:
            self.sudo()._fiscal_write({"z_report_due": True})
            session.message_post(
                body=_("Z report not printed, the fiscal queue tries again: %s", error)
            )

    def _fiscal_print_z_report(self):
        """Close the register's shift (the Z report) for the closed sessions that sold in it;
        UserError when the register did not."""
        self.ensure_one()
        status = (self._run_register_task("getShiftStatus") or {}).get("shiftStatus") or {}
        values = {"fiscal_z_report_done": True}
        if status.get("state") == "closed":
            # Closed at the register itself, or by a run that died before its commit: asking
            # for a Z report again would fail for ever.
            message = _(
                "The shift of register %s was closed already: there is no Z report to print.",
                self.name,
            )
        else:
            # The register's own counters, read before the Z report resets them.
            totals = (self._run_register_task("getShiftTotals") or {}).get("shiftTotals") or {}
            counters = shift_counters(totals)
            params = (self._run_register_task("closeShift") or {}).get("fiscalParams") or {}
            values.update(
                fiscal_z_counted=True,
                fiscal_z_cash_total=float(counters["cash"]),
                fiscal_z_electronic_total=float(counters["electronic"]),
                fiscal_z_prepaid_total=float(counters["prepaid"]),
                fiscal_z_credit_total=float(counters["credit"]),
            )
            if params.get("shiftNumber"):
                values["fiscal_shift_number"] = params["shiftNumber"]
            message = _(
                "Z report printed by register %(register)s: shift %(shift)s, fiscal document "
                "%(document)s.",
                register=self.name,
                shift=params.get("shiftNumber"),
                document=params.get("fiscalDocumentNumber"),
            )
        sessions = (
            self.env["pos.session"]
            .sudo()
            .search(
                [
                    ("config_id.fiscal_device_id", "=", self.id),
                    ("state", "=", "closed"),
                    ("fiscal_z_report_done", "=", False),
                ]
            )
        )
        sessions._fiscal_write(values)
        self.sudo()._fiscal_write({"z_report_due": False})
        for record in (self.sudo(), *sessions):
            record.message_post(body=message)

    def _fiscal_after_drain(self, conn):
        """The drain cron's last step: what the outbox says of the registers, for every host
        to show, then the Z reports due on registers that sent every receipt and serve no open
        session."""
        self._fiscal_store_status(conn.status())
        due = self.filtered(lambda d: d.z_report_due and d.backend == "atol_web")
        if not due:
            return
        figures = due._fiscal_figures()
        busy = due._fiscal_open_sessions().config_id.fiscal_device_id
        for device in due - busy:
            if figures[device.id]["waiting"]:
                continue
            try:
                device._fiscal_print_z_report()
            except UserError as error:
                _logger.warning(
                    "Register %s: the Z report due is not printed yet: %s", device.name, error
                )

    def action_sync_now(self):
        self._fiscal_check_admin()
        self.env["pos.order"]._fiscal_trigger_cron()
        return self._notify(
            _("Sending receipts"), _("The fiscal queue will be processed within a minute."), "info"
        )

    def action_view_dead_letters(self):
        return self.env["fiscal.dead.letter"].action_open(self)

    # ------------------------------------------------------------------
    # Contract for other modules (connector_b)
    # ------------------------------------------------------------------
    @api.model
    def _fiscal_unsent_count(self, company):
        """Paid orders of `company` whose receipts are still on their way to its registers
        (to send, queued, or reissued by an administrator), read from PostgreSQL on any host.

        Failed orders and dead letters are left out: they wait for an administrator, not for
        a register, and must not stop the company's work (connector_b refuses imports while
        this is not 0) until one acts.
        """
        return (
            self.env["pos.order"]
            .sudo()
            .search_count(
                [("company_id", "=", company.id), ("fiscal_state", "in", FISCAL_WAITING_STATES)]
            )
        )
