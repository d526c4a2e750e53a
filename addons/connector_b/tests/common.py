"""Supplier price lists written to real files, and the profiles that read them."""

import base64
import csv
import os
import shutil
import tempfile

import openpyxl

from odoo.tests.common import TransactionCase

# Supplier 1: XLSX with Russian headers, numbers as cells and as text.
OPTIKA_HEADER = ["Артикул", "Наименование", "Штрихкод", "Цена закупки", "Розничная цена",
                 "Ставка НДС", "Остаток", "Мин. партия", "Срок поставки, дн", "Вид", "A, мм",
                 "B, мм", "DBL, мм", "Материал оправы"]
OPTIKA_ROWS = [
    ["FR-1001", "Оправа Ray Classic 52-18", "4600000000015", 2450.0, "4 990,00", "20%", 12,
     1, 5, "Оправа", 52, "38,5", 18, "металл"],
    ["FR-1002", "Оправа Titan Light 54-17", "4600000000022", "3 120,50", 6490, "20%", 0, 1, 5,
     "оправа", 54, 40, 17, "титан"],
    ["AC-2001", "Футляр жёсткий", "4600000000039", 180, 390, "без НДС", 250, 10, 3,
     "аксессуар", None, None, None, None],
]

# A lens supplier's XLSX: optical attributes and power ranges with Russian values.
LENS_HEADER = ["Код", "Линза", "Индекс", "Дизайн", "Материал", "Сфера", "Цилиндр", "Диаметр",
               "Цена"]
LENS_ROWS = [
    ["SV-150", "Однофокальная 1.5 HMC", "1,5", "однофокальная", "CR-39", "-6,00...+4,00",
     "-2,00...0", 70, "1 100,00"],
    ["PR-160", "Прогрессивная 1.6", "1.6", "прогрессивная", "пластик высокого индекса",
     "от -8 до +6", "-4..0", 65, "7 400,00"],
]

# Supplier 2: Windows-1251 CSV with ";", prices without VAT and stock as words.
LINZA_HEADER = ["Код", "Название", "EAN", "Цена без НДС", "Наличие"]
LINZA_ROWS = [
    ["L-150", "Линза 1.5 однофокальная", "4600000000046", "1 000,00", "много"],
    ["L-160", "Линза 1.6 однофокальная", "4600000000053", "2 041,67", "мало"],
    ["L-167", "Линза 1.67 асферическая", "4600000000060", "3 500,00", "нет"],
]

# Supplier 3: UTF-8 CSV with "," and quotes, retail and wholesale prices, VAT "0.20",
# negative stock (the supplier's backorders).
ACCESS_HEADER = ["sku", "name", "retail_price", "wholesale_price", "vat", "stock"]
ACCESS_ROWS = [
    ["CL-01", "Спрей для очков, 30 мл", "1,290.00", "450.00", "0.20", "-5"],
    ["CL-02", "Салфетка микрофибра", "250.00", "60.00", "0.20", "120"],
    ["CH-01", "Цепочка для очков", "990.00", "310.50", "0.10", "7"],
]


