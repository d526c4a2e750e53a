import json
import tempfile
from unittest.mock import patch

from fiscal_connector.emulators import EmulatorServer
from fiscal_connector.emulators.atol_online import PUBLIC_TEST_ACCOUNT

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from .common import FiscalPosCase

SLOW_REGISTER_LATENCY_MS = 500


@tagged("post_install", "-at_install")
class TestFiscalDrainRun(FiscalPosCase):
    """The drain cron as Odoo's cron thread runs it: sales paid meanwhile, results as they come."""

    fiscal_backend = "atol_online"
    credentials = {
        "login": PUBLIC_TEST_ACCOUNT["login"],
        "password": PUBLIC_TEST_ACCOUNT["password"],
        "group_code": PUBLIC_TEST_ACCOUNT["group_code"],
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device.write(cls.credentials)
        # The run stays for sales paid while it runs, as it does in production.
        cls.set_fiscal_params(idle_seconds=0.5)
        cls.cron = cls.env.ref("optics_pos_ru54fz.ir_cron_fiscal_drain")

    def run_cron_job(self):
        """One run of the drain cron as Odoo's cron thread makes it (ir.cron._process_job)."""
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        try:
            with self.registry.cursor() as cron_cr:
                job = self.cron.with_env(self.cron.env(cr=cron_cr)).read(load=None)[0]
                self.registry["ir.cron"]._process_job(self.registry.db_name, cron_cr, job)
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()

    def write_results_calling(self, hook):
        """Each result of the drain goes through `hook(key)` after it was written to its order."""
        write_result = type(self.env["pos.order"])._fiscal_write_result

        def written_then_hook(orders, conn, key, *outcome):
            write_result(orders, conn, key, *outcome)
            hook(key)

        return patch.object(type(self.env["pos.order"]), "_fiscal_write_result", written_then_hook)

    def test_sale_paid_while_the_drain_runs_is_sent_without_a_new_trigger(self):
        (first,) = self.sell(self.ui_order([(self.lens, 1)], customer=self.customer))
        later = self.env["pos.order"]

        def pay_at_first_result(key):
            nonlocal later
            if key == first.fiscal_key and not later:
                # A till pays while the run is in progress, after the run's enqueue.
                later = self.sell(self.ui_order([(self.frame, 1)], customer=self.customer))
                self.env.flush_all()

        with self.write_results_calling(pay_at_first_result):
            self.run_cron_job()

        self.assertTrue(later, "the first result was written while the run was in progress")
        self.assertEqual((first | later).mapped("fiscal_state"), ["fiscalized", "fiscalized"])
        counts = self.emulator.documents()
        self.assertEqual(counts, {first.fiscal_key: 1, later.fiscal_key: 1})
        # The next run finds nothing left to send.
        self.run_cron_job()
        self.assertEqual(self.emulator.documents(), counts)

    def test_a_lost_answer_holds_up_no_sale_behind_it(self):
        first, second = (
            self.sell(self.ui_order([(product, 1)], customer=self.customer))
            for product in (self.lens, self.frame)
        )
        self.emulator.set_faults(lost=1)  # the register keeps the first, its answer is lost
        written = []
        with self.write_results_calling(written.append):
            self.run_cron_job()
        self.assertEqual((first | second).mapped("fiscal_state"), ["fiscalized"] * 2)
        # The first waits ATOL Online's second before it is asked about; the second went
        # out meanwhile (the device's send window).
        self.assertEqual(written, [second.fiscal_key, first.fiscal_key])
        self.assertEqual(self.emulator.documents(),
                         {first.fiscal_key: 1, second.fiscal_key: 1})

    def test_the_send_window_is_at_least_one_receipt(self):
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            self.device.send_window = 0

    def test_a_slow_register_does_not_hold_back_the_results_of_another(self):
        folder = tempfile.mkdtemp(dir=self.fiscal_tmp)
        slow = EmulatorServer(
            "atol_online", f"{folder}/emulator", latency_ms=SLOW_REGISTER_LATENCY_MS
        ).start()
        self.addCleanup(slow.stop)
        slow_device = self.create_fiscal_device(backend="atol_online", url=slow.url,
                                                **self.credentials)
        fast_device = self.device
        self.config.fiscal_device_id = slow_device
        (slow_order,) = self.sell(self.ui_order([(self.frame, 1)], customer=self.customer))
        self.config.fiscal_device_id = fast_device
        (fast_order,) = self.sell(self.ui_order([(self.lens, 1)], customer=self.customer))
        self.assertEqual((slow_order | fast_order).fiscal_device_id, slow_device | fast_device)
        seen = {}

        def note_the_other_order(key):
            other = slow_order if key == fast_order.fiscal_key else fast_order
            other.invalidate_recordset(["fiscal_state"])
            seen[key] = other.fiscal_state

        with self.write_results_calling(note_the_other_order):
            self.run_fiscal_cron()

        self.assertEqual((slow_order | fast_order).mapped("fiscal_state"), ["fiscalized"] * 2)
        # The fast register's receipt was on its order while the slow one was still on its way.
        self.assertEqual(seen, {fast_order.fiscal_key: "queued",
                                slow_order.fiscal_key: "fiscalized"})
        self.assertEqual(slow.documents(), {slow_order.fiscal_key: 1})
        self.assertEqual(self.emulator.documents(), {fast_order.fiscal_key: 1})

    def test_the_till_is_told_its_result_on_the_pos_bus(self):
        (order,) = self.sell(self.ui_order([(self.lens, 1)], customer=self.customer))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.env.cr.precommit.run()  # makes the bus.bus rows, as the commit would
        channel = json_dump(
            channel_with_db(self.env.cr.dbname, order.session_id._get_bus_channel_name())
        )
        messages = [
            json.loads(row.message)
            for row in self.env["bus.bus"].sudo().search([("channel", "=", channel)])
        ]
        results = [m["payload"] for m in messages if m["type"] == "OPTICS_FISCAL_RESULT"]
        self.assertEqual(len(results), 1)
        cashier = order.session_id.user_id
        info = order.with_context(lang=cashier.lang, tz=cashier.tz)._fiscal_info_for_ui()
        self.assertEqual(results[0], {order.pos_reference: info})
        self.assertEqual(results[0][order.pos_reference]["state"], "fiscalized")
