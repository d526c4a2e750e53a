from odoo.tests import tagged

from .common import LENS_ROWS, LINZA_ROWS, OPTIKA_ROWS, CatalogueCase


@tagged("post_install", "-at_install")
class TestSupplierFiles(CatalogueCase):
    def test_xlsx_with_russian_headers(self):
        run = self.run_import(self.optika_profile, self.optika_file())
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual((run.rows_total, run.rows_created, run.rows_rejected), (3, 3, 0))
        frame = self.seller(self.optika, "FR-1001")
        self.assertEqual(frame.product_tmpl_id.name, "Оправа Ray Classic 52-18")
        self.assertEqual(frame.product_tmpl_id.barcode, "4600000000015")
        # created as its one variant, which carries the barcode
        self.assertEqual(frame.product_tmpl_id.product_variant_ids.barcode, "4600000000015")
        self.assertEqual(frame.product_tmpl_id.product_variant_count, 1)
        self.assertEqual(frame.price, 2450.0)
        self.assertEqual(frame.catalogue_retail_price, 4990.0)
        self.assertEqual(frame.catalogue_vat, "20")
        self.assertEqual((frame.catalogue_stock, frame.min_qty, frame.delay), (12, 1, 5))
        self.assertEqual(frame.product_tmpl_id.standard_price, 2450.0)
        self.assertEqual(frame.product_tmpl_id.list_price, 4990.0)
        # "3 120,50" written as text in the workbook: a space for thousands, a decimal comma.
        self.assertEqual(self.seller(self.optika, "FR-1002").price, 3120.5)
        case = self.seller(self.optika, "AC-2001")
        self.assertEqual((case.catalogue_vat, case.min_qty, case.catalogue_stock),
                         ("none", 10, 250))
        self.assertEqual(len(run.line_ids.filtered(lambda line: line.action == "create")), 3)
        self.assertEqual((frame.product_tmpl_id.optics_kind, frame.product_tmpl_id.frame_a,
                          frame.product_tmpl_id.frame_b, frame.product_tmpl_id.frame_dbl,
                          frame.product_tmpl_id.frame_material),
                         ("frame", 52.0, 38.5, 18.0, "metal"))
        self.assertEqual(case.product_tmpl_id.optics_kind, "accessory")

    def test_lens_attributes_and_power_ranges(self):
        profile = self.lens_profile()
        run = self.run_import(profile, self.lens_file())
        self.assertEqual((run.state, run.rows_created), ("done", 2), run.message)
        single = self.seller(self.linza, "SV-150").product_tmpl_id
        self.assertEqual((single.optics_kind, single.lens_index, single.lens_design,
                          single.lens_material), ("lens", 1.5, "single_vision", "cr39"))
        power = single.lens_range_ids
        self.assertEqual((power.sphere_min, power.sphere_max, power.cylinder_min,
                          power.cylinder_max, power.diameter), (-6.0, 4.0, -2.0, 0.0, 70))
        progressive = self.seller(self.linza, "PR-160").product_tmpl_id
        self.assertEqual((progressive.lens_design, progressive.lens_material),
                         ("progressive", "high_index"))
        self.assertEqual((progressive.lens_range_ids.sphere_min,
                          progressive.lens_range_ids.sphere_max), (-8.0, 6.0))
        # A wider range for the same diameter updates that range; the same file is a no-op.
        rows = [list(row) for row in LENS_ROWS]
        rows[0][5] = "-8,00...+6,00"
        run = self.run_import(profile, self.lens_file(rows))
        self.assertEqual((run.rows_updated, run.rows_unchanged), (1, 1), run.message)
        self.assertEqual((len(single.lens_range_ids), single.lens_range_ids.sphere_min),
                         (1, -8.0))
        again = self.run_import(profile, self.lens_file(rows))
        self.assertEqual(again.rows_unchanged, 2, again.message)

    def test_unknown_choice_is_rejected_with_the_choices(self):
        rows = [list(row) for row in LENS_ROWS]
        rows[1][3] = "трифокальная"
        run = self.run_import(self.lens_profile(), self.lens_file(rows))
        self.assertEqual((run.state, run.rows_rejected), ("failed", 1))
        message = run.line_ids.filtered(lambda line: line.action == "reject").message
        self.assertIn("'трифокальная' is not one of", message)
        self.assertIn("progressive", message)

    def test_windows_1251_csv_prices_without_vat_stock_words(self):
        run = self.run_import(self.linza_profile, self.linza_file())
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(run.rows_created, 3)
        lens = self.product_by_barcode("4600000000046")
        self.assertEqual(lens.name, "Линза 1.5 однофокальная")
        seller = lens.seller_ids
        # 1 000,00 without VAT + 20 % = 1 200,00 kept with VAT.
        self.assertEqual((seller.partner_id, seller.price, seller.catalogue_vat),
                         (self.linza, 1200.0, "20"))
        self.assertEqual(seller.catalogue_stock, 50)  # "много"
        self.assertEqual(self.product_by_barcode("4600000000053").seller_ids.price, 2450.0)
        self.assertEqual(self.product_by_barcode("4600000000053").seller_ids.catalogue_stock, 3)
        self.assertEqual(self.product_by_barcode("4600000000060").seller_ids.catalogue_stock, 0)

    def test_run_keeps_its_file_unindexed(self):
        run = self.run_import(self.linza_profile, self.linza_file())
        with open(self.linza_file(), "rb") as stream:
            self.assertEqual(run.attachment_id.raw, stream.read())
        self.assertEqual(run.attachment_id.mimetype, "text/csv")
        self.assertFalse(run.attachment_id.index_content)
        # the upload waiting in the wizard is not type-guessed (a damaged workbook would warn)
        upload = self.env["ir.attachment"].sudo().search(
            [("res_model", "=", "connector_b.import.wizard"), ("res_field", "=", "file")],
            order="id desc", limit=1)
        self.assertEqual(upload.mimetype, "application/octet-stream")
        # other text attachments are still indexed as Odoo does
        other = self.env["ir.attachment"].create({"name": "note.txt", "raw": b"lens stock"})
        self.assertEqual(other.index_content, "lens stock")

    def test_csv_retail_and_wholesale_vat_fraction_negative_stock(self):
        run = self.run_import(self.access_profile, self.access_file())
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(run.rows_created, 3)
        spray = self.env["product.template"].search([("default_code", "=", "CL-01")])
        self.assertEqual((spray.list_price, spray.standard_price), (1290.0, 450.0))
        seller = spray.seller_ids
        self.assertEqual((seller.product_code, seller.catalogue_vat, seller.min_qty),
                         ("CL-01", "20", 1))
        self.assertEqual(seller.catalogue_stock, 0)  # -5: the supplier has none to sell
        chain = self.env["product.template"].search([("default_code", "=", "CH-01")])
        self.assertEqual((chain.seller_ids.catalogue_vat, chain.standard_price), ("10", 310.5))

    def test_reimport_changes_nothing(self):
        for profile, path in ((self.optika_profile, self.optika_file()),
                              (self.linza_profile, self.linza_file()),
                              (self.access_profile, self.access_file())):
            first = self.run_import(profile, path)
            self.assertEqual(first.rows_created, 3, first.message)
            sellers = self.env["product.supplierinfo"].search(
                [("partner_id", "=", profile.partner_id.id)])
            before = [(s.write_date, s.product_tmpl_id.write_date, s.price) for s in sellers]
            self.env.flush_all()
            second = self.run_import(profile, path)
            self.assertEqual(second.state, "done")
            self.assertEqual((second.rows_created, second.rows_updated, second.rows_unchanged,
                              second.rows_pending), (0, 0, 3, 0), second.message)
            sellers.invalidate_recordset()
            after = [(s.write_date, s.product_tmpl_id.write_date, s.price) for s in sellers]
            self.assertEqual(before, after)
            self.assertFalse(second.pending_ids)

    def test_preview_writes_nothing_and_lists_rows(self):
        rows = [*OPTIKA_ROWS, ["FR-1003", "Оправа без цены", "4600000000077", "дорого", 1, "20%",
                                1, 1, 1]]
        run = self.preview(self.optika_profile, self.optika_file(rows))
        self.assertEqual(run.state, "previewed")
        self.assertEqual((run.rows_created, run.rows_rejected), (3, 1))
        self.assertFalse(self.seller(self.optika, "FR-1001"))
        rejected = run.line_ids.filtered(lambda line: line.action == "reject")
        self.assertEqual(rejected.row_number, 5)
        self.assertIn("'дорого' is not a number", rejected.message)
        self.assertIn("Nothing will be written", run.message)

    def test_update_existing_product(self):
        self.run_import(self.linza_profile, self.linza_file())
        rows = [list(row) for row in LINZA_ROWS]
        rows[0][1] = "Линза 1.5 однофокальная, просветлённая"
        rows[0][3] = "1 050,00"  # +5 %: under the 20 % limit, written at once
        run = self.run_import(self.linza_profile, self.linza_file(rows))
        self.assertEqual((run.rows_updated, run.rows_unchanged), (1, 2), run.message)
        lens = self.product_by_barcode("4600000000046")
        self.assertEqual(lens.name, "Линза 1.5 однофокальная, просветлённая")
        self.assertEqual((lens.seller_ids.price, lens.standard_price), (1260.0, 1260.0))
        line = run.line_ids.filtered(lambda line: line.action == "update")
        self.assertIn("1200.0 -> 1260.0", line.message)


