from datetime import date
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .xlsx_reader import xlsx_cells

DAY1, DAY2, DAY4 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)


@tagged("post_install", "-at_install")
class TestCashOrders(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls, chart_template_ref=None):
        super().setUpClass(chart_template_ref=chart_template_ref)
        cls.company = cls.company_data["company"]
        cls.transfer_account = cls.env["account.account"].create(
            {"code": "570000", "name": "Transfers in transit", "account_type": "asset_current"}
        )
        cls.company.ru_cash_transfer_account_id = cls.transfer_account
        cls.equity = cls.env["account.account"].create(
            {"code": "750000", "name": "Owner contribution", "account_type": "equity"}
        )
        cls.store_a = cls._create_store("Store A", "CSHA")
        cls.store_b = cls._create_store("Store B", "CSHB")
        cls.bank_journal = cls.company_data["default_journal_bank"]

    @classmethod
    def _create_store(cls, name, code):
        journal = cls.env["account.journal"].create(
            {"name": "Cash %s" % name, "code": code, "type": "cash", "company_id": cls.company.id}
        )
        return cls.env["ru.cash.store"].create(
            {"name": name, "code": code, "journal_id": journal.id, "company_id": cls.company.id}
        )

    def _order(self, store, order_type, amount, day=DAY1, **extra):
        order = self.env["ru.cash.order"].create(
            {
                "order_type": order_type,
                "store_id": store.id,
                "amount": amount,
                "date": day,
                "counterpart_account_id": self.equity.id,
                **extra,
            }
        )
        order.action_post()
        return order

    def _balances(self, move):
        """{account: balance} of a posted, balanced entry."""
        self.assertEqual(move.state, "posted")
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0, places=2)
        result = {}
        for line in move.line_ids:
            result[line.account_id] = result.get(line.account_id, 0.0) + line.balance
        return result

    def test_incoming_order_books_cash_against_counterpart(self):
        order = self._order(self.store_a, "in", 10000.50, person="I. Sidorov")
        self.assertTrue(order.name.startswith("KO1-2026-"))
        self.assertEqual(order.state, "posted")
        self.assertEqual(
            self._balances(order.move_id),
            {self.store_a.cash_account_id: 10000.50, self.equity: -10000.50},
        )
        self.assertEqual(order.move_id.journal_id, self.store_a.journal_id)
        self.assertEqual(order.amount_in_words, "Десять тысяч рублей 50 копеек")

    def test_outgoing_order_uses_its_own_sequence_and_refuses_overdraft(self):
        self._order(self.store_a, "in", 1000)
        too_much = self.env["ru.cash.order"].create(
            {
                "order_type": "out",
                "store_id": self.store_a.id,
                "amount": 1000.01,
                "date": DAY1,
                "counterpart_account_id": self.equity.id,
            }
        )
        with self.assertRaises(UserError) as caught:
            too_much.action_post()
        self.assertIn("only 1000.00 in cash", str(caught.exception))
        self.assertEqual(too_much.state, "draft")
        self.assertFalse(too_much.move_id)
        paid = self._order(self.store_a, "out", 400)
        self.assertTrue(paid.name.startswith("KO2-2026-"))
        self.assertEqual(
            self._balances(paid.move_id),
            {self.store_a.cash_account_id: -400.0, self.equity: 400.0},
        )

    def test_only_draft_cash_orders_and_transfers_can_be_deleted(self):
        posted = self._order(self.store_a, "in", 700)
        with self.assertRaises(UserError):
            posted.unlink()
        self.assertTrue(posted.exists())
        transfer = self.env["ru.cash.transfer"].create(
            {
                "destination_type": "store",
                "source_store_id": self.store_a.id,
                "destination_store_id": self.store_b.id,
                "amount": 100,
                "date": DAY1,
            }
        )
        transfer.action_post()
        with self.assertRaises(UserError):
            transfer.unlink()
        self.assertTrue(transfer.exists())
        draft = self.env["ru.cash.order"].create(
            {
                "order_type": "in",
                "store_id": self.store_a.id,
                "amount": 50,
                "date": DAY1,
                "counterpart_account_id": self.equity.id,
            }
        )
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_transfer_between_stores_nets_the_transfer_account(self):
        self._order(self.store_a, "in", 5000)
        transfer = self.env["ru.cash.transfer"].create(
            {
                "destination_type": "store",
                "source_store_id": self.store_a.id,
                "destination_store_id": self.store_b.id,
                "amount": 3000,
                "date": DAY1,
                "carrier": "Courier",
            }
        )
        transfer.action_post()
        self.assertEqual(transfer.state, "posted")
        self.assertEqual(transfer.out_order_id.order_type, "out")
        self.assertEqual(transfer.in_order_id.order_type, "in")
        self.assertEqual(
            self._balances(transfer.out_order_id.move_id),
            {self.transfer_account: 3000.0, self.store_a.cash_account_id: -3000.0},
        )
        self.assertEqual(
            self._balances(transfer.in_order_id.move_id),
            {self.store_b.cash_account_id: 3000.0, self.transfer_account: -3000.0},
        )
        transit = self.env["account.move.line"].search(
            [("account_id", "=", self.transfer_account.id), ("parent_state", "=", "posted")]
        )
        self.assertAlmostEqual(sum(transit.mapped("balance")), 0.0, places=2)
        self.assertEqual(self.store_a._cash_balance_before(DAY2), Decimal("2000.00"))
        self.assertEqual(self.store_b._cash_balance_before(DAY2), Decimal("3000.00"))

    def test_transfer_to_bank(self):
        self._order(self.store_a, "in", 5000)
        transfer = self.env["ru.cash.transfer"].create(
            {
                "destination_type": "bank",
                "source_store_id": self.store_a.id,
                "bank_journal_id": self.bank_journal.id,
                "amount": 4500,
                "date": DAY1,
            }
        )
        transfer.action_post()
        self.assertEqual(
            self._balances(transfer.bank_move_id),
            {self.bank_journal.default_account_id: 4500.0, self.transfer_account: -4500.0},
        )
        self.assertEqual(transfer.bank_move_id.journal_id, self.bank_journal)
        self.assertFalse(transfer.in_order_id)

    def test_transfer_validation(self):
        with self.assertRaisesRegex(Exception, "cannot transfer cash to itself"):
            self.env["ru.cash.transfer"].create(
                {
                    "destination_type": "store",
                    "source_store_id": self.store_a.id,
                    "destination_store_id": self.store_a.id,
                    "amount": 10,
                }
            )
        transfer = self.env["ru.cash.transfer"].create(
            {
                "destination_type": "bank",
                "source_store_id": self.store_a.id,
                "bank_journal_id": self.bank_journal.id,
                "amount": 10,
                "date": DAY1,
            }
        )
        with self.assertRaises(UserError) as caught:
            transfer.action_post()
        self.assertIn("cannot pay out", str(caught.exception))
        self.assertEqual(transfer.state, "draft")
        self.assertFalse(self.env["ru.cash.order"].search([("transfer_id", "=", transfer.id)]))

    def test_cash_book_carries_balances_from_day_to_day(self):
        self._order(self.store_a, "in", 1000, day=DAY1)
        self._order(self.store_a, "in", 250.25, day=DAY1)
        self._order(self.store_a, "out", 300, day=DAY2)
        self._order(self.store_a, "in", 49.75, day=DAY2)
        self._order(self.store_a, "out", 1000, day=DAY4)
        self._order(self.store_b, "in", 777, day=DAY2)  # another store: not in A's book
        days = self.store_a._cash_book_days(DAY2, DAY4)
        self.assertEqual([d["date"] for d in days], [DAY2, DAY4])
        self.assertEqual(days[0]["opening"], Decimal("1250.25"))
        self.assertEqual(
            (days[0]["total_in"], days[0]["total_out"]), (Decimal("49.75"), Decimal("300.00"))
        )
        self.assertEqual(days[0]["closing"], Decimal("1000.00"))
        self.assertEqual(days[1]["opening"], days[0]["closing"])
        self.assertEqual(days[1]["closing"], 0)
        self.assertEqual(len(days[0]["orders"]), 2)

        wizard = self.env["ru.cash.book.wizard"].create(
            {"store_id": self.store_a.id, "date_from": DAY1, "date_to": DAY4}
        )
        values = xlsx_cells(self.env, wizard.action_export_xlsx())
        self.assertIn(1250.25, values)  # day 1 closing, day 2 opening
        self.assertIn(49.75, values)

        html = self.env["ir.actions.report"]._render_qweb_html(
            "ru_accounting_extras.action_report_cash_book", wizard.ids
        )[0].decode()
        self.assertIn("1250.25", html)
        self.assertIn(self.store_a.name, html)

    def test_cash_limit_warns_the_store_manager(self):
        manager = self.env["res.users"].create(
            {
                "name": "Store manager",
                "login": "store_manager_limit",
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
                "groups_id": [(6, 0, self.env.ref("point_of_sale.group_pos_manager").ids)],
            }
        )
        self.store_a.write({"cash_limit": 5000, "manager_id": manager.id})
        self._order(self.store_a, "in", 5000, day=DAY1)
        self.assertFalse(self.store_a.activity_ids)
        self._order(self.store_a, "in", 0.01, day=DAY1)
        activity = self.store_a.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, manager)
        self.assertIn("2026-03-02", activity.summary)
        self._order(self.store_a, "in", 1, day=DAY1)  # same day: no second warning
        self.assertEqual(len(self.store_a.activity_ids), 1)

    def test_cash_order_print_has_form_and_words(self):
        order = self._order(self.store_a, "in", 21, person="A. Petrov", basis="Change float")
        html = self.env["ir.actions.report"]._render_qweb_html(
            "ru_accounting_extras.action_report_cash_order", order.ids
        )[0].decode()
        self.assertIn("0310001", html)
        self.assertIn("Двадцать один рубль 00 копеек", html)
        self.assertIn(order.name, html)
        self.assertIn(self.store_a.cash_account_id.code, html)
        out = self._order(self.store_a, "out", 2, person="A. Petrov")
        html = self.env["ir.actions.report"]._render_qweb_html(
            "ru_accounting_extras.action_report_cash_order", out.ids
        )[0].decode()
        self.assertIn("0310002", html)
        self.assertIn("Два рубля 00 копеек", html)

    def test_access_rights_and_company_rules(self):
        def user(login, groups, company):
            return self.env["res.users"].create(
                {
                    "name": login,
                    "login": login,
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "groups_id": [(6, 0, [self.env.ref(g).id for g in groups])],
                }
            )

        accountant = user("ru_accountant", ["account.group_account_user"], self.company)
        store_manager = user("ru_store_manager", ["point_of_sale.group_pos_manager"], self.company)
        other_company = self.company_data_2["company"]
        stranger = user("ru_other_accountant", ["account.group_account_user"], other_company)

        draft = self.env["ru.cash.order"].with_user(store_manager).create(
            {
                "order_type": "in",
                "store_id": self.store_a.id,
                "amount": 10,
                "date": DAY1,
                "counterpart_account_id": self.equity.id,
            }
        )
        with self.assertRaises(AccessError):
            draft.with_user(store_manager).action_post()
        self.assertEqual(draft.state, "draft")
        with self.assertRaises(AccessError):
            self.store_a.with_user(accountant).write({"cash_limit": 1})
        draft.with_user(accountant).action_post()
        self.assertEqual(draft.state, "posted")
        self.assertFalse(
            self.env["ru.cash.order"].with_user(stranger).search([("id", "=", draft.id)])
        )
        self.assertFalse(self.env["ru.cash.store"].with_user(stranger).search([]))
