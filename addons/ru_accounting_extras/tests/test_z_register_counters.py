from odoo.tests import tagged

from odoo.addons.optics_pos_ru54fz.tests.common import FiscalPosCase


@tagged("post_install", "-at_install")
class TestZAgainstRegisterCounters(FiscalPosCase):
    """The Z reconciliation against the register's own counters of the shift, read over
    HTTP from the emulated ATOL Web Server just before its Z report."""

    def test_a_pickup_with_a_deposit_set_off_is_no_mismatch(self):
        job = self.glasses_job()
        deposit = self.sell_deposit(job)  # 5,000 in cash
        self.run_fiscal_cron()
        (pickup,) = self.sell(self.pickup_with_set_off(job))  # 7,000 by card, 5,000 set off
        session = self.pos_session
        session.action_pos_session_closing_control()
        self.run_fiscal_cron()  # the receipts, then the Z report due after them
        self.assertEqual((deposit | pickup).mapped("fiscal_state"), ["fiscalized"] * 2)
        self.assertTrue(session.fiscal_z_report_done)
        self.assertTrue(session.fiscal_z_counted)
        self.assertEqual(
            (
                session.fiscal_z_cash_total,
                session.fiscal_z_electronic_total,
                session.fiscal_z_prepaid_total,
                session.fiscal_z_credit_total,
            ),
            (5000.0, 7000.0, 5000.0, 0.0),
        )
        # The receipts' totals count the set-off as a sale: 17,000 against 12,000 taken.
        self.assertEqual(session.fiscal_sale_total, 17000.0)
        self.assertEqual(session.ru_z_state, "matched")
        self.assertEqual(
            (session.ru_z_cash_difference, session.ru_z_electronic_difference), (0.0, 0.0)
        )
        self.assertEqual(session.ru_z_total_difference, 0.0)

    def test_a_sale_the_register_did_not_register_is_a_mismatch(self):
        self.emulator.set_faults(fail=1)  # the first receipt is refused: paid, not registered
        (refused,) = self.sell(self.ui_order([(self.lens, 1)], payments=[(self.bank_pm1, 4500.0)]))
        self.sell(self.ui_order([(self.lens, 1)], payments=[(self.bank_pm1, 4500.0)]))
        self.run_fiscal_cron()
        self.assertEqual(refused.fiscal_state, "failed")
        session = self.pos_session
        session.action_pos_session_closing_control()  # nothing waits: the Z report at once
        self.assertTrue(session.fiscal_z_counted)
        self.assertEqual(session.fiscal_z_electronic_total, 4500.0)
        self.assertEqual(session.ru_payment_electronic_total, 9000.0)
        self.assertEqual(session.ru_z_state, "mismatch")
        self.assertEqual(session.ru_z_electronic_difference, -4500.0)
