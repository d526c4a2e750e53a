"""Prometheus metrics of the fiscal queue, for the scraper of the chain's operators."""

import contextlib
import hmac
import logging

from fiscal_connector.errors import FiscalError
from fiscal_connector.metrics import OutboxCollector
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from odoo import SUPERUSER_ID, fields, http
from odoo.http import Response, request

_logger = logging.getLogger(__name__)

TOKEN_PARAM = "optics_pos_ru54fz.metrics_token"
SHIFT_AGE = "fiscal_shift_age_seconds"


class OdooFiscalCollector:
    """The core's outbox metrics plus what only Odoo knows: paid orders not in the outbox
    yet, and the shift age of the registers as Odoo last saw their shifts (the core's own
    figure for a device, where it has one, is kept)."""

    def __init__(self, env, outbox_collector):
        self.env = env
        self.outbox_collector = outbox_collector

    def _shift_ages(self):
        """Device code -> seconds its shift has been open (the register's shift, whichever
        sessions sell in it)."""
        devices = (
            self.env["fiscal.device"]
            .with_context(active_test=False)
            .search([("shift_opened_at", "!=", False)])
        )
        now = fields.Datetime.now()
        return {
            device._fiscal_code(): (now - device.shift_opened_at).total_seconds()
            for device in devices
        }

    def collect(self):
        shift_ages = self._shift_ages()
        for family in self.outbox_collector.collect() if self.outbox_collector else ():
            if family.name == SHIFT_AGE:
                known = {sample.labels["device"] for sample in family.samples}
                for code, age in shift_ages.items():
                    if code not in known:
                        family.add_metric([code], age)
                shift_ages = None
            yield family
        if shift_ages is not None:
            family = GaugeMetricFamily(
                SHIFT_AGE, "Seconds since the register's shift was opened.", labels=["device"]
            )
            for code, age in shift_ages.items():
                family.add_metric([code], age)
            yield family
        yield from self._order_figures()
        waiting = GaugeMetricFamily(
            "fiscal_orders_waiting_enqueue",
            "Paid POS orders whose receipt is not in the fiscal outbox yet.",
            labels=["database"],
        )
        waiting.add_metric(
            [self.env.cr.dbname],
            self.env["pos.order"].search_count([("fiscal_state", "=", "to_send")]),
        )
        yield waiting

    def _order_figures(self):
        """The devices' figures as the POS light and the device form count them."""
        devices = self.env["fiscal.device"].with_context(active_test=False).search([])
        orders = GaugeMetricFamily(
            "fiscal_orders",
            "Paid POS orders by fiscal outcome: waiting (not fiscalized yet) or failed.",
            labels=["device", "state"],
        )
        oldest = GaugeMetricFamily(
            "fiscal_orders_oldest_waiting_age_seconds",
            "Age of the oldest paid POS order whose receipt is not fiscalized yet (0: none).",
            labels=["device"],
        )
        for device_id, figures in devices._fiscal_figures().items():
            code = devices.browse(device_id)._fiscal_code()
            for state in ("waiting", "failed"):
                orders.add_metric([code, state], figures[state])
            oldest.add_metric([code], figures["oldest_age"])
        yield from (orders, oldest)


class FiscalMetricsController(http.Controller):
    @http.route(
        "/fiscal/metrics",
        type="http",
        auth="none",
        csrf=False,
        methods=["GET"],
        save_session=False,
    )
    def fiscal_metrics(self):
        """Prometheus text format. Only reads: PostgreSQL without row locks, the outbox
        through SQLite's readers, which never wait for the cron's writer."""
        env = request.env(user=SUPERUSER_ID)
        if not self._authorized(env):
            return Response(
                "A valid bearer token is required.\n",
                status=401,
                content_type="text/plain; charset=utf-8",
                headers={"WWW-Authenticate": 'Bearer realm="fiscal metrics"'},
            )
        devices = env["fiscal.device"].with_context(active_test=False).search([])
        registry = CollectorRegistry(auto_describe=False)
        try:
            with contextlib.ExitStack() as stack:
                outbox = None
                if devices:
                    # The outbox is the cron host's: scraped elsewhere, this answers 503.
                    conn = stack.enter_context(devices._fiscal_connector(devices, create=False))
                    outbox = OutboxCollector(conn)
                registry.register(OdooFiscalCollector(env, outbox))
                body = generate_latest(registry)
        except FiscalError as error:
            _logger.warning("Fiscal metrics: the outbox is unavailable: %s", error)
            return Response(
                f"The fiscal outbox is unavailable: {error}\n",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        return Response(body, status=200, content_type=CONTENT_TYPE_LATEST)

    def _authorized(self, env):
        expected = env["ir.config_parameter"].get_param(TOKEN_PARAM) or ""
        scheme, _sep, given = request.httprequest.headers.get("Authorization", "").partition(" ")
        # Constant time: the comparison's duration tells nothing about the token.
        return bool(expected) and hmac.compare_digest(
            f"{scheme.lower()} {given.strip()}".encode(), f"bearer {expected}".encode()
        )
