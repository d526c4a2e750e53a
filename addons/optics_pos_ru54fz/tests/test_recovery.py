import json
import os
from datetime import datetime, time, timedelta

import pytz
from fiscal_connector.backends import BACKENDS
from fiscal_connector.emulators import PUBLIC_TEST_ACCOUNT

from odoo.tests import tagged
from odoo.tools import config

from .common import FiscalPosCase


class RecoveryCase(FiscalPosCase):
    customer_needed = False  # a cloud register's receipts go to the buyer's e-mail

    def sell_lenses(self, count):
        """`count` orders of one lens, paid in one call, oldest first."""
        customer = self.customer if self.customer_needed else False
        orders = self.sell(
            *[self.ui_order([(self.lens, 1)], customer=customer) for _ in range(count)]
        )
        return orders.sorted("id")

    def run_cron_until_fiscalized(self, orders, runs=10):
        for _ in range(runs):
            self.run_fiscal_cron()
            if set(orders.mapped("fiscal_state")) == {"fiscalized"}:
                return
        self.fail(f"not fiscalized: {orders.filtered(lambda o: o.fiscal_state != 'fiscalized')}")

    def documents_by_key(self):
        """{key the register received: its FD number, None for one it refused}."""
        return {
            document["key"]: document["fd_number"]
            for document in self.emulator_documents()
            if document["operation"] in ("sell", "sellReturn", "sellCorrection")
        }

    def messages(self, order):
        return order.message_ids.mapped(lambda m: m.body.striptags())


