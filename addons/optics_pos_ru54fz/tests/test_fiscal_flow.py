import json
import os
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytz

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.optics_pos_ru54fz.models.pos_order import FAILURE_ACTIVITY

from .common import FiscalPosCase


@tagged("post_install", "-at_install")
class TestFiscalFlow(FiscalPosCase):
    def sent_task(self, order):
        """The ATOL task the emulated register received for an order (over HTTP)."""
        document = self.emulator.app.register.find(key=order.fiscal_key)
        self.assertTrue(document, f"the register never received {order.name}")
        return document, json.loads(document["body"])["request"][0]

    def test_mixed_taxes_discount_cash_card_email(self):
        orders = self.sell(
            self.ui_order(
                [(self.frame, 1, 10.0), (self.lens, 2), (self.eye_test, 1)],
                payments=[(self.cash_pm1, 5000.0), (self.bank_pm1, 16300.0)],
                customer=self.customer,
            ),
            self.ui_order([(self.lens, 1)], payments=[(self.bank_pm1, 4500.0)]),
        )
        self.assertEqual(orders.mapped("fiscal_state"), ["to_send", "to_send"])
        self.assertEqual(len(set(orders.mapped("fiscal_key"))), 2)
        self.assertFalse(self.emulator.documents(), "create_from_ui must not reach the register")
        cron = self.env.ref("optics_pos_ru54fz.ir_cron_fiscal_drain")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(len(triggers), 1, "one call, one request to run the cron now")
        self.sell(self.ui_order([(self.lens, 1)]))
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            2,
            "each call asks for its own run: one already due may be a running run's, deleted "
            "at its end",
        )

        self.run_fiscal_cron()

        counts = self.emulator.documents()
        big = orders.filtered(lambda o: o.amount_total > 5000)
        small = orders - big
        for order in orders:
            self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
            self.assertEqual(counts[order.fiscal_key], 1)
        document, task = self.sent_task(big)
        self.assertEqual(task["type"], "sell")
        self.assertEqual(Decimal(str(task["total"])), Decimal("21300.00"))
        by_name = {item["name"]: item for item in task["items"]}
        self.assertEqual(
            Decimal(str(by_name["Frame Ray-Ban RB5154"]["amount"])), Decimal("10800.00")
        )
        self.assertEqual(by_name["Frame Ray-Ban RB5154"]["tax"]["type"], "vat22")
        self.assertEqual(by_name["Lens 1.6 AR"]["tax"]["type"], "vat10")
        self.assertEqual(Decimal(str(by_name["Lens 1.6 AR"]["quantity"])), Decimal(2))
        self.assertEqual(by_name["Eye test"]["tax"]["type"], "none")
        self.assertEqual(by_name["Eye test"]["paymentObject"], "service")
        payments = {p["type"]: Decimal(str(p["sum"])) for p in task["payments"]}
        self.assertEqual(
            payments, {"cash": Decimal("5000.00"), "electronically": Decimal("16300.00")}
        )
        self.assertEqual(task["clientInfo"]["emailOrPhone"], "buyer@example.com")
        # Fiscal data written back, QR text in the format of the tax service.
        self.assertEqual(big.fiscal_fd_number, document["fd_number"])
        self.assertTrue(big.fiscal_fn and big.fiscal_sign and big.fiscal_registration_number)
        self.assertAlmostEqual(big.fiscal_total, 21300.0)
        self.assertIn("s=21300.00", big.fiscal_qr)
        self.assertIn(f"fn={big.fiscal_fn}", big.fiscal_qr)
        self.assertTrue(big._fiscal_info_for_ui()["qr_image"].startswith("data:image/png;base64,"))
        self.assertEqual(small.fiscal_electronic_amount, 4500.0)
        session = self.pos_session
        self.assertAlmostEqual(session.fiscal_sale_total, 30300.0)  # with the cash order above
        self.assertAlmostEqual(session.fiscal_cash_total, 9500.0)
        self.assertAlmostEqual(session.fiscal_electronic_total, 20800.0)

        # A second run finds nothing to do and sends nothing again.
        self.run_fiscal_cron()
        self.assertEqual(self.emulator.documents(), counts)

    def test_settlement_place_and_address_under_their_tags(self):
        place, address = "Оптика «Зоркий глаз»", "г. Москва, ул. Ленина, д. 1"
        self.device.write({"settlement_place": place, "settlement_address": address})
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        task = self.emulator.body(order.fiscal_key)["request"][0]
        self.assertEqual(task["paymentsPlace"], place, "tag 1187: the place")
        self.assertEqual(task["paymentsAddress"], address, "tag 1009: the address")

    def test_cashier_and_company_buyer_by_name_and_inn(self):
        buyer = self.env["res.partner"].create(
            {"name": "ООО «Линза»", "is_company": True, "vat": "7707083893"}
        )
        self.env.user.partner_id.vat = "500100732259"
        (order,) = self.sell(self.ui_order([(self.lens, 1)], customer=buyer))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        task = self.emulator.body(order.fiscal_key)["request"][0]
        self.assertEqual(task["clientInfo"], {"name": "ООО «Линза»", "vatin": "7707083893"})
        self.assertEqual(task["operator"], {"name": order.user_id.name, "vatin": "500100732259"})

    def test_reconciler_enqueues_order_lost_between_commits(self):
        (order,) = self.sell(self.ui_order([(self.frame, 1)]))
        # Crash before the outbox insert: the order is committed "to send", nothing else.
        self.assertEqual(order.fiscal_state, "to_send")
        (twin,) = self.sell(self.ui_order([(self.lens, 1)]))
        # Crash after the outbox insert but before "queued" was committed: enqueue, keep "to send".
        with self.device._fiscal_connector() as conn:
            self.assertTrue(
                conn.enqueue(twin.fiscal_key, self.device._fiscal_code(), twin._fiscal_receipt())
            )
        self.assertEqual(twin.fiscal_state, "to_send")

        self.run_fiscal_cron()

        counts = self.emulator.documents()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.assertEqual(twin.fiscal_state, "fiscalized")
        self.assertEqual(counts[order.fiscal_key], 1)
        self.assertEqual(counts[twin.fiscal_key], 1)
        self.assertEqual(sum(counts.values()), 2)

    def test_result_lost_after_drain_is_recovered_from_outbox(self):
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        with self.device._fiscal_connector() as conn:
            self.env["pos.order"]._fiscal_enqueue_pending(conn)
            # The drain reports to a callback that dies with the process: nothing written to Odoo.
            conn.drain(max_seconds=10, on_result=lambda *args: None)
        self.assertEqual(order.fiscal_state, "queued")
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.assertEqual(self.emulator.documents()[order.fiscal_key], 1)

    def test_order_lost_by_the_outbox_is_queued_again(self):
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        with self.device._fiscal_connector() as conn:
            self.env["pos.order"]._fiscal_enqueue_pending(conn)
            conn.drain(max_seconds=10, on_result=lambda *args: None)  # sent, result not written
            path = conn.config.outbox_path
        self.assertEqual(order.fiscal_state, "queued")
        # The outbox is lost (disk replaced, restored from an old backup): file, WAL and all.
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        # The run starts by settling queued orders from the outbox: this one is queued again.
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.assertEqual(self.emulator.documents(), {order.fiscal_key: 1})

    def sell_and_refund_lens(self):
        (sale,) = self.sell(
            self.ui_order([(self.frame, 1), (self.lens, 1)], payments=[(self.cash_pm1, 16500.0)])
        )
        refund_data = self.ui_order([(self.lens, -1)], payments=[(self.cash_pm1, -4500.0)])
        lens_line = sale.lines.filtered(lambda line: line.product_id == self.lens)
        refund_data["data"]["lines"][0][2]["refunded_orderline_id"] = lens_line.id
        (refund,) = self.sell(refund_data)
        self.assertEqual(refund.fiscal_operation, "sell_refund")
        return sale, refund

    def assert_refund_held(self, sale, refund, state_label):
        self.assertEqual(refund.fiscal_state, "to_send")
        self.assertIn(sale.name, refund.fiscal_error)
        self.assertIn(state_label, refund.fiscal_error)
        with self.device._fiscal_connector() as conn:
            self.assertIsNone(conn.entry(refund.fiscal_key))

    def test_refund_waits_for_its_original(self):
        self.emulator.stop()
        sale, refund = self.sell_and_refund_lens()
        self.run_fiscal_cron()  # the register is down: the sale waits, its return is held
        self.assertEqual(sale.fiscal_state, "queued")
        self.assert_refund_held(sale, refund, "Queued")

        self.emulator.start()
        for _attempt in range(10):
            self.run_fiscal_cron()
            if {sale.fiscal_state, refund.fiscal_state} == {"fiscalized"}:
                break
        self.assertEqual(refund.fiscal_state, "fiscalized", refund.fiscal_error)
        self.assertGreater(refund.fiscal_fd_number, sale.fiscal_fd_number)
        _document, task = self.sent_task(refund)
        self.assertEqual(task["type"], "sellReturn")
        self.assertEqual(Decimal(str(task["total"])), Decimal("4500.00"))
        self.assertAlmostEqual(self.pos_session.fiscal_refund_total, 4500.0)
        self.assertAlmostEqual(self.pos_session.fiscal_cash_total, 12000.0)

    def test_refund_of_a_failed_sale_is_held_until_the_sale_is_reissued(self):
        self.emulator.set_faults(reject=1)
        sale, refund = self.sell_and_refund_lens()
        self.run_fiscal_cron()
        self.run_fiscal_cron()
        self.assertEqual(sale.fiscal_state, "failed")
        self.assert_refund_held(sale, refund, "Failed")
        self.assertEqual(self.emulator.documents(), {})

        sale.action_fiscal_reissue()
        self.run_fiscal_cron()
        self.run_fiscal_cron()
        self.assertEqual((sale | refund).mapped("fiscal_state"), ["fiscalized", "fiscalized"])
        self.assertFalse(refund.fiscal_error)
        self.assertGreater(refund.fiscal_fd_number, sale.fiscal_fd_number)
        self.assertEqual(self.emulator.documents(), {sale.fiscal_key: 1, refund.fiscal_key: 1})

    def test_duplicate_order_from_till_gets_no_second_receipt(self):
        data = self.ui_order([(self.lens, 1)])
        (first,) = self.sell(data)
        twin = self.env["pos.order"].create(self.env["pos.order"]._order_fields(data["data"]))
        twin.add_payment(
            {"pos_order_id": twin.id, "amount": 4500.0, "payment_method_id": self.cash_pm1.id}
        )
        twin.action_pos_order_paid()
        self.assertEqual(twin.fiscal_state, "duplicate")
        self.assertFalse(twin.fiscal_key)
        self.run_fiscal_cron()
        self.assertEqual(self.emulator.documents(), {first.fiscal_key: 1})

    def test_unmapped_tax_fails_clearly_then_retries(self):
        tax18 = self.env["account.tax"].create(
            {"name": "Old VAT 18%", "amount": 18, "price_include": True}
        )
        product = self.create_product("Old stock case", self.categ_basic, 300.0, tax_ids=tax18.ids)
        orders = self.env["pos.order"].search([])
        # Refused before payment, the whole call: no order is saved.
        with self.assertRaises(UserError) as refused:
            self.sell(self.ui_order([(product, 1)]))
        self.assertRegex(str(refused.exception), "Old VAT 18% has no fiscal VAT rate")
        self.assertEqual(self.env["pos.order"].search([]), orders)

        # A mapping removed after the sale was paid: the cron's refusal, then a retry.
        mapping = self.env["fiscal.vat.mapping"].create(
            {"name": "Old 18%", "vat_code": "vat20", "tax_ids": tax18.ids}
        )
        (order,) = self.sell(self.ui_order([(product, 1)]))
        mapping.tax_ids = False
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        self.assertIn("Old VAT 18%", order.fiscal_error)
        unsent = self.env["fiscal.device"]._fiscal_unsent_count
        self.assertEqual(unsent(self.env.company), 0, "a failed receipt waits for an admin")

        mapping.tax_ids = tax18
        order.action_fiscal_reissue()
        self.assertEqual(order.fiscal_state, "reissue")
        self.assertEqual(unsent(self.env.company), 1)
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.assertEqual(unsent(self.env.company), 0)

    def test_deposit_then_settlement_with_set_off(self):
        job = self.glasses_job()
        deposit = self.sell_deposit(job)
        self.assertEqual(deposit.optics_job_id, job)
        # Money counts once received: the deposit's receipt is not fiscalized yet.
        jobs = self.env["pos.order"].optics_jobs_for_ui(self.customer.id)
        self.assertEqual(jobs, [{"id": job.id, "name": job.name, "deposit": 0.0}])
        with self.assertRaises(UserError):
            self.sell(self.pickup_with_set_off(job))
        self.run_fiscal_cron()
        self.assertEqual(deposit.fiscal_state, "fiscalized")
        # What the till's Glasses Job button offers: the customer's job and its deposit.
        jobs = self.env["pos.order"].optics_jobs_for_ui(self.customer.id)
        self.assertEqual(jobs, [{"id": job.id, "name": job.name, "deposit": 5000.0}])

        (pickup,) = self.sell(self.pickup_with_set_off(job))
        self.assertAlmostEqual(job.fiscal_deposit_total, 0.0)

        receipt = deposit._fiscal_receipt()
        self.assertEqual(receipt["items"][0]["payment_method"], "advance")
        self.assertEqual(receipt["items"][0]["payment_object"], 10)
        receipt = pickup._fiscal_receipt()
        self.assertEqual([item["name"] for item in receipt["items"]], ["Frame Ray-Ban RB5154"])
        self.assertEqual(receipt["items"][0]["payment_method"], "full_payment")
        self.assertEqual(
            receipt["payments"], [{"type": 1, "sum": "7000.00"}, {"type": 2, "sum": "5000.00"}]
        )
        self.assertEqual(receipt["total"], "12000.00")

        self.run_fiscal_cron()
        self.assertEqual((deposit | pickup).mapped("fiscal_state"), ["fiscalized", "fiscalized"])
        _document, task = self.sent_task(pickup)
        self.assertEqual({p["type"] for p in task["payments"]}, {"electronically", "prepaid"})
        # The advance at the calculated rate of its 22 % tax, the settlement at the ordinary.
        _document, advance = self.sent_task(deposit)
        self.assertEqual(
            [(i["paymentMethod"], i["tax"]["type"]) for i in advance["items"]],
            [("advance", "vat122")],
        )
        self.assertEqual([i["tax"]["type"] for i in task["items"]], ["vat22"])

    def test_set_off_beyond_the_jobs_deposits_is_refused(self):
        job = self.glasses_job()
        orders = self.env["pos.order"].search([])
        with self.assertRaises(UserError) as refused:
            self.sell(self.pickup_with_set_off(job))  # no deposit was paid on it
        self.assertRegex(str(refused.exception), r"has only [^ ]*0\.00[^ ]* of deposits")
        self.assertEqual(self.env["pos.order"].search([]), orders)

    def sale_with_adjustments(self, adjustments, paid):
        """A frame (22 %) and a lens (10 %) with the till's negative lines `adjustments`
        [(product, amount, taxes, extra line values)], paid `paid` by bank."""
        data = self.ui_order(
            [(self.frame, 1), (self.lens, 1)]
            + [{"product": product, "quantity": 1} for product, *_rest in adjustments],
            payments=[(self.bank_pm1, paid)],
            customer=self.customer,
        )
        for line, (_product, amount, taxes, extra) in zip(data["data"]["lines"][2:], adjustments):
            untaxed = amount / (1 + (taxes.amount / 100 if taxes else 0))
            line[2].update(
                price_unit=amount,
                price_subtotal=round(untaxed, 2),
                price_subtotal_incl=amount,
                tax_ids=[(6, 0, taxes.ids)],
                **extra,
            )
        data["data"].update(amount_total=paid, amount_paid=paid)
        return data

    def assert_items_at_the_register(self, data, items, total):
        """Sell `data`, fiscalize it, and compare the items the register received
        [(name, price, quantity, sum, VAT)] and the receipt's total and payments."""
        (order,) = self.sell(data)
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        _document, task = self.sent_task(order)
        received = [
            (i["name"], i["price"], i["quantity"], i["amount"], i["tax"]["type"])
            for i in task["items"]
        ]
        self.assertEqual(received, items)
        self.assertEqual(task["total"], total)
        self.assertEqual(sum(p["sum"] for p in task["payments"]), total)

    def test_order_discount_is_spread_per_vat_rate(self):
        if "discount_product_id" not in self.config._fields:
            self.skipTest("pos_discount is not installed")
        discount = self.env["product.product"].create(
            {"name": "Order discount", "type": "service", "available_in_pos": True}
        )
        self.config.discount_product_id = discount
        # pos_discount's 10 % on the order: one negative line per tax.
        data = self.sale_with_adjustments(
            [(discount, -1200.0, self.tax22, {}), (discount, -450.0, self.tax10, {})],
            14850.0,
        )
        self.assert_items_at_the_register(
            data,
            [
                ("Frame Ray-Ban RB5154", 10800.0, 1.0, 10800.0, "vat22"),
                ("Lens 1.6 AR", 4050.0, 1.0, 4050.0, "vat10"),
            ],
            14850.0,
        )

    def test_loyalty_reward_without_tax_reaches_every_rate(self):
        if "is_reward_line" not in self.env["pos.order.line"]._fields:
            self.skipTest("pos_loyalty is not installed")
        reward = self.env["product.product"].create(
            {
                "name": "Loyalty reward",
                "type": "service",
                "available_in_pos": True,
                "taxes_id": [(5, 0, 0)],
            }
        )
        data = self.sale_with_adjustments(
            [(reward, -500.0, self.env["account.tax"], {"is_reward_line": True})], 16000.0
        )
        # 500 shared in proportion to 12,000 and 4,500: 363.63 and 136.36, the odd kopeck
        # taken from the largest line.
        self.assert_items_at_the_register(
            data,
            [
                ("Frame Ray-Ban RB5154", 11636.36, 1.0, 11636.36, "vat22"),
                ("Lens 1.6 AR", 4363.64, 1.0, 4363.64, "vat10"),
            ],
            16000.0,
        )

    def test_cash_rounding_is_a_discount_spread_over_the_lines(self):
        self.config.write(
            {
                "cash_rounding": True,
                "only_round_cash_method": True,
                "rounding_method": self.ruble_rounding().id,
            }
        )
        lens = self.create_product("Lens 1.5", self.categ_basic, 2000.3, tax_ids=self.tax10.ids)
        # 12,000 + 2,000.30 paid 14,000 in cash: the till rounded 30 kopecks off.
        data = self.ui_order([(self.frame, 1), (lens, 1)], payments=[(self.cash_pm1, 14000.0)])
        data["data"].update(amount_paid=14000.0)
        self.assert_items_at_the_register(
            data,
            [
                ("Frame Ray-Ban RB5154", 11999.74, 1.0, 11999.74, "vat22"),
                ("Lens 1.5", 2000.26, 1.0, 2000.26, "vat10"),
            ],
            14000.0,
        )

    def test_sale_on_the_customers_account(self):
        # Nothing paid now: a credit transfer (1214 = 6), paid "in credit" (1216).
        (on_account,) = self.sell(
            self.ui_order(
                [(self.lens, 1)], customer=self.customer, payments=[(self.pay_later_pm, 4500.0)]
            )
        )
        # Part paid now: partial payment and credit (1214 = 5).
        (partly,) = self.sell(
            self.ui_order(
                [(self.frame, 1)],
                customer=self.customer,
                payments=[(self.cash_pm1, 2000.0), (self.pay_later_pm, 10000.0)],
            )
        )
        self.run_fiscal_cron()
        self.assertEqual((on_account | partly).mapped("fiscal_state"), ["fiscalized"] * 2)
        _document, task = self.sent_task(on_account)
        self.assertEqual([i["paymentMethod"] for i in task["items"]], ["credit"])
        self.assertEqual(task["payments"], [{"type": "credit", "sum": 4500.0}])
        _document, task = self.sent_task(partly)
        self.assertEqual([i["paymentMethod"] for i in task["items"]], ["partialPayment"])
        self.assertEqual(
            sorted((p["type"], p["sum"]) for p in task["payments"]),
            [("cash", 2000.0), ("credit", 10000.0)],
        )

    def test_refund_of_a_deposit_reduces_the_job(self):
        job = self.glasses_job()
        deposit = self.sell_deposit(job)
        self.run_fiscal_cron()
        self.assertEqual(job._fiscal_deposits(), 5000)
        refund_data = self.ui_order(
            [{"product": self.deposit_product, "quantity": -1}],
            payments=[(self.cash_pm1, -5000.0)],
            customer=self.customer,
        )
        line = refund_data["data"]["lines"][0][2]
        line.update(
            price_unit=5000.0,
            price_subtotal=-4098.36,
            price_subtotal_incl=-5000.0,
            refunded_orderline_id=deposit.lines.id,
        )
        refund_data["data"].update(amount_total=-5000.0, amount_paid=-5000.0, amount_tax=-901.64)
        (refund,) = self.sell(refund_data)
        self.assertEqual(refund.optics_job_id, job, "the refund is linked to the deposit's job")
        self.assertEqual(job._fiscal_deposits(), 0)
        with self.assertRaises(UserError):
            self.sell(self.pickup_with_set_off(job))

    def test_job_of_another_customer_or_company_is_refused(self):
        stranger = self.env["res.partner"].create({"name": "Someone else"})
        foreign = self.glasses_job(optics_partner_id=stranger.id)
        orders = self.env["pos.order"].search([])
        data = self.ui_order([(self.frame, 1)], customer=self.customer)
        data["data"]["optics_job_id"] = foreign.id
        with self.assertRaises(UserError) as refused:
            self.sell(data)
        self.assertIn("not a job of this customer", str(refused.exception))
        self.assertEqual(self.env["pos.order"].search([]), orders)

        other_company = self.env["res.company"].create({"name": "Other optics chain"})
        elsewhere = self.glasses_job(company_id=other_company.id)
        own = self.glasses_job()
        cashier = new_test_user(self.env, "till_cashier", groups="point_of_sale.group_pos_user")
        jobs = self.env["pos.order"].with_user(cashier).optics_jobs_for_ui(self.customer.id)
        self.assertIn(own.id, [job["id"] for job in jobs])
        self.assertNotIn(elsewhere.id, [job["id"] for job in jobs])

    def test_split_line_when_discount_leaves_fractions_of_kopeck(self):
        (order,) = self.sell(self.ui_order([(self.lens, 3, 3.3)]))
        receipt = order._fiscal_receipt()
        total = sum(Decimal(item["sum"]) for item in receipt["items"])
        self.assertEqual(total, Decimal(repr(order.amount_total)).quantize(Decimal("0.01")))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)

    def test_cheap_lines_with_discounts_keep_every_line_rule(self):
        """Each item's sum is its price x quantity to the kopeck, never negative."""
        cloth = self.create_product(
            "Cleaning cloth", self.categ_basic, 0.02, tax_ids=self.tax10.ids
        )
        orders = self.sell(self.ui_order([(cloth, 10, 25.0)]), self.ui_order([(cloth, 150, 66.0)]))
        for order in orders:
            items = order._fiscal_receipt()["items"]
            for item in items:
                price, quantity = Decimal(item["price"]), Decimal(item["quantity"])
                self.assertGreaterEqual(price, 0, items)
                self.assertEqual(
                    (price * quantity).quantize(Decimal("0.01"), ROUND_HALF_UP),
                    Decimal(item["sum"]),
                    items,
                )
        self.run_fiscal_cron()
        self.assertEqual(
            orders.mapped("fiscal_state"), ["fiscalized"] * 2, orders.mapped("fiscal_error")
        )

    def test_method_without_fiscal_type_counts_as_electronic_everywhere(self):
        # Left blank in the settings (POS forbids the edit while this test's session is open).
        self.env.cr.execute(
            "UPDATE pos_payment_method SET fiscal_payment_type = NULL WHERE id = %s",
            [self.bank_pm1.id],
        )
        self.bank_pm1.invalidate_recordset(["fiscal_payment_type"])
        (order,) = self.sell(self.ui_order([(self.lens, 1)], payments=[(self.bank_pm1, 4500.0)]))
        self.assertEqual(order._fiscal_receipt()["payments"], [{"type": 1, "sum": "4500.00"}])
        self.run_fiscal_cron()
        self.assertEqual((order.fiscal_cash_amount, order.fiscal_electronic_amount), (0.0, 4500.0))

    def test_session_shift_and_z_report(self):
        session = self.pos_session
        self.assertTrue(session.fiscal_shift_opened_at)
        self.assertTrue(session.fiscal_shift_number)
        self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        session.action_fiscal_report_x()
        session.action_pos_session_closing_control()
        self.assertEqual(session.state, "closed")
        self.assertTrue(session.fiscal_z_report_done)
        self.assertFalse(self.emulator.report()["register"]["shift_open"])

    def test_shift_warning_near_24_hours(self):
        session = self.pos_session
        self.assertFalse(session.fiscal_shift_warning)
        # The register's shift, whichever session opened it.
        opened = self.device.shift_opened_at
        self.assertEqual(session.fiscal_register_shift_opened_at, opened)
        self.device._fiscal_write({"shift_opened_at": opened.replace(year=2020)})
        self.assertTrue(session.fiscal_shift_warning)
        self.assertTrue(self.config.fiscal_status_for_ui()["shift_warning"])

    def test_the_shift_the_drain_renewed_is_the_one_shown(self):
        self.emulator.age_shift(25)
        self.device._run_register_task("getShiftStatus")
        self.assertLess(self.device.shift_opened_at, fields.Datetime.now() - timedelta(hours=24))
        self.assertTrue(self.pos_session.fiscal_shift_warning)
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        # The register refuses the receipt for its shift: the drain closes it and opens one.
        with self.assertLogs("fiscal_connector.drain", "WARNING"):
            self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        self.assertGreater(self.device.shift_opened_at, fields.Datetime.now() - timedelta(hours=1))
        self.assertFalse(self.pos_session.fiscal_shift_warning)

    def test_pos_status_light(self):
        self.assertEqual(self.config.fiscal_status_for_ui()["level"], "green")
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        status = self.config.fiscal_status_for_ui()
        self.assertEqual((status["level"], status["waiting"], status["failed"]), ("yellow", 1, 0))
        self.assertLess(status["oldest_age"], 600)
        self.run_fiscal_cron()
        self.assertEqual(self.config.fiscal_status_for_ui()["level"], "green")
        order._fiscal_write({"fiscal_state": "failed"})
        status = self.config.fiscal_status_for_ui()
        self.assertEqual((status["level"], status["waiting"], status["failed"]), ("red", 0, 1))

    def test_device_status_and_test_connection(self):
        action = self.device.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.sell(self.ui_order([(self.lens, 1)]))
        with self.device._fiscal_connector() as conn:
            self.env["pos.order"]._fiscal_enqueue_pending(conn)
        self.device.invalidate_recordset()
        self.assertEqual(self.device.queue_depth, 1)
        self.assertTrue(self.device.oldest_pending_age)
        self.run_fiscal_cron()
        self.device.invalidate_recordset()
        self.assertEqual(self.device.queue_depth, 0)
        self.assertEqual(self.device.breaker_state, "closed")
        self.assertTrue(self.device.last_success)

    def test_test_connection_failure_answers_quickly(self):
        down = self.create_fiscal_device(url="http://127.0.0.1:9/")
        action = down.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")

    def test_receipt_shows_one_time_the_registers(self):
        zone = "Asia/Yekaterinburg"  # UTC+5, neither the host's nor the users'
        self.device.tz = zone
        self.start_fiscal_emulator(tz=zone)
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        wall = pytz.utc.localize(order.fiscal_datetime).astimezone(pytz.timezone(zone))
        # The register's QR carries its own wall-clock time: the screen shows the same one.
        self.assertIn(f"t={wall:%Y%m%dT%H%M}&", order.fiscal_qr)
        info = order.with_context(lang="en_US", tz="Europe/Lisbon")._fiscal_info_for_ui()
        self.assertIn(f"{wall:%-I:%M}", info["datetime"])
        self.assertIn(f"{wall.year}", info["datetime"])
        self.env["res.lang"]._activate_lang("ru_RU")
        russian = order.with_context(lang="ru_RU")._fiscal_info_for_ui()["datetime"]
        self.assertIn(f"{wall:%H:%M:%S}", russian)
        self.assertIn(" г.", russian)  # Russian's own date format, not ISO
        self.assertEqual(order._fiscal_receipt()["timestamp"][-6:], "+05:00")

    def test_failed_receipt_gives_the_fiscal_admin_one_task_until_registered(self):
        admin = new_test_user(self.env, "kkt_admin", groups="optics_pos_ru54fz.group_fiscal_admin")
        self.device.responsible_id = admin
        self.emulator.set_faults(reject=2)
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        task = order.activity_ids
        self.assertEqual(len(task), 1)
        self.assertEqual(task.user_id, admin)
        self.assertEqual(task.activity_type_id, self.env.ref(FAILURE_ACTIVITY))
        self.assertIn("The register refused the receipt", str(task.note))
        self.assertEqual(self.device.failure_activity_ids, task)
        info = order.fiscal_info_for_ui([order.pos_reference])[order.pos_reference]
        self.assertEqual(info["notified"], admin.name)

        order.action_fiscal_reissue()  # refused again: still one task
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        self.assertEqual(order.activity_ids, task)

        order.action_fiscal_reissue()
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.assertFalse(task.exists())
        self.device.invalidate_recordset()
        self.assertFalse(self.device.failure_activity_ids)

    def test_failed_receipt_without_fiscal_admin_says_so(self):
        self.env.ref("optics_pos_ru54fz.group_fiscal_admin").users = False
        self.emulator.set_faults(reject=1)
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        self.assertFalse(order.activity_ids)
        info = order.fiscal_info_for_ui([order.pos_reference])[order.pos_reference]
        self.assertFalse(info["notified"])

    def test_dead_letter_reissue(self):
        # An outage (every call fails for the whole run) leaves the receipt waiting; only
        # the register's refusal makes it dead.
        self.emulator.set_faults(error_5xx=100000)
        (order,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "queued")
        self.emulator.set_faults(error_5xx=0, reject=1)
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "failed")
        action = self.env["fiscal.dead.letter"].action_open(self.device)
        letters = self.env["fiscal.dead.letter"].search(action["domain"])
        self.assertEqual(letters.order_id, order)
        letters.action_reissue()
        self.assertEqual(order.fiscal_state, "reissue")
        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized")
        self.assertEqual(self.emulator.documents()[order.fiscal_key], 1)

    def test_purge_keeps_pending(self):
        self.sell(self.ui_order([(self.lens, 1)]))
        self.run_fiscal_cron()
        self.set_fiscal_params(retention_days=0)
        self.assertEqual(self.env["pos.order"]._cron_fiscal_purge(), 1)
