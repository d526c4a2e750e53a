"""Refusal while receipts wait for the register, on the fiscal module's real flow.

Runs only where optics_pos_ru54fz is installed (as in the suite's CI): a POS
sale through ``create_from_ui`` leaves a paid order "to send"; the import is
refused until the fiscal cron has sent it to the emulated register. Only the
importing company's receipts that wait for a register count: a dead letter
waits for an administrator, and another company's till is not this import's.
"""

import base64
import os
import shutil
import tempfile
import unittest

import odoo
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import get_db_name

from .common import write_csv, write_xlsx

try:
    from odoo.addons.optics_pos_ru54fz.tests import common as fiscal_common
except ImportError:  # the fiscal module is not on the addons path at all
    fiscal_common = None

BaseCase = fiscal_common.FiscalPosCase if fiscal_common else unittest.TestCase
HEADER = ["code", "name", "price"]

@tagged("post_install", "-at_install")
class TestRefusalWhileReceiptsUnsent(BaseCase):
    @classmethod
    def setUpClass(cls):
        if not fiscal_common or "fiscal.device" not in odoo.registry(get_db_name()):
            raise unittest.SkipTest("optics_pos_ru54fz is not installed: there is no fiscal "
                                    "queue to wait for")
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.folder = tempfile.mkdtemp(prefix="connector_b_fiscal_")
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)

    def preview(self, rows=(("Z-1", "Футляр", "100,00"),), file_format="csv"):
        """The supplier's list written to a real file and previewed through the wizard."""
        partner = self.env["res.partner"].create({"name": "Supplier with a till nearby"})
        profile = self.env["connector_b.profile"].create({
            "name": "Three columns", "partner_id": partner.id, "file_format": file_format,
            "line_ids": [(0, 0, {"column_name": "code", "target": "supplier_code"}),
                         (0, 0, {"column_name": "name", "target": "name"}),
                         (0, 0, {"column_name": "price", "target": "purchase_price"})],
        })
        path = os.path.join(self.folder, f"list.{file_format}")
        if file_format == "xlsx":
            write_xlsx(path, HEADER, rows)
        else:
            write_csv(path, HEADER, rows, encoding="utf-8", delimiter=";")
        with open(path, "rb") as stream:
            data = stream.read()
        wizard = self.env["connector_b.import.wizard"].create({
            "profile_id": profile.id, "file": base64.b64encode(data),
            "file_name": os.path.basename(path)})
        return self.env["connector_b.run"].browse(wizard.action_preview()["res_id"])

    def test_import_waits_for_the_register(self):
        self.env.company.catalogue_refuse_unsent = True
        (order,) = self.sell(self.ui_order([(self.frame, 1)]))
        self.assertEqual(order.fiscal_state, "to_send")
        Run = self.env["connector_b.run"]
        self.assertGreaterEqual(Run._fiscal_unsent_count(self.env.company), 1)
        with self.assertRaises(UserError) as caught:
            self.preview()
        self.assertIn("receipt(s) are not fiscalized yet", str(caught.exception))
        self.assertFalse(Run.search([("file_name", "=", "list.csv")]))

        self.run_fiscal_cron()
        self.assertEqual(order.fiscal_state, "fiscalized", order.fiscal_error)
        self.assertEqual(Run._fiscal_unsent_count(self.env.company), 0)
        run = self.preview()
        self.assertEqual((run.state, run.rows_created), ("previewed", 1))

    def sell_in_other_company(self):
        """A paid order of another company, on its own till and register: left "to send"."""
        other = self.company_data_2
        company = other["company"]
        journal = self.env["account.journal"].create({
            "name": "Till cash of company B", "code": "TCB", "type": "cash",
            "company_id": company.id})
        cash = self.env["pos.payment.method"].create({
            "name": "Cash of company B", "journal_id": journal.id,
            "receivable_account_id": other["default_account_receivable"].id,
            "company_id": company.id})
        device = self.create_fiscal_device(company_id=company.id, url=self.emulator.url)
        pricelist = self.env["product.pricelist"].create({
            "name": "Prices of company B", "company_id": company.id,
            "currency_id": company.currency_id.id})
        config = self.env["pos.config"].with_company(company).create({
            "name": "Till of company B", "company_id": company.id,
            "journal_id": other["default_journal_sale"].id,
            "invoice_journal_id": other["default_journal_sale"].id,
            "available_pricelist_ids": pricelist.ids, "pricelist_id": pricelist.id,
            "payment_method_ids": cash.ids, "fiscal_device_id": device.id})
        config.open_ui()
        session = config.current_session_id
        session.set_cashbox_pos(0, None)
        data = self.ui_order([(self.eye_test, 1)], payments=[(cash, 1500.0)])
        data["data"].update(pos_session_id=session.id, pricelist_id=pricelist.id)
        orders = self.env["pos.order"].with_company(company)
        return orders.browse([row["id"] for row in orders.create_from_ui([data])])

    def test_only_the_companys_waiting_receipts_stop_its_import(self):
        self.env.company.catalogue_refuse_unsent = True
        company = self.env.company
        Run = self.env["connector_b.run"]
        # Company A: a receipt the register refused, a dead letter for its administrator.
        self.emulator.set_faults(reject=1)
        (dead,) = self.sell(self.ui_order([(self.frame, 1)]))
        self.run_fiscal_cron()
        self.assertEqual(dead.fiscal_state, "failed")
        with self.device._fiscal_connector() as conn:
            self.assertEqual(conn.entry(dead.fiscal_key)["state"], "dead")
        # Company B: a paid receipt that waits for its register.
        (other,) = self.sell_in_other_company()
        self.assertEqual(other.company_id, self.company_data_2["company"])
        self.assertEqual(other.fiscal_state, "to_send")
        self.assertEqual(Run._fiscal_unsent_count(company), 0)
        self.assertEqual(Run._fiscal_unsent_count(other.company_id), 1)

        run = self.preview([("Z-1", "Футляр", 100), ("Z-2", "Салфетка", "60,00")], "xlsx")
        self.assertEqual((run.state, run.rows_created), ("previewed", 2), run.message)
        run.action_run()
        self.assertEqual((run.state, run.rows_created), ("done", 2), run.message)
        sellers = self.env["product.supplierinfo"].search([("partner_id", "=", run.partner_id.id)])
        self.assertEqual({s.product_code: s.price for s in sellers}, {"Z-1": 100.0, "Z-2": 60.0})

        # Company A: a paid receipt that waits for its register stops the next import, also
        # once the outbox holds it (its entry is not counted a second time).
        (waiting,) = self.sell(self.ui_order([(self.lens, 1)]))
        self.assertEqual(Run._fiscal_unsent_count(company), 1)
        self.emulator.stop()
        self.run_fiscal_cron()
        self.assertEqual(waiting.fiscal_state, "queued")
        self.assertEqual(Run._fiscal_unsent_count(company), 1)
        self.assertEqual(Run._fiscal_unsent_count(other.company_id), 1)
        with self.assertRaises(UserError) as caught:
            self.preview([("Z-3", "Футляр", "120,00")], "xlsx")
        self.assertIn("1 receipt(s) are not fiscalized yet", str(caught.exception))
