import json
import uuid

import pytz

from odoo import fields
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

    def test_russian_receipt_shows_the_registers_time(self):
        zone = "Asia/Yekaterinburg"  # UTC+5: neither the host's nor the browser's zone
        self.device.tz = zone
        self.start_fiscal_emulator(tz=zone)
        self.env["res.lang"]._activate_lang("ru_RU")
        self.pos_user.lang = "ru_RU"
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        session.set_cashbox_pos(0, None)
        url = f"/pos/ui?config_id={self.main_pos_config.id}"
        self.start_tour(url, "OpticsFiscalRussianSellTour", login="pos_user")
        order = self.env["pos.order"].search([("session_id", "=", session.id)])
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)

        wall = pytz.utc.localize(order.fiscal_datetime).astimezone(pytz.timezone(zone))
        self.assertIn(f"t={wall:%Y%m%dT%H%M}&", order.fiscal_qr)
        expected = order.with_context(lang="ru_RU")._fiscal_datetime_display()
        self.assertIn(f"{wall:%H:%M:%S}", expected)
        tour = "OpticsFiscalRussianReprintTour"
        options = {"stepDelay": 0, "keepWatchBrowser": False, "startUrl": url}
        code = (
            f"localStorage.setItem('optics_fiscal_expected_time', {json.dumps(expected)}); "
            f"odoo.startTour({json.dumps(tour)}, {json.dumps(options)})"
        )
        self.start_tour(url, tour, login="pos_user", code=code)

    def test_global_discount_and_cash_rounding_reach_the_register(self):
        if "discount_product_id" not in self.main_pos_config._fields:
            self.skipTest("pos_discount is not installed")
        self.start_fiscal_emulator()
        Product = self.env["product.product"]
        discount = Product.create(
            {"name": "Global discount", "type": "service", "available_in_pos": True}
        )
        discount.taxes_id = False
        Product.create(
            {"name": "Glasses Case", "available_in_pos": True, "list_price": 1234.56}
        ).taxes_id = False
        self.main_pos_config.write(
            {
                "module_pos_discount": True,
                "discount_product_id": discount.id,
                "discount_pc": 10.0,
                "cash_rounding": True,
                "only_round_cash_method": False,
                "rounding_method": self.ruble_rounding().id,
            }
        )
        self.main_pos_config.with_user(self.pos_user).open_ui()
        url = f"/pos/ui?config_id={self.main_pos_config.id}"
        self.start_tour(url, "OpticsFiscalDiscountRoundingTour", login="pos_user")

        (order,) = self.env["pos.order"].search(
            [("session_id", "=", self.main_pos_config.current_session_id.id)]
        )
        self.assertEqual(order.fiscal_state, "to_send")
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        document = self.emulator.app.register.find(key=order.fiscal_key)
        task = json.loads(document["body"])["request"][0]
        # 1,234.56 less 10 % (123.46) less the 10 kopecks rounded off: one positive item.
        self.assertEqual(
            [(i["name"], i["price"], i["quantity"], i["amount"]) for i in task["items"]],
            [("Glasses Case", 1111.0, 1.0, 1111.0)],
        )
        self.assertEqual(
            (task["total"], task["payments"]), (1111.0, [{"type": "cash", "sum": 1111.0}])
        )
        self.start_tour(url, "OpticsFiscalReprintTour", login="pos_user")

    def test_order_mixing_sale_and_return_is_stopped_before_payment(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        url = f"/pos/ui?config_id={self.main_pos_config.id}"
        self.start_tour(url, "OpticsMixedOrderTour", login="pos_user")
        session = self.main_pos_config.current_session_id
        self.assertFalse(self.env["pos.order"].search([("session_id", "=", session.id)]))

    def pickup_payload(self, job, frame, deposit):
        """A pick-up as the till sends it: the frame, the deposit set off, 7,000 by bank."""
        session = self.main_pos_config.current_session_id
        bank = session.payment_method_ids.filtered(lambda method: method.name == "Bank")[:1]
        now = fields.Datetime.to_string(fields.Datetime.now())
        uid = "00099-001-0002"
        lines = [
            (
                0,
                0,
                {
                    "product_id": product.id,
                    "qty": qty,
                    "price_unit": price,
                    "discount": 0,
                    "price_subtotal": price * qty,
                    "price_subtotal_incl": price * qty,
                    "tax_ids": [(6, 0, [])],
                    "full_product_name": product.name,
                    "pack_lot_ids": [],
                },
            )
            for product, price, qty in ((frame, 12000.0, 1), (deposit, 5000.0, -1))
        ]
        return {
            "id": uid,
            "to_invoice": False,
            "data": {
                "name": f"Order {uid}",
                "uid": uid,
                "access_token": str(uuid.uuid4()),
                "amount_paid": 7000.0,
                "amount_total": 7000.0,
                "amount_tax": 0.0,
                "amount_return": 0.0,
                "lines": lines,
                "statement_ids": [
                    (0, 0, {"amount": 7000.0, "name": now, "payment_method_id": bank.id})
                ],
                "pos_session_id": session.id,
                "pricelist_id": self.main_pos_config.pricelist_id.id,
                "partner_id": job.optics_partner_id.id,
                "user_id": self.pos_user.id,
                "sequence_number": 2,
                "date_order": now,
                "fiscal_position_id": False,
                "optics_job_id": job.id,
            },
        }

    def test_glasses_job_deposit_and_pickup(self):
        self.start_fiscal_emulator()
        partner = self.env["res.partner"].create(
            {"name": "Glasses Customer", "email": "g@example.com"}
        )
        frame = self.env["product.product"].create(
            {
                "name": "Frame for job",
                "available_in_pos": True,
                "list_price": 12000.0,
                "taxes_id": [(5, 0, 0)],
            }
        )
        deposit = self.env["product.product"].create(
            {
                "name": "Glasses deposit",
                "type": "service",
                "available_in_pos": True,
                "list_price": 0.0,
                "taxes_id": [(5, 0, 0)],
            }
        )
        self.main_pos_config.fiscal_deposit_product_id = deposit
        job = self.env["mrp.production"].create(
            {"product_id": frame.id, "product_qty": 1, "optics_partner_id": partner.id}
        )
        job.name = "Frame for job MO"
        self.main_pos_config.with_user(self.pos_user).open_ui()
        url = f"/pos/ui?config_id={self.main_pos_config.id}"
        self.start_tour(url, "OpticsGlassesDepositTour", login="pos_user")
        self.env.invalidate_all()
        (deposit_order,) = job.fiscal_pos_order_ids
        self.assertEqual(job.fiscal_deposit_total, 0.0, "not received until fiscalized")
        self.run_fiscal_cron()
        self.assertEqual(deposit_order.fiscal_state, "fiscalized", deposit_order.fiscal_error)
        self.assertEqual(job.fiscal_deposit_total, 5000.0)
        self.start_tour(url, "OpticsGlassesPickupTour", login="pos_user")
        self.env.invalidate_all()
        self.assertEqual(job.fiscal_pos_order_ids, deposit_order, "the refused pick-up unpaid")

        # The pick-up as the till sends it: 7,000 paid now and the 5,000 deposit set off.
        self.env["pos.order"].create_from_ui([self.pickup_payload(job, frame, deposit)])
        orders = job.fiscal_pos_order_ids.sorted("id")
        self.assertEqual(len(orders), 2)
        deposit_order, pickup = orders
        self.assertEqual(deposit_order._fiscal_receipt()["items"][0]["payment_method"], "advance")
        receipt = pickup._fiscal_receipt()
        self.assertEqual(
            receipt["payments"], [{"type": 1, "sum": "7000.00"}, {"type": 2, "sum": "5000.00"}]
        )
        self.run_fiscal_cron()
        self.assertEqual(orders.mapped("fiscal_state"), ["fiscalized", "fiscalized"])