@tagged("post_install", "-at_install")
class TestDemoSuppliers(CatalogueCase):
    def test_demo_profiles_import_their_sample_files(self):
        profile = self.env.ref("connector_b.demo_profile_optika", raise_if_not_found=False)
        if not profile:
            self.skipTest("demo data is not loaded in this database")
        for xmlid, created in (("optika", 4), ("linza", 4), ("access", 4)):
            profile = self.env.ref("connector_b.demo_profile_%s" % xmlid)
            sample = self.env.ref("connector_b.demo_file_%s" % xmlid)
            path = self.path(sample.name)
            with open(path, "wb") as stream:
                stream.write(sample.raw)
            run = self.run_import(profile, path)
            self.assertEqual((run.state, run.rows_created, run.rows_rejected),
                             ("done", created, 0), run.message)
        spray = self.env["product.template"].search([("default_code", "=", "CL-01")])
        self.assertEqual((spray.optics_kind, spray.list_price, spray.standard_price),
                         ("accessory", 1290.0, 450.0))
        lens = self.product_by_barcode("4600000000084")
        self.assertEqual((lens.optics_kind, lens.standard_price, lens.seller_ids.catalogue_stock),
                         ("lens", 7500.0, 0.0))


@tagged("post_install", "-at_install")
class TestCurrencies(CatalogueCase):
    def test_currency_column_and_cost_in_company_currency(self):
        profile = self.access_profile
        profile.line_ids = [(0, 0, {"column_name": "", "target": "currency",
                                    "default_value": "EUR"})]
        euro = self.env.ref("base.EUR")
        run = self.run_import(profile, self.access_file())
        self.assertEqual(run.state, "done", run.message)
        wipe = self.env["product.template"].search([("default_code", "=", "CL-02")])
        self.assertEqual((wipe.seller_ids.currency_id, wipe.seller_ids.price), (euro, 60.0))
        expected = euro._convert(60.0, self.company.currency_id, self.company,
                                 wipe.seller_ids.create_date.date())
        self.assertAlmostEqual(wipe.standard_price, expected, places=2)

    def test_unknown_currency_is_rejected(self):
        self.access_profile.line_ids = [(0, 0, {"column_name": "", "target": "currency",
                                                "default_value": "тугрики"})]
        run = self.run_import(self.access_profile, self.access_file())
        self.assertEqual((run.state, run.rows_rejected), ("failed", 3))
        self.assertIn("unknown currency тугрики", run.line_ids[0].message)


