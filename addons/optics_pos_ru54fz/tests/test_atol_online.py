import json

from fiscal_connector.emulators.atol_online import PUBLIC_TEST_ACCOUNT

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import FiscalPosCase


@tagged("post_install", "-at_install")
class TestFiscalAtolOnline(FiscalPosCase):
    """The same sale through a cloud register (ATOL Online v5 emulator, token and group code)."""

    fiscal_backend = "atol_online"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device.write(
            {
                "login": PUBLIC_TEST_ACCOUNT["login"],
                "password": PUBLIC_TEST_ACCOUNT["password"],
                "group_code": PUBLIC_TEST_ACCOUNT["group_code"],
            }
        )

    def test_cloud_register_fiscalizes_once_without_shifts(self):
        self.assertFalse(
            self.pos_session.fiscal_shift_opened_at, "cloud registers run their own shifts"
        )
        (order,) = self.sell(
            self.ui_order(
                [(self.frame, 1), (self.eye_test, 1)],
                customer=self.customer,
                payments=[(self.bank_pm1, 13500.0)],
            )
        )
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        self.assertEqual(self.emulator.documents(), {order.fiscal_key: 1})
        self.assertIn("s=13500.00", order.fiscal_qr)
        self.assertEqual(self.device.action_test_connection()["params"]["type"], "success")

    def test_walk_in_sale_needs_the_buyers_contact_before_payment(self):
        orders = self.env["pos.order"].search([])
        walk_in = self.ui_order([(self.frame, 1)], payments=[(self.bank_pm1, 12000.0)])
        with self.assertRaises(UserError) as refused:
            self.sell(walk_in)
        self.assertRegex(str(refused.exception), "cloud register.*e-mail or phone")
        self.assertEqual(self.env["pos.order"].search([]), orders, "no order saved as paid")
        self.customer.write({"email": False, "phone": "8 (912) 345-67-89", "mobile": False})
        (order,) = self.sell(
            self.ui_order(
                [(self.frame, 1)], customer=self.customer, payments=[(self.bank_pm1, 12000.0)]
            )
        )
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        document = self.emulator.app.register.find(key=order.fiscal_key)
        body = json.loads(document["body"])
        self.assertEqual(body["receipt"]["client"]["phone"], "+79123456789")

    def test_wrong_password_fails_clearly(self):
        self.device.password = "wrong"
        action = self.device.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
