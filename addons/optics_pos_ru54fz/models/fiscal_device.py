import contextlib
import logging
import os
from datetime import datetime, timezone

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
PARAM_PREFIX = "optics_pos_ru54fz."
# Sessions in these states still sell in their register's shift.
OPEN_SESSION_STATES = ("opening_control", "opened", "closing_control")
# Register tasks after which the outbox knows the register's shift anew.
SHIFT_TASKS = ("openShift", "closeShift", "getShiftStatus")
# A device's numbers (_fiscal_figures): from PostgreSQL, and from the outbox's states.
OUTBOX_FIGURES = ("sending", "unknown", "dead")
FIGURES = ("waiting", "failed", "oldest_age", *OUTBOX_FIGURES)

_logger = logging.getLogger(__name__)


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
        "shift_opened_at",
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
    sending_count = fields.Integer(
        "Sending", compute="_compute_live_status", help="Receipts being sent to the register."
    )
    unknown_count = fields.Integer(
        "Outcome Unknown",
        compute="_compute_live_status",
        help="Receipts sent without an answer yet: the register is asked again before a resend.",
    )
    failed_count = fields.Integer(
        "Failed",
        compute="_compute_live_status",
        help="Paid orders whose receipt failed: refused by the register or never queued.",
    )
    oldest_pending_age = fields.Char("Oldest Waiting", compute="_compute_live_status")
    breaker_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half-open", "Half-Open")],
        "Circuit Breaker",
        compute="_compute_live_status",
        help="Closed: receipts go to the register. Open: the register failed several times "
        "in a row and is left alone for a while. Half-open: one receipt tries again.",
    )
    last_success = fields.Datetime(compute="_compute_live_status")
    last_error = fields.Char(compute="_compute_live_status")
    dead_count = fields.Integer("Dead Letters", compute="_compute_live_status")
    # The shift belongs to the register, whichever points of sale sell in it.
    shift_opened_at = fields.Datetime(
        "Shift Open Since",
        readonly=True,
        copy=False,
        help="When the register's current shift was opened; empty while it is closed.",
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
        os.makedirs(os.path.dirname(path), exist_ok=True)
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
        )

    @api.model
    @contextlib.contextmanager
    def _fiscal_connector(self, devices=None, timeout=None):
        """Open the core's connector for `devices` (default: all); closed after use."""
        if devices is None:
            devices = self.sudo().with_context(active_test=False).search([])
        conn = open_connector(
            self._fiscal_connector_config(), [d._fiscal_device_config(timeout) for d in devices]
        )
        try:
            yield conn
        finally:
            conn.close()

    # ------------------------------------------------------------------
    # Live status, test connection, reports
    # ------------------------------------------------------------------
    @api.depends_context("uid")
    def _compute_live_status(self):
        devices = self.filtered("id")
        statuses, outbox_error = {}, ""
        if devices:
            try:
                with self._fiscal_connector(devices) as conn:
                    statuses = conn.status()
            except FiscalError as error:
                outbox_error = _("Outbox unavailable: %s", error)
        figures = devices._fiscal_figures(None if outbox_error else statuses)
        for device in self:
            status = statuses.get(device._fiscal_code() if device.id else None) or {}
            counts = figures.get(device.id) or dict.fromkeys(FIGURES, 0)
            device.queue_depth = counts["waiting"]
            device.sending_count = counts["sending"] or 0
            device.unknown_count = counts["unknown"] or 0
            device.failed_count = counts["failed"]
            device.dead_count = counts["dead"] or 0
            device.oldest_pending_age = (
                self._format_age(counts["oldest_age"]) if counts["waiting"] else ""
            )
            device.breaker_state = status.get("breaker") or False
            success = status.get("last_success")  # epoch seconds in the outbox
            device.last_success = (
                datetime.fromtimestamp(success, timezone.utc).replace(tzinfo=None)
                if success
                else False
            )
            device.last_error = device._fiscal_mask(str(status.get("last_error") or outbox_error))

    def _fiscal_figures(self, statuses=None, domain=()):
        """The numbers of each device, for every screen that shows them: {id: figures}.

        From PostgreSQL: `waiting` (paid, not fiscalized, queued or not), `failed` (refused
        by the register or never queued) and `oldest_age` (seconds, of the oldest waiting
        order). From the outbox `statuses` (connector.status()), where given, else None:
        `sending`, `unknown` and `dead`. `domain` narrows the orders (a POS session's).
        """
        groups = (
            self.env["pos.order"]
            .sudo()
            ._read_group(
                [
                    ("fiscal_device_id", "in", self.ids),
                    ("fiscal_state", "in", ("to_send", "queued", "failed")),
                    *domain,
                ],
                ["fiscal_device_id", "fiscal_state"],
                ["__count", "date_order:min"],
            )
        )
        now = fields.Datetime.now()
        figures = {}
        for device in self:
            states = ((statuses or {}).get(device._fiscal_code()) or {}).get("states") or {}
            figures[device.id] = {
                "waiting": 0,
                "failed": 0,
                "oldest_age": 0,
                **{
                    name: states.get(name, 0) if statuses is not None else None
                    for name in OUTBOX_FIGURES
                },
            }
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
            with self._fiscal_connector(self, timeout=timeout) as conn:
                answer = conn.test_connection(self._fiscal_code())
        except FiscalError as error:
            return self._notify(
                _("Connection failed"),
                _("The register did not pass the connection test: %s", error),
                "danger",
            )
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
            with self._fiscal_connector(self) as conn:
                answer = conn.run_task(self._fiscal_code(), task)
                if task in SHIFT_TASKS:
                    self._fiscal_note_shift(conn.status())
                return answer
        except FiscalError as error:
            raise UserError(
                _(
                    "The register %(name)s did not run %(task)s: %(error)s",
                    name=self.name,
                    task=task,
                    error=self._fiscal_mask(str(error)),
                )
            ) from error

    # ------------------------------------------------------------------
    # The register's shift: one for every POS session that sells on it
    # ------------------------------------------------------------------
    def _fiscal_note_shift(self, statuses):
        """The registers' shifts as the outbox last saw them (`statuses`: connector.status()):
        after a shift task, and after the drain renewed a shift over 24 hours."""
        for device in self:
            opened = (statuses.get(device._fiscal_code()) or {}).get("shift_opened_at")
            value = (
                datetime.fromtimestamp(opened, timezone.utc).replace(tzinfo=None, microsecond=0)
                if opened
                else False
            )
            if device.shift_opened_at != value:
                device.sudo()._fiscal_write({"shift_opened_at": value})

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

    def _fiscal_drain(self, seconds):
        """Send this register's receipts now, as the cron does, for at most `seconds`."""
        self.ensure_one()
        orders = self.env["pos.order"]
        # Every register in the connector: the enqueue step queues the orders of all of them.
        with self._fiscal_connector() as conn:
            orders._fiscal_settle_queued(conn)
            orders._fiscal_enqueue_pending(conn)
            conn.drain(
                max_seconds=seconds,
                devices=[self._fiscal_code()],
                on_result=orders._fiscal_write_result,
            )

    def _fiscal_end_shift(self, session):
        """The last session on the register closed: print the Z report once the register has
        sent every receipt, else leave it due for the cron. Never raises: a register that does
        not answer must not stop the session's closing."""
        self.ensure_one()
        seconds = self.env["pos.order"]._fiscal_param("z_drain_seconds", 20.0)
        try:
            if seconds > 0:  # 0: a host without the outbox leaves the sending to the cron
                self._fiscal_drain(seconds)
        except (FiscalError, UserError, OSError) as error:  # OSError: the outbox's folder
            _logger.warning(
                "Register %s: receipts not sent before the Z report: %s", self.name, error
            )
        waiting = self._fiscal_figures()[self.id]["waiting"]
        if waiting:
            self.sudo()._fiscal_write({"z_report_due": True})
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
        if status.get("state") == "closed":
            # Closed at the register itself, or by a run that died before its commit: asking
            # for a Z report again would fail for ever.
            params = {}
            message = _(
                "The shift of register %s was closed already: there is no Z report to print.",
                self.name,
            )
        else:
            params = (self._run_register_task("closeShift") or {}).get("fiscalParams") or {}
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
        values = {"fiscal_z_report_done": True}
        if params.get("shiftNumber"):
            values["fiscal_shift_number"] = params["shiftNumber"]
        sessions._fiscal_write(values)
        self.sudo()._fiscal_write({"z_report_due": False})
        for record in (self.sudo(), *sessions):
            record.message_post(body=message)

    def _fiscal_after_drain(self, conn):
        """The drain cron's last step: the registers' shifts as the outbox saw them, then the
        Z reports due on registers that sent every receipt and serve no open session."""
        self._fiscal_note_shift(conn.status())
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
        """Receipts of `company` still on their way to its registers.

        Paid orders of the company to send or queued, plus outbox entries of its registers
        that no such order accounts for. Failed orders and dead letters are left out: they
        wait for an administrator, not for a register, and must not stop the company's
        work (connector_b refuses imports while this is not 0) until one acts.
        """
        waiting = ("to_send", "queued")
        orders = self.env["pos.order"].sudo()
        unsent = orders.search_count(
            [("company_id", "=", company.id), ("fiscal_state", "in", waiting)]
        )
        devices = (
            self.sudo().with_context(active_test=False).search([("company_id", "=", company.id)])
        )
        if not devices:
            return unsent
        with self._fiscal_connector(devices) as conn:
            # One outbox file may serve several databases: count this database's devices only.
            statuses = conn.status()
        depth = {code: status.get("depth", 0) for code, status in statuses.items()}
        figures = devices._fiscal_figures()
        # The outbox's depth leaves dead letters out; the entries of waiting orders are
        # counted with their orders already.
        stray = sum(
            max(0, depth.get(device._fiscal_code(), 0) - figures[device.id]["waiting"])
            for device in devices
        )
        return unsent + stray
