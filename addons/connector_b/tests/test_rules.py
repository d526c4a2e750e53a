import base64

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import ACCESS_ROWS, LINZA_ROWS, OPTIKA_ROWS, CatalogueCase


@tagged("post_install", "-at_install")
class TestRules(CatalogueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(cls.env, "cb_accountant",
                                       groups="base.group_user,account.group_account_user")
        cls.account_manager = new_test_user(
            cls.env, "cb_account_manager", groups="base.group_user,account.group_account_manager")
        cls.optics_manager = new_test_user(
            cls.env, "cb_optics_manager", groups="base.group_user,optics_core.group_optics_manager")

    def pending(self, seller):
        return self.env["connector_b.pending.change"].search(
            [("supplierinfo_id", "=", seller.id), ("state", "=", "pending")])

    def test_price_jump_waits_for_a_manager(self):
        self.linza_profile.price_jump_percent = 20
        self.run_import(self.linza_profile, self.linza_file())
        rows = [list(row) for row in LINZA_ROWS]
        rows[0][3] = "1 300,00"  # 1 200 -> 1 560 with VAT: +30 %
        run = self.run_import(self.linza_profile, self.linza_file(rows))
        self.assertEqual((run.state, run.rows_updated, run.rows_pending), ("done", 0, 1))
        line = run.line_ids.filtered(lambda line: line.action == "pending")
        self.assertIn("waits for a manager", line.message)
        lens = self.product_by_barcode("4600000000046")
        seller = lens.seller_ids
        self.assertEqual((seller.price, lens.standard_price), (1200.0, 1200.0))
        change = self.pending(seller)
        self.assertEqual((change.change_field, change.old_value, change.new_value),
                         ("price", "1200.00", "1560.00"))
        self.assertAlmostEqual(change.change_percent, 30.0)
        # The same file again adds no second request for the same price.
        again = self.run_import(self.linza_profile, self.linza_file(rows))
        self.assertEqual((again.rows_unchanged, again.rows_pending), (3, 0), again.message)
        # A newer jump replaces the request still waiting.
        newer = [list(row) for row in rows]
        newer[0][3] = "1 400,00"
        self.run_import(self.linza_profile, self.linza_file(newer))
        self.assertEqual(change.state, "superseded")
        latest = self.pending(seller)
        self.assertEqual(latest.new_value, "1680.00")
        with self.assertRaises(UserError):
            change.with_user(self.account_manager).action_approve()
        change = latest
        with self.assertRaises(AccessError):
            change.with_user(self.accountant).action_approve()
        change.with_user(self.account_manager).action_approve()
        self.assertEqual((change.state, change.decided_by), ("approved", self.account_manager))
        self.assertEqual((seller.price, lens.standard_price), (1680.0, 1680.0))
        with self.assertRaises(UserError):
            change.with_user(self.account_manager).action_approve()

    def test_small_price_change_is_written_at_once(self):
        self.run_import(self.access_profile, self.access_file())
        rows = [list(row) for row in ACCESS_ROWS]
        rows[1][3] = "66.00"  # +10 %
        run = self.run_import(self.access_profile, self.access_file(rows))
        self.assertEqual((run.rows_updated, run.rows_pending), (1, 0))
        wipe = self.env["product.template"].search([("default_code", "=", "CL-02")])
        self.assertEqual(wipe.standard_price, 66.0)

    def test_vat_change_waits_and_can_be_refused(self):
        self.run_import(self.optika_profile, self.optika_file())
        rows = [list(row) for row in OPTIKA_ROWS]
        rows[0][5] = "10%"
        run = self.run_import(self.optika_profile, self.optika_file(rows))
        self.assertEqual(run.rows_pending, 1)
        seller = self.seller(self.optika, "FR-1001")
        change = self.pending(seller)
        self.assertEqual((change.change_field, change.old_value, change.new_value),
                         ("catalogue_vat", "20", "10"))
        self.assertEqual(seller.catalogue_vat, "20")
        change.with_user(self.optics_manager).action_refuse()
        self.assertEqual((change.state, seller.catalogue_vat), ("refused", "20"))
        # A refused value is not asked for again.
        again = self.run_import(self.optika_profile, self.optika_file(rows))
        self.assertEqual((again.rows_pending, again.rows_unchanged), (0, 3))

    def test_lower_price_of_two_suppliers(self):
        self.run_import(self.optika_profile, self.optika_file())
        frame = self.seller(self.optika, "FR-1001").product_tmpl_id
        self.assertEqual(frame.standard_price, 2450.0)
        # The lens supplier also sells this frame (same EAN-13), cheaper: 2 000 + VAT = 2 400.
        row = ["LC-77", "Оправа Ray Classic", "4600000000015", "2 000,00", "есть"]
        run = self.run_import(self.linza_profile, self.linza_file([row]))
        self.assertEqual((run.rows_updated, run.rows_created), (1, 0), run.message)
        self.assertEqual(len(frame.seller_ids), 2)
        self.assertEqual(self.seller(self.linza, "LC-77").price, 2400.0)
        self.assertEqual(self.seller(self.optika, "FR-1001").price, 2450.0)
        self.assertEqual(frame.standard_price, 2400.0)
        # The dearer supplier's next list does not raise the cost back.
        self.run_import(self.optika_profile, self.optika_file())
        self.assertEqual(frame.standard_price, 2400.0)
        # Retail: the lowest recommended price of the suppliers that give one.
        self.assertEqual(frame.list_price, 4990.0)

    def test_refusal_setting_off_and_no_unsent_receipts(self):
        Run = self.env["connector_b.run"]
        self.company.catalogue_refuse_unsent = True
        if "fiscal.device" not in self.env:
            self.assertEqual(Run._fiscal_unsent_count(self.company), 0)
        unsent = Run._fiscal_unsent_count(self.company)
        if unsent:
            with self.assertRaises(UserError):
                self.preview(self.access_profile, self.access_file())
        self.company.catalogue_refuse_unsent = False
        run = self.run_import(self.access_profile, self.access_file())
        self.assertEqual(run.state, "done")

    def test_background_job_in_chunks(self):
        self.company.catalogue_chunk_size = 2
        run = self.preview(self.optika_profile, self.optika_file())
        run.action_run_background()
        self.assertEqual(run.state, "queued")
        cron = self.env.ref("connector_b.cron_process_runs")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.env["connector_b.run"]._cron_process_runs()
        self.assertEqual((run.state, run.rows_created, run.progress), ("done", 3, 100.0))
        self.assertTrue(self.seller(self.optika, "AC-2001"))
        self.assertEqual(run.line_ids.mapped("action"), ["create"] * 3)

    def test_background_job_all_or_nothing(self):
        rows = [list(row) for row in OPTIKA_ROWS]
        rows[2][3] = "n/a"
        self.company.catalogue_chunk_size = 1
        run = self.preview(self.optika_profile, self.optika_file(rows))
        run.action_run_background()
        self.env["connector_b.run"]._cron_process_runs()
        self.assertEqual((run.state, run.rows_rejected), ("failed", 1))
        self.assertFalse(self.seller(self.optika, "FR-1001"))
        # The checking pass reports the bad row only: nothing else was planned for real.
        self.assertEqual(run.line_ids.mapped("action"), ["reject"])

    def test_errors_download_as_csv(self):
        rows = [list(row) for row in ACCESS_ROWS]
        rows[0][3] = "дорого"
        run = self.run_import(self.access_profile, self.access_file(rows))
        action = run.action_download_errors()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        content = base64.b64decode(self.env["ir.attachment"].browse(attachment_id).datas)
        text = content.decode("utf-8-sig")
        self.assertIn("Row;Key;Reason", text)
        self.assertIn("2;CL-01;Purchase price: 'дорого' is not a number", text)

    def test_accountant_imports_but_cannot_edit_profiles(self):
        run = self.run_import(self.access_profile.with_user(self.accountant), self.access_file())
        self.assertEqual((run.state, run.user_id), ("done", self.accountant))
        with self.assertRaises(AccessError):
            self.access_profile.with_user(self.accountant).write({"price_jump_percent": 90})

    def test_background_job_resumes_after_its_time_budget(self):
        self.company.catalogue_chunk_size = 1
        run = self.preview(self.access_profile, self.access_file())
        run.action_run_background()
        # A deadline already past: one chunk is written, then the job hands over.
        self.assertFalse(run._background_step(deadline=0.001))
        self.assertEqual((run.state, run.next_row, run.rows_created), ("running", 3, 1))
        self.assertEqual(round(run.progress), 33)
        self.env["connector_b.run"]._cron_process_runs()
        self.assertEqual((run.state, run.rows_created, run.rows_done, run.progress),
                         ("done", 3, 3, 100.0))
        self.assertEqual(len(run.line_ids.filtered(lambda line: line.action == "create")), 3)

    def test_background_job_failing_halfway_says_what_was_written(self):
        self.company.catalogue_chunk_size = 1
        run = self.preview(self.access_profile, self.access_file())
        run.action_run_background()
        self.assertFalse(run._background_step(deadline=0.001))
        run.attachment_id.raw = b""  # the file is gone when the job resumes
        self.env["connector_b.run"]._cron_process_runs()
        self.assertEqual((run.state, run.rows_created), ("failed", 1))
        self.assertEqual(run.message, "Stopped at row 3; the rows before it were written: "
                                      "The file is empty.")

    def test_default_vat_must_stay_readable_when_the_no_vat_words_change(self):
        profile = self.access_profile
        profile.default_vat = "без НДС"
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            profile.vat_exempt_words = "не облагается"
        self.assertEqual(profile.default_vat, "без НДС")

    def test_profiles_and_runs_of_another_company_are_hidden(self):
        other = self.env["res.company"].create({"name": "Другая сеть оптик"})
        outsider = new_test_user(
            self.env, "cb_other_company", groups="base.group_user,account.group_account_manager",
            company_id=other.id, company_ids=[(6, 0, other.ids)])
        foreign = self.env["connector_b.profile"].create(
            {"name": "Чужой профиль", "partner_id": self.optika.id, "company_id": other.id})
        run = self.preview(self.access_profile, self.access_file())
        Profile = self.env["connector_b.profile"]
        self.assertEqual(Profile.with_user(outsider).search([("id", "in", (
            foreign + self.access_profile).ids)]), foreign)
        self.assertNotIn(foreign, Profile.with_user(self.account_manager).search([]))
        self.assertFalse(self.env["connector_b.run"].with_user(outsider).search(
            [("id", "=", run.id)]))

    def test_cost_change_of_stocked_product_is_revalued(self):
        if "stock.valuation.layer" not in self.env:
            self.skipTest("stock_account is not installed: there is no valuation to book")
        self.run_import(self.optika_profile, self.optika_file())
        frame = self.seller(self.optika, "FR-1001").product_tmpl_id
        variant = frame.product_variant_id
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1)
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": variant.id, "location_id": warehouse.lot_stock_id.id,
            "inventory_quantity": 5,
        }).action_apply_inventory()
        self.assertEqual(variant.quantity_svl, 5)
        rows = [list(row) for row in OPTIKA_ROWS]
        rows[0][3] = 2695.0  # +10 %: under the limit, written at once
        rows[1][3] = 3200.0  # no stock: stored without a valuation entry
        self.run_import(self.optika_profile, self.optika_file(rows))
        self.assertEqual(frame.standard_price, 2695.0)
        self.assertEqual(variant.value_svl, 5 * 2695.0)
        other = self.seller(self.optika, "FR-1002").product_tmpl_id
        self.assertEqual(other.standard_price, 3200.0)
        self.assertFalse(self.env["stock.valuation.layer"].search(
            [("product_id", "=", other.product_variant_id.id)]))
