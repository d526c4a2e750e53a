from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from .common import FiscalEmulatorMixin


@tagged("post_install", "-at_install")
class TestFiscalPosTour(FiscalEmulatorMixin, TestPointOfSaleHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device = cls.create_fiscal_device()
        cls.main_pos_config.fiscal_device_id = cls.device

    def test_sell_pay_and_see_fiscal_receipt(self):
        self.start_fiscal_emulator()
        self.main_pos_config.with_user(self.pos_user).open_ui()
        url = f"/pos/ui?config_id={self.main_pos_config.id}"
        self.start_tour(url, "OpticsFiscalSellTour", login="pos_user")

        order = self.env["pos.order"].search(
            [("session_id", "=", self.main_pos_config.current_session_id.id)]
        )
        self.assertEqual(len(order), 1)
        self.assertEqual(order.fiscal_state, "to_send")
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        self.assertEqual(self.emulator.documents(), {order.fiscal_key: 1})

        self.start_tour(url, "OpticsFiscalReprintTour", login="pos_user")
        # Reprinting is a copy of the stored document: the register holds still one.
        self.assertEqual(self.emulator.documents(), {order.fiscal_key: 1})
