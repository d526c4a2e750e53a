"""connector_b's price-list parser, without Odoo: real files written to a tmp dir."""

import codecs
import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from conftest import load_addon_module
from hypothesis import given
from hypothesis import strategies as st

parser = load_addon_module("connector_b", "catalogue_parser.py")

RATES = frozenset({"0", "5", "7", "10", "20", "22"})
EXEMPT = frozenset({"без ндс", "не облагается"})
WORDS = {"много": "50", "нет": "0", "мало": "3"}


def write_csv(path, rows, encoding, delimiter=";", *, quoting=csv.QUOTE_MINIMAL, quotechar='"'):
    with open(path, "w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=delimiter, quoting=quoting, quotechar=quotechar
                   ).writerows(rows)
    return path.read_bytes()


ROWS = [["Артикул", "Наименование", "Цена"], ["A-1", "Оправа; металл", "1 234,50"],
        ["A-2", 'Футляр "мягкий"', "99,90"]]


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1251", "cp1251")])
@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_csv_encoding_and_delimiter_are_detected(tmp_path, encoding, expected, delimiter):
    data = write_csv(tmp_path / "list.csv", ROWS, encoding, delimiter)
    table = parser.read_table(data, "csv")
    assert (table.encoding, table.delimiter) == (expected, delimiter)
    assert table.header == ["Артикул", "Наименование", "Цена"]
    assert list(table.rows) == [(2, ROWS[1]), (3, ROWS[2])]


def test_single_quote_character_is_detected(tmp_path):
    data = write_csv(tmp_path / "q.csv", ROWS, "utf-8", ";", quoting=csv.QUOTE_ALL, quotechar="'")
    table = parser.read_table(data, "csv")
    assert table.quotechar == "'"
    assert next(table.rows)[1][1] == "Оправа; металл"


def test_cp1251_detected_when_cyrillic_comes_late(tmp_path):
    # Cyrillic only after the first 64 KiB: the first bytes are plain ASCII either way.
    rows = [["code", "name"]] + [[f"X{n}", "frame"] for n in range(8000)] + [["Y", "Оправа"]]
    data = write_csv(tmp_path / "late.csv", rows, "cp1251")
    assert len(data) > parser.SNIFF_BYTES
    table = parser.read_table(data, "csv")
    assert table.encoding == "cp1251"
    assert list(table.rows)[-1] == (8002, ["Y", "Оправа"])


def test_bad_byte_pinned_to_its_line(tmp_path):
    rows = [["code", "name"]] + [[f"X{n}", "frame"] for n in range(8000)] + [["Y", "Оправа"]]
    data = write_csv(tmp_path / "late.csv", rows, "cp1251")
    with pytest.raises(parser.ParseError) as caught:
        parser.read_table(data, "csv", encoding="utf-8")
    assert caught.value.code == "bad_encoding"
    assert caught.value.params["row"] == 8002


def test_encoding_checked_in_steps_that_cut_characters():
    text = ("Оправа ё\n" * 5).encode("utf-8")
    assert parser.first_undecodable(text, "utf-8", step=3) is None
    assert parser.first_undecodable(text + b"\xff" + text, "utf-8", step=3) == len(text)
    assert parser.first_undecodable(b"ok\x98", "cp1251", step=2) == 2  # 0x98 is unassigned


def test_wrong_encoding_named_in_profile(tmp_path):
    data = write_csv(tmp_path / "w.csv", ROWS, "cp1251")
    with pytest.raises(parser.ParseError) as caught:
        list(parser.read_table(data, "csv", encoding="utf-8").rows)
    assert caught.value.code == "bad_encoding"


def test_binary_and_empty_files():
    with pytest.raises(parser.ParseError) as caught:
        parser.read_table(b"PK\x03\x04\x14\x00\x00", "csv")
    assert caught.value.code == "binary_file"
    with pytest.raises(parser.ParseError) as caught:
        parser.read_table(b"", "csv")
    assert caught.value.code == "empty_file"
    with pytest.raises(parser.ParseError) as caught:
        parser.read_table(codecs.BOM_UTF8, "csv")
    assert caught.value.code == "empty_file"


