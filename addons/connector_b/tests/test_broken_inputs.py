from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ACCESS_ROWS, LINZA_ROWS, OPTIKA_HEADER, OPTIKA_ROWS, CatalogueCase


@tagged("post_install", "-at_install")
class TestBrokenInputs(CatalogueCase):
    def setUp(self):
        super().setUp()
        self.templates_before = self.env["product.template"].with_context(
            active_test=False).search_count([])

    def assertNothingWritten(self):
        self.assertEqual(
            self.env["product.template"].with_context(active_test=False).search_count([]),
            self.templates_before)
        self.assertFalse(self.env["product.supplierinfo"].search(
            [("partner_id", "in", (self.optika + self.linza + self.access).ids)]))

    def assertRefused(self, profile, path, text):
        with self.assertRaises(UserError) as caught:
            self.preview(profile, path)
        self.assertIn(text, str(caught.exception))
        self.assertNothingWritten()
        return caught.exception

    def test_wrong_encoding(self):
        # A Windows-1251 file read by a profile set to UTF-8.
        self.linza_profile.encoding = "utf-8"
        self.assertRefused(self.linza_profile, self.linza_file(),
                           "cannot be read as utf-8 text")

    def test_unknown_encoding_detected(self):
        self.linza_profile.encoding = "auto"
        path = self.linza_file(encoding="utf-16")
        self.assertRefused(self.linza_profile, path, "not a text (CSV) file")

    def test_truncated_xlsx(self):
        path = self.optika_file()
        with open(path, "rb") as stream:
            data = stream.read()
        with open(path, "wb") as stream:
            stream.write(data[: len(data) // 2])
        self.assertRefused(self.optika_profile, path, "not a readable XLSX workbook")

    def test_missing_columns(self):
        header = [title for title in OPTIKA_HEADER if title != "Цена закупки"]
        rows = [row[:3] + row[4:] for row in OPTIKA_ROWS]
        self.assertRefused(self.optika_profile, self.optika_file(rows, header),
                           "Columns missing from the file: Цена закупки")

    def test_profile_without_a_column_for_its_match_key(self):
        self.linza_profile.match_key = "default_code"
        self.assertRefused(self.linza_profile, self.linza_file(),
                           "The profile matches products by Internal reference but has no "
                           "column for it.")

    def test_text_in_price_column(self):
        rows = [list(row) for row in LINZA_ROWS]
        rows[1][3] = "по запросу"
        run = self.run_import(self.linza_profile, self.linza_file(rows))
        self.assertEqual((run.state, run.rows_rejected), ("failed", 1))
        line = run.line_ids.filtered(lambda line: line.action == "reject")
        self.assertEqual(line.row_number, 3)
        self.assertIn("'по запросу' is not a number", line.message)
        self.assertIn("Nothing was written", run.message)
        self.assertNothingWritten()

    def test_skip_bad_rows_writes_the_good_ones(self):
        rows = [list(row) for row in LINZA_ROWS]
        rows[1][3] = "по запросу"
        run = self.run_import(self.linza_profile, self.linza_file(rows), skip_bad_rows=True)
        self.assertEqual((run.state, run.rows_created, run.rows_rejected), ("done", 2, 1))
        self.assertTrue(self.product_by_barcode("4600000000046"))
        self.assertFalse(self.product_by_barcode("4600000000053"))

    def test_bad_ean13(self):
        rows = [list(row) for row in OPTIKA_ROWS]
        rows[2][2] = "4600000000038"  # check digit should be 9
        run = self.run_import(self.optika_profile, self.optika_file(rows))
        self.assertEqual((run.state, run.rows_rejected), ("failed", 1))
        self.assertIn("'4600000000038' is not a valid EAN-13 barcode",
                      run.line_ids.filtered(lambda line: line.action == "reject").message)
        self.assertNothingWritten()

    def test_duplicate_keys_in_one_file(self):
        rows = [*ACCESS_ROWS, ["CL-02", "Салфетка, повтор", "260.00", "61.00", "0.20", "1"]]
        run = self.run_import(self.access_profile, self.access_file(rows))
        self.assertEqual((run.state, run.rows_rejected), ("failed", 1))
        line = run.line_ids.filtered(lambda line: line.action == "reject")
        self.assertEqual(line.row_number, 5)
        self.assertIn("the key CL-02 is repeated (first in row 3)", line.message)
        self.assertNothingWritten()

    def test_empty_file(self):
        path = self.path("empty.csv")
        open(path, "wb").close()
        self.assertRefused(self.access_profile, path, "The file is empty")

    def test_header_only_file(self):
        run = self.run_import(self.access_profile, self.access_file(rows=[]))
        self.assertEqual((run.state, run.rows_total), ("done", 0))

    def test_file_over_the_size_limit(self):
        self.company.catalogue_max_file_mb = 20
        path = self.path("huge.csv")
        row = '"CL-9","Большой прайс","100.00","50.00","0.20","1"\r\n'.encode()
        with open(path, "wb") as stream:
            stream.write(b'"sku","name","retail_price","wholesale_price","vat","stock"\r\n')
            stream.write(row * (50 * 1024 * 1024 // len(row)))
        error = self.assertRefused(self.access_profile, path, "imports are limited to 20 MB")
        self.assertIn("The file is 50.0 MB", str(error))

    def test_wrong_file_type_for_the_profile(self):
        # An XLSX uploaded to a CSV profile: refused before anything is read as text.
        self.linza_profile.encoding = "auto"
        self.assertRefused(self.linza_profile, self.optika_file(), "not a text (CSV) file")

    def test_messages_in_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        profile = self.access_profile.with_context(lang="ru_RU")
        path = self.path("empty.csv")
        open(path, "wb").close()
        with self.assertRaises(UserError) as caught:
            self.preview(profile, path)
        self.assertEqual(str(caught.exception), "Файл пуст.")
        rows = [list(row) for row in LINZA_ROWS]
        rows[1][3] = "по запросу"
        run = self.run_import(self.linza_profile.with_context(lang="ru_RU"),
                              self.linza_file(rows))
        self.assertIn("'по запросу' — не число", run.line_ids.message)
        self.assertIn("Ничего не записано", run.message)
