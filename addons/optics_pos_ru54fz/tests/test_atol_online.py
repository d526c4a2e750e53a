import json
from datetime import datetime, timezone

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

    def test_advance_vat_sum_and_register_time(self):
        zone = "Asia/Yekaterinburg"  # the cloud register's wall clock, UTC+5
        self.device.tz = zone
        self.start_fiscal_emulator("atol_online", tz=zone)
        deposit_line = {"product": self.deposit_product, "quantity": 1}
        data = self.ui_order(
            [deposit_line], customer=self.customer, payments=[(self.bank_pm1, 0.0)]
        )
        data["data"]["lines"][0][2].update(
            price_unit=5000.0, price_subtotal=4098.36, price_subtotal_incl=5000.0
        )
        data["data"].update(amount_total=5000.0, amount_paid=5000.0, amount_tax=901.64)
        data["data"]["statement_ids"][0][2]["amount"] = 5000.0
        (order,) = self.sell(data)
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        body = json.loads(self.emulator.app.register.find(key=order.fiscal_key)["body"])
        (item,) = body["receipt"]["items"]
        self.assertEqual(item["payment_method"], "advance")
        self.assertEqual(item["vat"], {"type": "vat122", "sum": 901.64})  # 5000 x 22 / 122
        # receipt_datetime is the register's wall clock: stored as UTC through its zone.
        stored = json.loads(self.emulator.app.register.find(key=order.fiscal_key)["result"])
        wall = datetime.fromisoformat(stored["datetime"])
        self.assertEqual(order.fiscal_datetime, wall.astimezone(timezone.utc).replace(tzinfo=None))

    def test_wrong_password_fails_clearly(self):
        self.device.password = "wrong"
        action = self.device.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
