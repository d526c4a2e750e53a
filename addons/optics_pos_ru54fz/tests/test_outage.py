from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import FiscalPosCase

ORDERS = 500
BATCH = 50  # orders per create_from_ui call, as a till flushing its offline queue
DAY = timedelta(hours=8)


@tagged("post_install", "-at_install")
class TestFiscalOutage(FiscalPosCase):
    def test_register_down_for_a_shift_500_orders(self):
        """The register is unreachable while 500 orders are sold over an 8-hour day (dated
        through the day, sent compressed): the till never notices, every order waits in the
        outbox, the header light turns red, and after recovery each order is fiscalized
        exactly once, in the order it was sold."""
        opened = fields.Datetime.now() - DAY
        self.emulator.stop()
        self.addCleanup(lambda: self.emulator.httpd or self.emulator.start())
        products = [self.frame, self.lens, self.eye_test]
        orders = self.env["pos.order"]
        for start in range(0, ORDERS, BATCH):
            batch = [self.ui_order([(products[n % 3], 1)]) for n in range(start, start + BATCH)]
            for n, data in enumerate(batch, start):
                data["data"]["date_order"] = fields.Datetime.to_string(opened + DAY * n / ORDERS)
            orders |= self.sell(*batch)
            if start % (BATCH * 4) == 0:
                self.run_fiscal_cron()  # the cron keeps running through the outage
        self.assertEqual(len(orders), ORDERS)
        self.run_fiscal_cron()
        self.assertEqual(set(orders.mapped("fiscal_state")), {"queued"})
        self.assertEqual(self.env["fiscal.device"]._fiscal_unsent_count(self.env.company), ORDERS)
        status = self.config.fiscal_status_for_ui()
        self.assertEqual((status["level"], status["waiting"]), ("red", ORDERS))
        self.assertGreater(status["oldest_age"], 7 * 3600)

        self.emulator.start()
        for _run in range(20):
            self.run_fiscal_cron()
            if set(orders.mapped("fiscal_state")) == {"fiscalized"}:
                break
        self.assertEqual(set(orders.mapped("fiscal_state")), {"fiscalized"})
        counts = self.emulator.documents()
        self.assertEqual(len(counts), ORDERS)
        self.assertEqual(set(counts.values()), {1})
        by_sale = orders.sorted("id").mapped("fiscal_fd_number")
        self.assertEqual(by_sale, sorted(by_sale), "receipts registered out of sale order")
        self.assertEqual(self.env["fiscal.device"]._fiscal_unsent_count(self.env.company), 0)
