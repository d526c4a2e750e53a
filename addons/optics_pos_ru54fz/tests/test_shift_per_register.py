import json

from odoo.tests import tagged

from .common import FiscalPosCase

SHIFT_REPORTS = ["openShift", "closeShift"]


@tagged("post_install", "-at_install")
class TestShiftPerRegister(FiscalPosCase):
    """Two points of sale on one register: one shift, closed (the Z report) after the last
    session on the register and after the last of its receipts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second_config = cls.env["pos.config"].create(
            {
                "name": "Till 2",
                "journal_id": cls.config.journal_id.id,
                "invoice_journal_id": cls.config.invoice_journal_id.id,
                "available_pricelist_ids": cls.config.available_pricelist_ids.ids,
                "pricelist_id": cls.config.pricelist_id.id,
                "payment_method_ids": cls.bank_pm1.ids,
                "fiscal_device_id": cls.device.id,
            }
        )

    def open_second_session(self):
        self.second_config.open_ui()
        session = self.second_config.current_session_id
        session.set_cashbox_pos(0, None)
        return session

    def sell_at(self, session, product, amount):
        data = self.ui_order([(product, 1)], payments=[(self.bank_pm1, amount)])
        data["data"]["pos_session_id"] = session.id
        return self.sell(data)

    def register_made(self):
        """What the register made, in its order: ("receipt" or the shift report, FD)."""
        register = self.emulator.app.register
        made = []
        for document in self.emulator_documents():
            if document["operation"] in SHIFT_REPORTS:
                result = json.loads(register.find(key=document["key"])["result"] or "null")
                made.append(
                    (
                        document["operation"],
                        ((result or {}).get("fiscalParams") or {}).get("fiscalDocumentNumber"),
                    )
                )
            elif document["fd_number"]:
                made.append(("receipt", document["fd_number"]))
        return made

    def assert_z_report_after_the_receipts(self, receipts):
        made = self.register_made()
        self.assertEqual(
            [kind for kind, _fd in made], ["openShift"] + ["receipt"] * receipts + ["closeShift"]
        )
        numbers = [fd for _kind, fd in made]
        self.assertEqual(numbers, sorted(set(numbers)), "fiscal document numbers increase")
        self.assertFalse(self.emulator.report()["register"]["shift_open"])
        self.assertFalse(self.device.shift_opened_at)
        self.assertFalse(self.device.z_report_due)
        return numbers[-1]

    def messages(self, record):
        return "\n".join(record.message_ids.mapped("body"))

    def test_the_shift_closes_after_the_last_session_and_its_receipts(self):
        first = self.pos_session
        second = self.open_second_session()
        self.assertEqual(second.fiscal_device_id, first.fiscal_device_id)
        self.assertEqual([kind for kind, _fd in self.register_made()], ["openShift"])
        self.assertTrue(self.device.shift_opened_at)
        self.assertEqual(second.fiscal_register_shift_opened_at, self.device.shift_opened_at)
        orders = self.sell(self.ui_order([(self.lens, 1)]))
        orders |= self.sell_at(second, self.frame, 12000.0)

        first.action_pos_session_closing_control()
        self.assertEqual(first.state, "closed")
        self.assertTrue(self.emulator.report()["register"]["shift_open"])
        self.assertEqual([kind for kind, _fd in self.register_made()], ["openShift"])
        self.assertFalse(first.fiscal_z_report_done)
        self.assertFalse(self.device.z_report_due, "the open session closes the shift")
        self.assertIn("still sell in it", self.messages(first))
        self.assertIn(second.name, self.messages(first))

        orders |= self.sell_at(second, self.lens, 4500.0)
        self.assertEqual(set(orders.mapped("fiscal_state")), {"to_send"})
        second.action_pos_session_closing_control()
        self.assertEqual(second.state, "closed")
        self.assertTrue(self.device.z_report_due, "three receipts wait: the cron prints it")
        self.assertIn("3 receipt(s) still wait to be sent", self.messages(second))
        self.run_fiscal_cron()
        self.assertEqual(
            set(orders.mapped("fiscal_state")), {"fiscalized"}, orders.mapped("fiscal_error")
        )
        z_report = self.assert_z_report_after_the_receipts(3)
        shift = self.emulator.report()["register"]["shift_number"]
        for session in first | second:
            self.assertTrue(session.fiscal_z_report_done)
            self.assertEqual(session.fiscal_shift_number, shift)
        for record in (first, second, self.device):
            self.assertIn(f"shift {shift}, fiscal document {z_report}.", self.messages(record))

    def test_register_down_at_the_closing_the_cron_prints_the_z_report_later(self):
        session = self.pos_session
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.emulator.stop()

        session.action_pos_session_closing_control()
        self.assertEqual(session.state, "closed")
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "queued")
        self.assertTrue(self.device.z_report_due)
        self.assertTrue(session.fiscal_z_report_due)
        self.assertFalse(session.fiscal_z_report_done)
        self.assertIn("1 receipt(s) still wait to be sent", self.messages(session))

        self.emulator.start()
        self.assertTrue(self.emulator.report()["register"]["shift_open"])
        self.assertEqual([kind for kind, _fd in self.register_made()], ["openShift"])
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        z_report = self.assert_z_report_after_the_receipts(1)
        self.assertTrue(session.fiscal_z_report_done)
        for record in (session, self.device):
            self.assertIn(f"fiscal document {z_report}.", self.messages(record))
        made = self.register_made()
        self.run_fiscal_cron()
        self.assertEqual(self.register_made(), made, "one Z report")

    def test_a_z_report_due_waits_for_the_sessions_on_the_register(self):
        first = self.pos_session
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.emulator.stop()
        first.action_pos_session_closing_control()
        self.assertTrue(self.device.z_report_due)
        self.emulator.start()
        second = self.open_second_session()  # sells in the shift still open

        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        self.assertEqual([kind for kind, _fd in self.register_made()], ["openShift", "receipt"])
        self.assertTrue(self.device.z_report_due)

        second.action_pos_session_closing_control()
        self.assert_z_report_after_the_receipts(1)
        self.assertEqual((first | second).mapped("fiscal_z_report_done"), [True, True])

    def test_a_z_report_the_register_refused_at_the_closing_is_printed_by_the_cron(self):
        session = self.pos_session
        self.emulator.stop()
        session.action_pos_session_closing_control()
        self.assertEqual(session.state, "closed")
        self.assertTrue(self.device.z_report_due)
        self.assertIn("Z report not printed, the fiscal queue tries again", self.messages(session))
        with self.assertLogs("odoo.addons.optics_pos_ru54fz.models.fiscal_device", "WARNING"):
            self.run_fiscal_cron()  # still unreachable: still due
        self.assertTrue(self.device.z_report_due)

        self.emulator.start()
        self.run_fiscal_cron()
        self.assert_z_report_after_the_receipts(0)
        self.assertTrue(session.fiscal_z_report_done)

    def test_a_shift_closed_at_the_register_ends_the_z_report_due(self):
        session = self.pos_session
        self.emulator.stop()
        session.action_pos_session_closing_control()
        self.assertTrue(self.device.z_report_due)
        self.emulator.start()
        self.device._run_register_task("closeShift")  # printed at the register itself

        self.run_fiscal_cron()
        self.assertFalse(self.device.z_report_due)
        self.assertTrue(session.fiscal_z_report_done)
        self.assertIn("was closed already", self.messages(session))
        self.assertEqual([kind for kind, _fd in self.register_made()], SHIFT_REPORTS)