def test_xlsx_streams_rows_and_skips_blank_lines(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Прайс-лист ООО «Оптика»"])
    sheet.append(["Артикул", "Цена"])
    sheet.append(["A-1", 1234.5])
    sheet.append([None, None])
    sheet.append(["A-2", "99,90"])
    book.save(tmp_path / "list.xlsx")
    table = parser.read_table((tmp_path / "list.xlsx").read_bytes(), "xlsx",
                              header_row=2, first_data_row=3)
    assert table.header == ["Артикул", "Цена"]
    assert list(table.rows) == [(3, ["A-1", 1234.5]), (5, ["A-2", "99,90"])]


def test_truncated_xlsx(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.save(tmp_path / "t.xlsx")
    data = (tmp_path / "t.xlsx").read_bytes()
    with pytest.raises(parser.ParseError) as caught:
        parser.read_table(data[: len(data) // 2], "xlsx")
    assert caught.value.code == "bad_xlsx"


def test_missing_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.save(tmp_path / "s.xlsx")
    with pytest.raises(parser.ParseError) as caught:
        parser.read_table((tmp_path / "s.xlsx").read_bytes(), "xlsx", sheet="Прайс")
    assert caught.value.code == "no_sheet"


@pytest.mark.parametrize("text,separator,expected", [
    ("1 234,50", None, "1234.50"), ("1\u00a0234,5", None, "1234.5"),
    ("1,234.50", None, "1234.50"), ("1.234,50", None, "1234.50"),
    ("1,234,567", None, "1234567"), ("12,5", None, "12.5"), ("12.5", None, "12.5"),
    ("1,234", ".", "1234"), ("1.234", ",", "1234"), ("\u22123,25", None, "-3.25"),
    ("+2,00", None, "2.00"), (1234.5, None, "1234.5"), (7, None, "7"),
    ("1'234.50", None, "1234.50"),
])
def test_decimal_parsing(text, separator, expected):
    assert parser.parse_decimal(text, separator) == Decimal(expected)


@pytest.mark.parametrize("text", ["дорого", "1,2,3.4.5", "NaN", "inf", "--1", True])
def test_decimal_rejects_text(text):
    with pytest.raises(parser.ParseError):
        parser.parse_decimal(text)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_russian_formatting_round_trips(value):
    text = f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert parser.parse_decimal(text) == value


@pytest.mark.parametrize("text,expected", [
    ("20%", "20"), ("20 %", "20"), ("0.20", "20"), ("0,2", "20"), ("20", "20"),
    (0.2, "20"), (20, "20"), ("НДС 10%", "10"), ("без НДС", "none"), ("Без  ндс", "none"),
    ("не облагается", "none"), ("0%", "0"), ("22%", "22"), ("0.05", "5"),
])
def test_vat_forms(text, expected):
    assert parser.parse_vat(text, EXEMPT, RATES) == expected


@pytest.mark.parametrize("text,code", [("18%", "bad_vat_rate"), ("НДС", "bad_vat"),
                                       ("двадцать", "bad_vat")])
def test_vat_rejected(text, code):
    with pytest.raises(parser.ParseError) as caught:
        parser.parse_vat(text, EXEMPT, RATES)
    assert caught.value.code == code


@pytest.mark.parametrize("text,expected", [
    ("много", 50), ("Нет", 0), ("12", 12), ("-5", 0), (-3, 0), ("> 10", 10), ("10+", 10),
    ("2,5", Decimal("2.5")),
])
def test_stock_forms(text, expected):
    assert parser.parse_stock(text, WORDS) == expected


def test_stock_unknown_word():
    with pytest.raises(parser.ParseError) as caught:
        parser.parse_stock("уточняйте", WORDS)
    assert caught.value.code == "bad_stock"


@pytest.mark.parametrize("value,expected", [
    ("4600000000015", "4600000000015"), (4600000000015, "4600000000015"),
    (4600000000015.0, "4600000000015"), ("4600 0000 0001 5", "4600000000015"),
    (400000000008, "0400000000008"),
])
def test_ean13_valid(value, expected):
    assert parser.parse_barcode(value) == expected


@pytest.mark.parametrize("value", ["4600000000016", "46000000000", "96385074", "abc"])
def test_ean13_invalid(value):
    with pytest.raises(parser.ParseError) as caught:
        parser.parse_barcode(value)
    assert caught.value.code == "bad_ean"


@pytest.mark.parametrize("text,expected", [
    ("-8,00...+6,00", ("-8.00", "6.00")), ("от -8 до +6", ("-8", "6")),
    ("+4.00 .. -10.00", ("-10.00", "4.00")), ("\u22122,00", ("-2.00", "-2.00")),
])
def test_power_ranges(text, expected):
    assert parser.parse_range(text) == tuple(Decimal(v) for v in expected)


def test_columns_bound_by_header_and_missing_ones_named():
    columns = [parser.Column("supplier_code", "text", header="артикул"),
               parser.Column("purchase_price", "decimal", header="Цена  закупки"),
               parser.Column("min_qty", "decimal", default="1")]
    parser.bind_columns(["Артикул", "Цена закупки"], columns)
    assert [c.index for c in columns] == [0, 1, -1]
    with pytest.raises(parser.ParseError) as caught:
        parser.bind_columns(["Артикул"], columns)
    assert caught.value.code == "missing_columns"
    assert caught.value.params["columns"] == "Цена  закупки"


def test_convert_row_collects_every_error():
    columns = parser.bind_columns(["code", "price", "vat", "kind"], [
        parser.Column("supplier_code", "text", header="code", required=True),
        parser.Column("purchase_price", "decimal", header="price"),
        parser.Column("vat", "vat", header="vat"),
        parser.Column("lens_design", "choice", header="kind",
                      value_map={"прогрессивная": "progressive"},
                      choices={"progressive": "progressive", "single vision": "single_vision"}),
        parser.Column("min_qty", "decimal", default="1"),
    ])
    options = parser.Options(exempt_words=EXEMPT, allowed_rates=RATES)
    values, errors = parser.convert_row(["A-1", "1 000,00", "20%", "Прогрессивная"], columns,
                                        options)
    assert values == {"supplier_code": "A-1", "purchase_price": Decimal("1000.00"),
                      "vat": "20", "lens_design": "progressive", "min_qty": Decimal("1")}
    assert errors == []
    values, errors = parser.convert_row(["", "много", "18%", "бифокальная"], columns, options)
    assert [(target, error.code) for target, error in errors] == [
        ("supplier_code", "required"), ("purchase_price", "bad_number"),
        ("vat", "bad_vat_rate"), ("lens_design", "bad_choice")]


def test_word_map():
    assert parser.parse_word_map("Много = 50\nбез строки\n  нет=0 ") == {"много": "50",
                                                                        "нет": "0"}


def test_big_csv_is_streamed(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["code", "price"])
    for number in range(100_000):
        writer.writerow([f"C{number}", f"{number},50"])
    data = buffer.getvalue().encode("cp1251")
    rows = parser.read_table(data, "csv").rows
    assert next(rows) == (2, ["C0", "0,50"])
    assert sum(1 for __ in rows) == 99_999