@tagged("post_install", "-at_install")
class TestRecoveryWebServer(RecoveryCase):
    def test_expired_shift_mid_session_is_renewed_and_all_orders_go_once_in_order(self):
        first = self.sell_lenses(10)
        self.run_fiscal_cron()
        self.emulator.age_shift(25)  # the register's shift passes 24 hours mid-session
        orders = first | self.sell_lenses(10)
        with self.assertLogs("fiscal_connector.drain", "WARNING") as logged:
            self.run_cron_until_fiscalized(orders)
        self.assertIn("the shift was closed and a new one opened", logged.output[0])

        documents = self.documents_by_key()
        refused = [key for key, fd in documents.items() if fd is None]
        self.assertEqual(len(refused), 1, "one receipt met the expired shift")
        order = orders.filtered(lambda o: o.fiscal_key == refused[0])
        chain = order.fiscal_key_ids
        self.assertEqual(chain.mapped("key"), [order.fiscal_key, f"{order.fiscal_key}.r1"])
        self.assertEqual(chain.mapped("state"), ["spent", "current"])
        self.assertIn("68", chain[0].reason)
        self.assertTrue(chain[0].spent_at)
        self.assertIn(f"{order.fiscal_key}.r1", " ".join(self.messages(order)))
        # Every order registered once, under its key or its successor, in the order paid.
        registered = [documents[o.fiscal_key_ids[-1:].key or o.fiscal_key] for o in orders]
        self.assertNotIn(None, registered)
        self.assertEqual(registered, sorted(registered))
        self.assertEqual(order.fiscal_fd_number, documents[f"{order.fiscal_key}.r1"])
        self.assertEqual(self.emulator.report()["register"]["shift_number"], 2)
        # The device form and the till's light say it happened.
        self.assertTrue(self.device.shift_renewed_at)
        status = self.config.fiscal_status_for_ui()
        self.assertTrue(status["shift_renewed"])
        self.assertEqual(status["level"], "green")

    def test_refused_receipt_is_reissued_under_a_successor_once_its_key_is_confirmed_empty(self):
        self.emulator.set_faults(fail=1)  # the FN refuses it: the key is spent, no document
        (order,) = self.sell_lenses(1)
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")

        order.action_fiscal_reissue()
        self.assertEqual(order.fiscal_state, "reissue")
        self.run_cron_until_fiscalized(order)
        key = order.fiscal_key
        self.assertEqual(self.emulator.documents(), {key: 0, f"{key}.r1": 1})
        self.assertEqual(order.fiscal_fd_number, self.documents_by_key()[f"{key}.r1"])
        self.assertEqual(order.fiscal_key_ids.mapped("state"), ["spent", "current"])
        self.assertIn("234", order.fiscal_key_ids[0].reason)  # the FN error it was refused with
        messages = " ".join(self.messages(order))
        self.assertIn("Reissue of the fiscal receipt requested", messages)
        self.assertIn(f"holds no document under key {key}", messages)
        self.assertFalse(order.activity_ids, "the administrator's task is closed")

    def test_reissue_adopts_the_document_the_old_key_holds(self):
        self.emulator.set_faults(reject=1)
        (order,) = self.sell_lenses(1)
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        # Meanwhile the register registered the receipt under its key after all.
        backend = BACKENDS["atol_web"].from_config(self.device._fiscal_device_config())
        self.addCleanup(backend.close)
        backend.submit(order.fiscal_key, "sell", order._fiscal_receipt())
        held = self.documents_by_key()[order.fiscal_key]

        order.action_fiscal_reissue()
        self.run_cron_until_fiscalized(order)
        self.assertEqual(self.emulator.documents(), {order.fiscal_key: 1}, "no second document")
        self.assertEqual(order.fiscal_fd_number, held)
        self.assertFalse(order.fiscal_key_ids)
        self.assertIn(f"already holds document {held}", " ".join(self.messages(order)))

    def test_outage_across_midnight_sends_the_days_before_as_correction_receipts(self):
        self.device.tz = "Europe/Moscow"
        zone = pytz.timezone("Europe/Moscow")
        yesterday, today = self.sell_lenses(2)
        evening = zone.localize(
            datetime.combine(datetime.now(zone).date() - timedelta(days=1), time(23, 50))
        )
        yesterday.date_order = evening.astimezone(pytz.utc).replace(tzinfo=None)
        self.emulator.stop()  # the register is away over midnight
        self.run_fiscal_cron()
        self.assertEqual((yesterday | today).mapped("fiscal_state"), ["queued", "queued"])
        self.emulator.restart()
        self.run_cron_until_fiscalized(yesterday | today)

        late = json.loads(self.emulator.app.register.find(key=yesterday.fiscal_key)["body"])
        task = late["request"][0]
        self.assertEqual(task["type"], "sellCorrection")
        self.assertEqual(task["correctionType"], "self")  # 1173
        self.assertEqual(task["correctionBaseDate"], evening.strftime("%Y.%m.%d"))  # 1178
        on_time = json.loads(self.emulator.app.register.find(key=today.fiscal_key)["body"])
        self.assertEqual(on_time["request"][0]["type"], "sell")
        self.assertNotIn("correctionType", on_time["request"][0])
        self.assertEqual([yesterday.fiscal_correction, today.fiscal_correction], [True, False])

    def test_admin_actions_work_from_a_host_without_the_outbox(self):
        self.emulator.set_faults(fail=1)
        refused, waiting = self.sell_lenses(2)
        self.run_fiscal_cron()
        self.assertEqual(refused.fiscal_state, "failed")
        cron_host_outbox = config["fiscal_outbox_path"]
        # A web host: Odoo's HTTP workers there have no outbox file, and must not make one.
        web_host_outbox = os.path.join(self.fiscal_tmp, "web-host", "{db}.sqlite3")
        config["fiscal_outbox_path"] = web_host_outbox
        device = self.device
        device.invalidate_recordset()
        status = device.read(
            ["failed_count", "dead_count", "breaker_state", "last_success", "last_error"]
        )[0]
        self.assertTrue(status["last_success"])
        self.assertEqual((status["failed_count"], status["dead_count"]), (1, 1))
        self.assertEqual(status["breaker_state"], "closed")
        self.assertFalse(status["last_error"], "the next receipt's success cleared it")
        action = device.action_view_dead_letters()
        letters = self.env["fiscal.dead.letter"].search(action["domain"])
        self.assertEqual(letters.order_id, refused)
        letters.action_reissue()
        self.assertEqual(device.action_test_connection()["params"]["type"], "success")
        device.action_sync_now()
        self.assertEqual(self.config.fiscal_status_for_ui()["failed"], 0)  # reissue requested
        self.assertFalse(os.path.exists(os.path.dirname(web_host_outbox)), "no outbox made here")

        config["fiscal_outbox_path"] = cron_host_outbox  # the cron host carries it out
        self.run_cron_until_fiscalized(refused | waiting)
        self.assertEqual(self.emulator.documents()[f"{refused.fiscal_key}.r1"], 1)


@tagged("post_install", "-at_install")
class TestRecoveryAtolOnline(RecoveryCase):
    fiscal_backend = "atol_online"
    customer_needed = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device.write(
            {
                "login": PUBLIC_TEST_ACCOUNT["login"],
                "password": "wrong password",
                "group_code": PUBLIC_TEST_ACCOUNT["group_code"],
            }
        )

    def test_wrong_password_pauses_the_register_and_no_receipt_dies(self):
        orders = self.sell_lenses(50)
        with self.assertLogs("fiscal_connector.drain", "WARNING") as logged:
            self.run_fiscal_cron()
        self.assertIn("paused", logged.output[0])
        self.assertEqual(set(orders.mapped("fiscal_state")), {"queued"})
        self.assertIn("configuration error 12", self.device.paused_reason)
        status = self.config.fiscal_status_for_ui()
        self.assertEqual((status["level"], status["waiting"], status["failed"]), ("red", 50, 0))
        self.assertTrue(status["paused"])
        self.assertEqual(self.emulator.documents(), {})

        self.device.password = PUBLIC_TEST_ACCOUNT["password"]  # the admin fixes it
        self.run_cron_until_fiscalized(orders)
        self.assertEqual(self.emulator.documents(), dict.fromkeys(orders.mapped("fiscal_key"), 1))
        self.assertFalse(self.device.paused_reason)
        self.assertEqual(self.config.fiscal_status_for_ui()["level"], "green")