@tagged("post_install", "-at_install")
class TestUnits(CatalogueCase):
    def test_unit_of_measure_by_name_and_value_translation(self):
        profile = self.access_profile
        profile.line_ids = [(0, 0, {"column_name": "", "target": "uom", "default_value": "шт",
                                    "value_map": "шт = Units\nуп = Dozens"})]
        run = self.run_import(profile, self.access_file())
        self.assertEqual(run.state, "done", run.message)
        wipe = self.env["product.template"].search([("default_code", "=", "CL-02")])
        units = self.env.ref("uom.product_uom_unit")
        self.assertEqual((wipe.uom_id, wipe.uom_po_id), (units, units))
        # An existing product's unit is not changed by a price list.
        profile.line_ids.filtered(lambda line: line.target == "uom").default_value = "уп"
        run = self.run_import(profile, self.access_file())
        self.assertEqual((run.state, run.rows_rejected), ("failed", 3))
        self.assertIn("differs from the product's unit", run.line_ids[0].message)
        self.assertEqual(wipe.uom_id, units)

    def test_unknown_unit_is_rejected(self):
        self.access_profile.line_ids = [(0, 0, {"column_name": "", "target": "uom",
                                                "default_value": "пара"})]
        run = self.run_import(self.access_profile, self.access_file())
        self.assertEqual((run.state, run.rows_rejected), ("failed", 3))
        self.assertIn("unknown unit of measure пара", run.line_ids[0].message)
