from datetime import timedelta
from decimal import Decimal

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

from .xlsx_reader import xlsx_cells


@tagged("post_install", "-at_install")
class TestPosGrossProfit(TestPoSCommon):
    """POS sales of one store: gross profit, Z-report reconciliation, cash orders."""

    @classmethod
    def _create_basic_config(cls):
        """The store's till: its cash payment method uses the store's cash journal."""
        env = cls.env
        cls.store_journal = env["account.journal"].create(
            {"name": "Cash Store GP", "code": "CSGP", "type": "cash", "company_id": cls.company.id}
        )
        cls.store = env["ru.cash.store"].create(
            {"name": "Store GP", "journal_id": cls.store_journal.id, "company_id": cls.company.id}
        )
        cls.store_cash_pm = env["pos.payment.method"].create(
            {
                "name": "Store cash",
                "journal_id": cls.store_journal.id,
                "receivable_account_id": cls.pos_receivable_cash.id,
                "company_id": cls.company.id,
            }
        )
        cls.bank_pm1 = env["pos.payment.method"].create(
            {
                "name": "Card",
                "journal_id": cls.company_data["default_journal_bank"].id,
                "receivable_account_id": cls.pos_receivable_bank.id,
                "outstanding_account_id": cls.outstanding_bank.id,
                "company_id": cls.company.id,
            }
        )
        cls.store_config = env["pos.config"].create(
            {
                "name": "Store GP till 1",
                "journal_id": cls.pos_sale_journal.id,
                "invoice_journal_id": cls.invoice_journal.id,
                "available_pricelist_ids": cls.currency_pricelist.ids,
                "pricelist_id": cls.currency_pricelist.id,
                "payment_method_ids": [(6, 0, (cls.store_cash_pm | cls.bank_pm1).ids)],
                "ru_cash_store_id": cls.store.id,
            }
        )
        return cls.store_config

    @classmethod
    def _create_other_currency_config(cls):
        return cls.env["pos.config"]

    @classmethod
    def setUpClass(cls, chart_template_ref=None):
        super().setUpClass(chart_template_ref=chart_template_ref)
        env = cls.env
        tax = env["account.tax"]
        cls.vat20 = tax.create(
            {"name": "VAT 20% incl", "amount": 20, "price_include": True, "type_tax_use": "sale"}
        )
        cls.vat10 = tax.create(
            {"name": "VAT 10% incl", "amount": 10, "price_include": True, "type_tax_use": "sale"}
        )
        cls.categ_frames = cls.categ_anglo  # FIFO, real-time valuation
        cls.categ_other = cls.categ_basic
        cls.frame = cls.create_product("Frame", cls.categ_frames, 12000, 4800, cls.vat20.ids)
        cls.lens = cls.create_product("Lens", cls.categ_other, 3300, 1200, cls.vat10.ids)
        cls.cloth = cls.create_product("Cloth", cls.categ_other, 249.90, 100, cls.vat20.ids)
        # Two FIFO layers of frames: 4800 then 5200; the sale takes the first one.
        cls.adjust_inventory([cls.frame, cls.lens, cls.cloth], [1, 10, 10])
        cls.frame.standard_price = 5200
        cls.adjust_inventory([cls.frame], [2])
        cls.manager = env["res.users"].create(
            {
                "name": "Store GP manager",
                "login": "store_gp_manager",
                "company_id": cls.company.id,
                "company_ids": [(6, 0, cls.company.ids)],
                "groups_id": [(6, 0, env.ref("point_of_sale.group_pos_manager").ids)],
            }
        )

    def _sell(self):
        """Hand-computed sales (prices include VAT; revenue and cost exclude it).

        frame 12000 -10% = 10800 incl. 20% -> 9000.00, FIFO cost 4800.00
        lens 2 x 3300 = 6600 incl. 10% -> 6000.00, cost 2400.00
        lens 3300 -5% = 3135 incl. 10% -> 2850.00, cost 1200.00
        cloth 3 x 249.90 -7% = 697.22 incl. 20% -> 581.02, cost 300.00
        refund lens -3300 incl. 10% -> -3000.00, cost -1200.00
        """
        self.config = self.store_config
        session = self.open_new_session()
        orders = [
            {
                "pos_order_lines_ui_args": [(self.frame, 1, 10), (self.lens, 2)],
                "uid": "00001-001-0001",
            },
            {
                "pos_order_lines_ui_args": [(self.lens, 1, 5), (self.cloth, 3, 7)],
                "payments": [(self.bank_pm1, 3832.22)],
                "uid": "00001-001-0002",
            },
            {"pos_order_lines_ui_args": [(self.lens, -1)], "uid": "00001-001-0003"},
        ]
        self._create_orders(orders)
        return session

    def _report(self, groupby):
        return self.env["ru.gross.profit.report"].read_group(
            [("store_id", "=", self.store.id)],
            ["revenue:sum", "cost:sum", "gross_profit:sum", "margin_percent"],
            groupby,
            lazy=False,
        )

    def test_gross_profit_matches_hand_computation(self):
        self._sell()
        self.assertEqual(self.frame.standard_price, 5200)
        (total,) = self._report([])
        self.assertEqual(Decimal(str(total["revenue"])), Decimal("15431.02"))
        self.assertEqual(Decimal(str(total["cost"])), Decimal("7500.00"))
        self.assertEqual(Decimal(str(total["gross_profit"])), Decimal("7931.02"))
        self.assertEqual(Decimal(str(total["margin_percent"])), Decimal("51.4"))
        by_category = {row["categ_id"][0]: row for row in self._report(["categ_id"])}
        frames = by_category[self.categ_frames.id]
        self.assertEqual(
            (frames["revenue"], frames["cost"], frames["gross_profit"], frames["margin_percent"]),
            (9000.00, 4800.00, 4200.00, 46.67),
        )
        other = by_category[self.categ_other.id]
        self.assertEqual(Decimal(str(other["revenue"])), Decimal("6431.02"))
        self.assertEqual(Decimal(str(other["gross_profit"])), Decimal("3731.02"))
        self.assertEqual(other["margin_percent"], 58.02)
        (by_cashier,) = self._report(["cashier_id"])
        self.assertEqual(by_cashier["cashier_id"][0], self.env.user.id)
        self.assertEqual(Decimal(str(by_cashier["revenue"])), Decimal("15431.02"))

    def test_gross_profit_xlsx_export(self):
        self._sell()
        today = fields.Date.context_today(self.env.user)
        wizard = self.env["ru.gross.profit.export"].create(
            {
                "date_from": today - timedelta(days=1),
                "date_to": today + timedelta(days=1),
                "grouping": "store_category",
                "store_ids": [(6, 0, self.store.ids)],
            }
        )
        rows = wizard._rows()
        self.assertEqual(len(rows), 2)
        cells = xlsx_cells(self.env, wizard.action_export_xlsx())
        self.assertIn(9000.0, cells)
        self.assertIn(46.67, cells)
        self.assertIn(self.store.name, cells)
        total_row = cells[cells.index("Total") :]
        self.assertEqual(total_row[1:5], [6.0, 15431.02, 7500.0, 7931.02])
        self.assertEqual(total_row[5], 51.4)

    @staticmethod
    def _write_matching_z_report(session):
        """The Z report the drain records for the sales of _sell, to the kopeck."""
        session._fiscal_write(
            {
                "fiscal_sale_total": 21232.22,
                "fiscal_refund_total": 3300.00,
                "fiscal_cash_total": 14100.00,
                "fiscal_electronic_total": 3832.22,
                "fiscal_z_report_done": True,
            }
        )

    def test_sale_after_the_z_report_is_reconciled_when_the_session_closes(self):
        """A sale does not recompute the reconciliation (it is off the till's path);
        closing the session does, and sees the payment no Z report covers."""
        session = self._sell()
        self._write_matching_z_report(session)
        self.assertEqual(session.ru_z_state, "matched")
        self._create_orders(
            [{"pos_order_lines_ui_args": [(self.cloth, 1)], "uid": "00001-001-0004"}]
        )
        self.assertAlmostEqual(session.ru_payment_cash_total, 14349.90, places=2)
        session.write({"state": "closing_control"})
        self.assertEqual(session.ru_z_state, "mismatch")
        self.assertAlmostEqual(session.ru_z_cash_difference, -249.90, places=2)

    def test_z_report_reconciliation_flags_a_difference(self):
        session = self._sell()
        self.assertEqual(session.ru_payment_cash_total, 14100.00)
        self.assertAlmostEqual(session.ru_payment_electronic_total, 3832.22, places=2)
        self.assertEqual(session.ru_z_state, "pending")
        self._write_matching_z_report(session)
        self.assertEqual(session.ru_z_state, "matched")
        self.assertFalse(session.ru_z_mismatch)
        self.assertFalse(session.activity_ids.filtered(lambda a: a.user_id == self.manager))

        session._fiscal_write({"fiscal_cash_total": 14000.00})
        self.assertEqual(session.ru_z_state, "mismatch")
        self.assertTrue(session.ru_z_mismatch)
        self.assertEqual(session.ru_z_cash_difference, -100.00)
        self.assertEqual(session.ru_z_total_difference, 0.0)
        flagged = self.env["pos.session"].search([("ru_z_mismatch", "=", True)])
        self.assertIn(session, flagged)
        activity = session.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(activity), 1)
        self.assertIn("-100.0", activity.note)
        session._fiscal_write(
            {"fiscal_cash_total": 13900.00}
        )  # still a mismatch: no second warning
        self.assertEqual(len(session.activity_ids.filtered(lambda a: a.user_id == self.manager)), 1)

    def test_session_cash_becomes_cash_orders(self):
        session = self._sell()
        session.try_cash_in_out("in", 1000, "change float", {"translatedType": "in"})
        session.try_cash_in_out("out", 200, "to the bank", {"translatedType": "out"})
        moves = session.ru_cash_order_ids
        self.assertEqual(sorted(moves.mapped("order_type")), ["in", "out"])
        self.assertEqual(set(moves.mapped("source")), {"pos_cash_move"})
        out = moves.filtered(lambda o: o.order_type == "out")
        self.assertEqual(out.move_id, out.statement_line_id.move_id)
        cash_line = out.move_id.line_ids.filtered(
            lambda line: line.account_id == self.store.cash_account_id
        )
        self.assertEqual(cash_line.balance, -200.0)

        session.post_closing_cash_details(14900)
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")
        sales = session.ru_cash_order_ids.filtered(lambda o: o.source == "pos_session")
        self.assertEqual(sales.mapped("amount"), [14100.00])
        self.assertEqual(sales.order_type, "in")
        self.assertTrue(all(order.state == "posted" for order in session.ru_cash_order_ids))
        today = fields.Date.context_today(session)
        (day,) = self.store._cash_book_days(today, today)
        self.assertEqual(day["opening"], Decimal("0.00"))
        self.assertEqual(day["closing"], Decimal("14900.00"))
        ledger = self.env["account.move.line"].search(
            [("account_id", "=", self.store.cash_account_id.id), ("parent_state", "=", "posted")]
        )
        self.assertAlmostEqual(sum(ledger.mapped("balance")), 14900.00, places=2)

    def test_second_till_of_the_store_feeds_the_same_cash_book(self):
        till_journal = self.env["account.journal"].create(
            {
                "name": "Cash Store GP till 2",
                "code": "CSG2",
                "type": "cash",
                "company_id": self.company.id,
                "ru_cash_store_id": self.store.id,
            }
        )
        till_cash = self.env["pos.payment.method"].create(
            {
                "name": "Till 2 cash",
                "journal_id": till_journal.id,
                "receivable_account_id": self.pos_receivable_cash.id,
                "company_id": self.company.id,
            }
        )
        till2 = self.store_config.copy(
            {"name": "Store GP till 2", "payment_method_ids": [(6, 0, till_cash.ids)]}
        )
        self.assertEqual(till2.ru_cash_store_id, self.store)
        self.config = till2
        session = self.open_new_session()
        session.try_cash_in_out("in", 300, "float", {"translatedType": "in"})
        order = session.ru_cash_order_ids
        self.assertEqual((order.store_id, order.journal_id), (self.store, till_journal))
        self.assertEqual(order.move_id.journal_id, till_journal)
        today = fields.Date.context_today(session)
        (day,) = self.store._cash_book_days(today, today)
        self.assertEqual(day["closing"], Decimal("300.00"))

    def test_till_must_use_the_store_cash_journal(self):
        other_journal = self.env["account.journal"].create(
            {"name": "Other cash", "code": "CSOT", "type": "cash", "company_id": self.company.id}
        )
        other_cash = self.env["pos.payment.method"].create(
            {"name": "Other cash", "journal_id": other_journal.id, "company_id": self.company.id}
        )
        with self.assertRaises(ValidationError) as caught:
            self.store_config.payment_method_ids = [(6, 0, (other_cash | self.bank_pm1).ids)]
        self.assertIn("must use cash journals of its store", str(caught.exception))
        self.assertEqual(self.store_config.payment_method_ids, self.store_cash_pm | self.bank_pm1)