def write_xlsx(path, header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Прайс"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path, header, rows, *, encoding, delimiter, quoting=csv.QUOTE_MINIMAL):
    with open(path, "w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter, quoting=quoting)
        writer.writerow(header)
        writer.writerows(rows)


def supplier_lines(pairs):
    return [(0, 0, {"sequence": index, "column_name": column, "target": target, **extra})
            for index, (column, target, extra) in enumerate(pairs)]


class CatalogueCase(TransactionCase):
    """Three supplier profiles; each test writes its files in a temporary folder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.catalogue_refuse_unsent = False
        Partner = cls.env["res.partner"]
        Profile = cls.env["connector_b.profile"]
        cls.optika = Partner.create({"name": "ООО Оптика-Трейд", "is_company": True})
        cls.linza = Partner.create({"name": "ООО Линза-Центр", "is_company": True})
        cls.access = Partner.create({"name": "ИП Аксессуары Опт", "is_company": True})
        cls.optika_profile = Profile.create({
            "name": "Оптика-Трейд XLSX", "partner_id": cls.optika.id, "file_format": "xlsx",
            "match_key": "supplier_code",
            "line_ids": supplier_lines([
                ("Артикул", "supplier_code", {}),
                ("Наименование", "name", {}),
                ("Штрихкод", "barcode", {}),
                ("Цена закупки", "purchase_price", {"required": True}),
                ("Розничная цена", "retail_price", {}),
                ("Ставка НДС", "vat", {}),
                ("Остаток", "supplier_stock", {}),
                ("Мин. партия", "min_qty", {}),
                ("Срок поставки, дн", "lead_time", {}),
                ("Вид", "optics_kind", {"value_map": "оправа = frame\nаксессуар = accessory"}),
                ("A, мм", "frame_a", {}),
                ("B, мм", "frame_b", {}),
                ("DBL, мм", "frame_dbl", {}),
                ("Материал оправы", "frame_material",
                 {"value_map": "металл = metal\nтитан = titanium\nпластик = plastic"}),
            ]),
        })
        cls.linza_profile = Profile.create({
            "name": "Линза-Центр CSV", "partner_id": cls.linza.id, "file_format": "csv",
            "encoding": "cp1251", "delimiter": "semicolon", "match_key": "barcode",
            "prices_include_vat": False, "default_vat": "20",
            "line_ids": supplier_lines([
                ("Код", "supplier_code", {}),
                ("Название", "name", {}),
                ("EAN", "barcode", {}),
                ("Цена без НДС", "purchase_price", {"required": True}),
                ("Наличие", "supplier_stock", {}),
            ]),
        })
        cls.access_profile = Profile.create({
            "name": "Аксессуары Опт CSV", "partner_id": cls.access.id, "file_format": "csv",
            "match_key": "default_code",
            "line_ids": supplier_lines([
                ("sku", "default_code", {}),
                ("sku", "supplier_code", {}),
                ("", "min_qty", {"default_value": "1"}),
                ("name", "name", {}),
                ("retail_price", "retail_price", {}),
                ("wholesale_price", "purchase_price", {"required": True}),
                ("vat", "vat", {}),
                ("stock", "supplier_stock", {}),
            ]),
        })

    def setUp(self):
        super().setUp()
        self.folder = tempfile.mkdtemp(prefix="connector_b_")
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)

    # ---------------------------------------------------------------- files

    def path(self, name):
        return os.path.join(self.folder, name)

    def optika_file(self, rows=None, header=None):
        path = self.path("optika.xlsx")
        write_xlsx(path, header or OPTIKA_HEADER, OPTIKA_ROWS if rows is None else rows)
        return path

    def lens_profile(self):
        return self.env["connector_b.profile"].create({
            "name": "Линзы XLSX", "partner_id": self.linza.id, "file_format": "xlsx",
            "match_key": "supplier_code",
            "line_ids": supplier_lines([
                ("Код", "supplier_code", {}),
                ("Линза", "name", {}),
                ("", "optics_kind", {"default_value": "lens"}),
                ("Индекс", "lens_index", {}),
                ("Дизайн", "lens_design", {"value_map": "однофокальная = single_vision\n"
                                                        "прогрессивная = progressive"}),
                ("Материал", "lens_material",
                 {"value_map": "пластик высокого индекса = high_index"}),
                ("Сфера", "sphere_range", {}),
                ("Цилиндр", "cylinder_range", {}),
                ("Диаметр", "diameter", {}),
                ("Цена", "purchase_price", {}),
            ]),
        })

    def lens_file(self, rows=None):
        path = self.path("lenses.xlsx")
        write_xlsx(path, LENS_HEADER, LENS_ROWS if rows is None else rows)
        return path

    def linza_file(self, rows=None, encoding="cp1251"):
        path = self.path("linza.csv")
        write_csv(path, LINZA_HEADER, LINZA_ROWS if rows is None else rows,
                  encoding=encoding, delimiter=";")
        return path

    def access_file(self, rows=None):
        path = self.path("access.csv")
        write_csv(path, ACCESS_HEADER, ACCESS_ROWS if rows is None else rows,
                  encoding="utf-8-sig", delimiter=",", quoting=csv.QUOTE_ALL)
        return path

    # ---------------------------------------------------------------- runs

    def preview(self, profile, path, skip_bad_rows=False):
        with open(path, "rb") as stream:
            data = stream.read()
        wizard = profile.env["connector_b.import.wizard"].create({
            "profile_id": profile.id, "file": base64.b64encode(data),
            "file_name": os.path.basename(path), "skip_bad_rows": skip_bad_rows,
        })
        action = wizard.action_preview()
        return profile.env["connector_b.run"].browse(action["res_id"])

    def run_import(self, profile, path, skip_bad_rows=False):
        run = self.preview(profile, path, skip_bad_rows)
        run.action_run()
        return run

    def seller(self, partner, code):
        return self.env["product.supplierinfo"].search(
            [("partner_id", "=", partner.id), ("product_code", "=", code)])

    def product_by_barcode(self, barcode):
        return self.env["product.product"].search([("barcode", "=", barcode)]).product_tmpl_id
