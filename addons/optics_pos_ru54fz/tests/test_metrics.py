import os

from prometheus_client.parser import text_string_to_metric_families

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config

from .common import FiscalPosCase

TOKEN = "scrape-token-for-the-tests-0123"
URL = "/fiscal/metrics"
# Every name the route serves; tests/test_metric_names.py checks the alert rules and the
# dashboard against the core's names plus these of Odoo's own.
ODOO_METRICS = {
    "fiscal_orders",
    "fiscal_orders_oldest_waiting_age_seconds",
    "fiscal_orders_waiting_enqueue",
    "fiscal_shift_age_seconds",
}
WAITING = ("pending", "sending", "retry_wait", "unknown")


@tagged("post_install", "-at_install")
class TestFiscalMetricsRoute(FiscalPosCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.set_fiscal_params(metrics_token=TOKEN)
        self.code = self.device._fiscal_code()

    def scrape(self, authorization=f"Bearer {TOKEN}"):
        headers = {"Authorization": authorization} if authorization else {}
        return self.url_open(URL, headers=headers)

    def figures(self):
        """{(sample name, frozenset of labels): value} of one scrape."""
        response = self.scrape()
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    def device_figure(self, figures, name, **labels):
        return figures.get((name, frozenset({"device": self.code, **labels}.items())))

    def waiting(self, figures):
        return sum(
            self.device_figure(figures, "fiscal_queue_entries", state=state) or 0
            for state in WAITING
        )

    def test_a_host_without_the_outbox_answers_503_and_makes_none(self):
        elsewhere = os.path.join(self.fiscal_tmp, "web-host", "{db}.sqlite3")
        config["fiscal_outbox_path"] = elsewhere
        with self.assertLogs("odoo.addons.optics_pos_ru54fz.controllers.main", "WARNING"):
            response = self.scrape()
        self.assertEqual(response.status_code, 503)
        self.assertIn("outbox is unavailable", response.text)
        self.assertFalse(os.path.exists(os.path.dirname(elsewhere)))

    def test_refused_without_the_right_token(self):
        for authorization in (None, "Bearer wrong-token-of-the-same-size", "Basic " + TOKEN, TOKEN):
            response = self.scrape(authorization)
            self.assertEqual(response.status_code, 401, authorization)
            self.assertNotIn("fiscal_", response.text)
        self.assertEqual(self.scrape().status_code, 200)
        self.set_fiscal_params(metrics_token="")
        self.assertEqual(self.scrape().status_code, 401, "no token set: nobody gets in")

    def test_token_is_for_fiscal_admins_only(self):
        manager = new_test_user(self.env, "pos_mgr", groups="point_of_sale.group_pos_manager")
        admin = new_test_user(self.env, "fiscal_adm", groups="optics_pos_ru54fz.group_fiscal_admin")
        settings = self.env["res.config.settings"]
        self.assertNotIn("fiscal_metrics_token", settings.with_user(manager).fields_get())
        defaults = settings.with_user(admin).default_get(["fiscal_metrics_token"])
        self.assertEqual(defaults["fiscal_metrics_token"], TOKEN)
        with self.assertRaises(ValidationError):
            settings.create({"fiscal_metrics_token": "short"})

    def test_figures_follow_the_drain(self):
        session = self.config.current_session_id
        self.sell(*[self.ui_order([(self.lens, 1)]) for _n in range(3)])
        figures = self.figures()
        database = frozenset({"database": self.env.cr.dbname}.items())
        self.assertEqual(figures[("fiscal_orders_waiting_enqueue", database)], 3)
        # The session opened the register's shift: the core's figure from the register.
        self.assertGreaterEqual(self.device_figure(figures, "fiscal_shift_age_seconds"), 0)

        # The register is down: the cron queues the receipts, they wait, the breaker opens.
        self.emulator.stop()
        self.addCleanup(lambda: self.emulator.httpd or self.emulator.start())
        self.run_fiscal_cron()
        down = self.figures()
        self.assertEqual(down[("fiscal_orders_waiting_enqueue", database)], 0)
        self.assertEqual(self.waiting(down), 3)
        self.assertGreater(self.device_figure(down, "fiscal_queue_oldest_waiting_age_seconds"), 0)
        self.assertGreaterEqual(
            self.device_figure(down, "fiscal_attempts_total", result="unknown"), 1
        )
        self.assertEqual(self.device_figure(down, "fiscal_breaker_state", state="open"), 1)
        self.assertEqual(self.device_figure(down, "fiscal_breaker_state", state="closed"), 0)
        self.assertEqual(self.device_figure(down, "fiscal_dead_letters"), 0)
        done_before = self.device_figure(down, "fiscal_attempts_total", result="done") or 0

        # Back up: the queue drains, the done counter rises by the three receipts.
        self.emulator.start()
        orders = self.env["pos.order"].search([("session_id", "=", session.id)])
        for _run in range(20):
            self.run_fiscal_cron()
            if set(orders.mapped("fiscal_state")) == {"fiscalized"}:
                break
        self.assertEqual(set(orders.mapped("fiscal_state")), {"fiscalized"})
        up = self.figures()
        self.assertEqual(self.waiting(up), 0)
        self.assertEqual(self.device_figure(up, "fiscal_queue_oldest_waiting_age_seconds"), 0)
        self.assertEqual(
            self.device_figure(up, "fiscal_attempts_total", result="done"), done_before + 3
        )
        self.assertEqual(self.device_figure(up, "fiscal_breaker_state", state="closed"), 1)
        self.assertIsNotNone(self.device_figure(up, "fiscal_last_success_timestamp_seconds"))
        self.assertGreaterEqual(
            self.device_figure(up, "fiscal_backend_latency_seconds_count"),
            self.device_figure(down, "fiscal_backend_latency_seconds_count") or 0,
        )
        names = {name for name, _labels in up}
        for name in ODOO_METRICS:
            self.assertIn(name, names)

    def test_light_form_session_and_metrics_tell_one_count(self):
        # One receipt the register refuses (dead letter), one the builder refuses after
        # payment (its tax lost its fiscal mapping: never in the outbox), two waiting.
        self.emulator.set_faults(reject=1)
        (refused,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        tax18 = self.env["account.tax"].create(
            {"name": "Old VAT 18%", "amount": 18, "price_include": True}
        )
        mapping = self.env["fiscal.vat.mapping"].create(
            {"name": "Old 18%", "vat_code": "vat20", "tax_ids": tax18.ids}
        )
        case = self.create_product("Old stock case", self.categ_basic, 300.0, tax_ids=tax18.ids)
        (unbuildable,) = self.sell(self.ui_order([(case, 1)]))
        mapping.tax_ids = False
        self.run_fiscal_cron()
        self.emulator.stop()
        self.addCleanup(lambda: self.emulator.httpd or self.emulator.start())
        waiting = self.sell(*[self.ui_order([(self.lens, 1)]) for _n in range(2)])
        self.run_fiscal_cron()
        self.assertEqual((refused | unbuildable).mapped("fiscal_state"), ["failed", "failed"])
        self.assertEqual(set(waiting.mapped("fiscal_state")), {"queued"})

        light = self.config.fiscal_status_for_ui()
        self.device.invalidate_recordset()
        form = self.device.read(["queue_depth", "failed_count", "dead_count", "unknown_count"])[0]
        session = self.config.current_session_id
        session.invalidate_recordset()
        scraped = self.figures()
        expected = {"waiting": 2, "failed": 2, "dead": 1}
        self.assertEqual(
            (light["waiting"], light["failed"]), (expected["waiting"], expected["failed"])
        )
        self.assertEqual(
            (form["queue_depth"], form["failed_count"], form["dead_count"]),
            (expected["waiting"], expected["failed"], expected["dead"]),
        )
        self.assertEqual(
            (session.fiscal_pending_count, session.fiscal_failed_count),
            (expected["waiting"], expected["failed"]),
        )
        for state in ("waiting", "failed"):
            self.assertEqual(
                self.device_figure(scraped, "fiscal_orders", state=state), expected[state]
            )
        self.assertEqual(self.device_figure(scraped, "fiscal_dead_letters"), expected["dead"])
        self.assertEqual(
            self.device_figure(scraped, "fiscal_queue_entries", state="unknown"),
            form["unknown_count"],
        )
        # Ages are read a moment apart: the same oldest order, within two seconds.
        self.assertAlmostEqual(
            self.device_figure(scraped, "fiscal_orders_oldest_waiting_age_seconds"),
            light["oldest_age"],
            delta=2,
        )
        self.assertEqual(light["level"], "red")
