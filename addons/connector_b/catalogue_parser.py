"""Reading supplier price lists and converting their cells, without Odoo.

The Odoo layer feeds bytes and a profile's options in and gets typed values
out; every problem is a ``ParseError`` carrying a code and parameters, which
the Odoo layer turns into a translated message.  Keeping this module free of
Odoo lets its many small cases be tested in milliseconds.
"""

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.parsers.expat import ExpatError

from stdnum import ean
from stdnum.exceptions import ValidationError

DELIMITERS = (";", ",", "\t", "|")
SNIFF_BYTES = 64 * 1024
SNIFF_LINES = 50
# Spaces that spreadsheets and 1C put between thousands.
SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
NUMBER = re.compile(r"[-+\u2212]?\d+(?:[.,]\d+)?")
PERCENT_WORDS = re.compile(r"(?i)\b(ндс|vat|nds)\b|%")


class ParseError(Exception):
    """A problem in the file or in one cell: ``code`` names it, ``params`` detail it."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


# ---------------------------------------------------------------- reading


def detect_encoding(data: bytes) -> str:
    """UTF-8 with BOM, UTF-8 or Windows-1251."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        raise ParseError("binary_file")
    if _is_utf8(data):
        return "utf-8"
    text = sample.decode("cp1251", errors="replace")
    letters = sum(1 for char in text if char.isalpha() or char.isspace() or char.isascii())
    if letters / max(len(text), 1) > 0.95:
        return "cp1251"
    raise ParseError("unknown_encoding")


def _is_utf8(data):
    # The whole file: Windows-1251 letters may first appear far below the header.
    return first_undecodable(data, "utf-8") is None


def first_undecodable(data: bytes, encoding, step=1 << 20):
    """Offset of the first byte that is not ``encoding`` text, or None.

    Decoded a megabyte at a time and thrown away, so a large file is never
    held a second time as text.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for start in range(0, len(data), step):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the last step
        try:
            decoder.decode(view[start:start + step], final=start + step >= len(data))
        except UnicodeDecodeError as error:
            return start - pending + error.start
    return None


def detect_dialect(text_sample: str, delimiter=None, quotechar=None):
    """Delimiter and quote character of a CSV sample (given ones win)."""
    lines = text_sample.splitlines()[:SNIFF_LINES]
    if not lines:
        raise ParseError("empty_file")
    if not delimiter:
        delimiter = _guess_delimiter(lines)
    if not quotechar:
        quotechar = _guess_quotechar(lines, delimiter)
    return delimiter, quotechar


def _guess_delimiter(lines):
    """The delimiter that splits the first lines into the most, equal columns."""
    best, best_score = DELIMITERS[0], (-1, 0)
    for candidate in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=candidate) if row]
        if not widths:
            continue
        consistent = sum(1 for width in widths if width == widths[0])
        score = (consistent if widths[0] > 1 else 0, widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _guess_quotechar(lines, delimiter):
    single = sum(line.count(delimiter + "'") + line.startswith("'") for line in lines)
    double = sum(line.count(delimiter + '"') + line.startswith('"') for line in lines)
    return "'" if single > double else '"'


@dataclass
class Table:
    """A header and a stream of ``(row_number, values)`` (numbers start at 1)."""

    header: list
    rows: Iterator
    encoding: str = ""
    delimiter: str = ""
    quotechar: str = ""


def read_table(data: bytes, file_format, *, header_row=1, first_data_row=2, encoding=None,
               delimiter=None, quotechar=None, sheet=None) -> Table:
    """Open a CSV or XLSX price list; rows are read lazily, one at a time."""
    if not data:
        raise ParseError("empty_file")
    if header_row < 1 or first_data_row <= header_row:
        raise ParseError("bad_rows", header_row=header_row, first_data_row=first_data_row)
    if file_format == "xlsx":
        numbered = _xlsx_rows(data, sheet)
        table = Table(header=[], rows=iter(()))
    else:
        encoding = encoding or detect_encoding(data)
        sample = data[:SNIFF_BYTES].decode(encoding, errors="ignore")
        if len(data) > SNIFF_BYTES:
            sample = sample.rsplit("\n", 1)[0]
        delimiter, quotechar = detect_dialect(sample, delimiter, quotechar)
        numbered = _csv_rows(data, encoding, delimiter, quotechar)
        table = Table([], iter(()), encoding, delimiter, quotechar)
    header = None
    for number, values in numbered:
        if number == header_row:
            header = [_header_text(value) for value in values]
            break
    if not header or not any(header):
        raise ParseError("no_header", row=header_row)
    table.header = header
    table.rows = _data_rows(numbered, first_data_row)
    return table


def _data_rows(numbered, first_data_row):
    for number, values in numbered:
        if number < first_data_row:
            continue
        if any(_present(value) for value in values):
            yield number, values


def _csv_rows(data, encoding, delimiter, quotechar):
    bad = first_undecodable(data, encoding)
    if bad is not None:  # before the first row, so nothing of a bad file is ever used
        raise ParseError("bad_encoding", encoding=encoding, row=data.count(b"\n", 0, bad) + 1)
    # Decoded while read: the text of the whole file is never in memory at once.
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter, quotechar=quotechar, strict=False)
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            yield number, values
    except csv.Error as error:
        raise ParseError("bad_csv", row=number + 1, detail=str(error)) from error


def _xlsx_rows(data, sheet):
    # Imported lazily: openpyxl costs ~0.2 s to import and CSV users never need it.
    import openpyxl  # noqa: PLC0415

    broken = (zipfile.BadZipFile, KeyError, EOFError, OSError, ExpatError, ValueError)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except broken as error:
        raise ParseError("bad_xlsx", detail=str(error) or type(error).__name__) from error
    try:
        if sheet and sheet not in book.sheetnames:
            raise ParseError("no_sheet", sheet=sheet, sheets=", ".join(book.sheetnames))
        worksheet = book[sheet] if sheet else book.worksheets[0]
        worksheet.reset_dimensions()
        number = 0
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        except (*broken, zlib.error) as error:
            raise ParseError("bad_xlsx_row", row=number + 1,
                             detail=str(error) or type(error).__name__) from error
    finally:
        book.close()


def fold(value) -> str:
    """Lower case with runs of spaces made one: how words, headers and choices compare."""
    return " ".join(str(value if value is not None else "").lower().split())


def _header_text(value):
    return " ".join(str(value).split()) if value is not None else ""


def _present(value):
    return value is not None and str(value).strip() != ""


# ------------------------------------------------------------ conversions


def parse_decimal(value, decimal_separator=None) -> Decimal:
    """A number written by a person: "1 234,50", "1,234.50", "1.234,5", "−3,25".

    ``decimal_separator`` ("," or ".") settles "1,234" and "1.234"; when it is
    not given, a lone comma or point is the decimal separator.
    """
    if isinstance(value, bool):
        raise ParseError("bad_number", value=str(value))
    if isinstance(value, int | float | Decimal):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = SPACES.sub("", str(value or "")).replace("\u2212", "-")
    if not text:
        raise ParseError("empty_number")
    if "," in text and "." in text:
        thousands = "," if text.rfind(",") < text.rfind(".") else "."
        text = text.replace(thousands, "")
    elif decimal_separator and text.count(decimal_separator) == 0:
        text = text.replace("," if decimal_separator == "." else ".", "")
    elif text.count(",") > 1 or text.count(".") > 1:
        text = text.replace("," if text.count(",") > 1 else ".", "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ParseError("bad_number", value=str(value)) from error
    if not number.is_finite():
        raise ParseError("bad_number", value=str(value))
    return number


def parse_integer(value, decimal_separator=None) -> int:
    number = parse_decimal(value, decimal_separator)
    if number != number.to_integral_value():
        raise ParseError("bad_integer", value=str(value))
    return int(number)


def parse_vat(value, exempt_words, allowed_rates, decimal_separator=None) -> str:
    """VAT as written by suppliers -> "none" or the rate in percent ("20").

    "20%", "0.20", "0,2", "20", "НДС 20%" give "20"; any of ``exempt_words``
    ("без НДС") gives "none". Rates outside ``allowed_rates`` are refused.
    """
    text = fold(value)
    if text in exempt_words:
        return "none"
    if not isinstance(value, int | float | Decimal):
        text = PERCENT_WORDS.sub("", text).strip()
        if not text:
            raise ParseError("bad_vat", value=str(value))
    else:
        text = value
    try:
        rate = parse_decimal(text, decimal_separator)
    except ParseError as error:
        raise ParseError("bad_vat", value=str(value)) from error
    if 0 < rate < 1:
        rate *= 100
    rate = rate.normalize()
    code = format(rate, "f")
    if code not in allowed_rates:
        raise ParseError("bad_vat_rate", value=str(value), rates=", ".join(sorted(allowed_rates)))
    return code


def parse_stock(value, words, decimal_separator=None) -> Decimal:
    """Supplier stock: a number (negative means none), "> 10", or a word from ``words``."""
    text = fold(value)
    if text in words:
        return parse_decimal(words[text])
    if isinstance(value, str):
        text = text.lstrip("<>~≈").rstrip("+").strip()
    try:
        quantity = parse_decimal(text if isinstance(value, str) else value, decimal_separator)
    except ParseError as error:
        raise ParseError("bad_stock", value=str(value)) from error
    return max(quantity, Decimal(0))


def parse_barcode(value) -> str:
    """An EAN-13 barcode with a correct check digit ("4600000000017")."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = SPACES.sub("", str(value or ""))
    if isinstance(value, int):
        text = text.zfill(13)
    try:
        code = ean.validate(text)
    except ValidationError as error:
        raise ParseError("bad_ean", value=str(value)) from error
    if len(code) != 13:
        raise ParseError("bad_ean", value=str(value))
    return code


def parse_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value if value is not None else "").split())


def parse_range(value, decimal_separator=None):
    """A power range "-8,00...+6,00" or "от -8 до +6" -> (low, high); one number -> (n, n)."""
    if isinstance(value, int | float | Decimal):
        number = parse_decimal(value)
        return number, number
    numbers = NUMBER.findall(str(value or "").replace("\u2212", "-"))
    if not 1 <= len(numbers) <= 2:
        raise ParseError("bad_range", value=str(value))
    low, high = (parse_decimal(numbers[0], decimal_separator),
                 parse_decimal(numbers[-1], decimal_separator))
    return min(low, high), max(low, high)


def parse_word_map(text) -> dict:
    """Lines "word = value" (the profile's word tables) -> {"word": "value"}."""
    mapping = {}
    for line in (text or "").splitlines():
        if "=" not in line:
            continue
        word, value = line.rsplit("=", 1)
        word = fold(word)
        if word:
            mapping[word] = value.strip()
    return mapping


# ------------------------------------------------------------------ rows

KINDS = {
    "text": parse_text,
    "barcode": parse_barcode,
    "decimal": parse_decimal,
    "integer": parse_integer,
    "range": parse_range,
    "vat": parse_vat,
    "stock": parse_stock,
    "choice": None,
}


@dataclass
class Column:
    """One mapping line: a target filled from a header (or a constant value)."""

    target: str
    kind: str
    header: str = ""
    value_map: dict = field(default_factory=dict)
    default: str = ""
    required: bool = False
    choices: dict = field(default_factory=dict)  # lower-case word -> key, for "choice"
    index: int = -1


@dataclass
class Options:
    decimal_separator: str = ""
    exempt_words: frozenset = frozenset()
    allowed_rates: frozenset = frozenset()
    stock_words: dict = field(default_factory=dict)


def bind_columns(header, columns):
    """Find each column's header (case and spacing ignored); raise for missing ones."""
    positions = {}
    for index, title in enumerate(header):
        positions.setdefault(fold(title), index)
    missing = []
    for column in columns:
        if not column.header:
            continue
        index = positions.get(fold(column.header))
        if index is None:
            missing.append(column.header)
        column.index = -1 if index is None else index
    if missing:
        raise ParseError("missing_columns", columns=", ".join(missing),
                         header=", ".join(title for title in header if title))
    return columns


def convert_row(values, columns, options):
    """Typed values of one row -> (dict target: value, list of (target, ParseError))."""
    result, errors = {}, []
    for column in columns:
        raw = values[column.index] if 0 <= column.index < len(values) else None
        if not _present(raw):
            raw = column.default or None
        if raw is not None and column.value_map:
            raw = column.value_map.get(fold(raw), raw)
        if not _present(raw):
            if column.required:
                errors.append((column.target, ParseError("required")))
            continue
        try:
            result[column.target] = _convert(raw, column, options)
        except ParseError as error:
            errors.append((column.target, error))
    return result, errors


def _convert(raw, column, options):
    if column.kind == "choice":
        key = column.choices.get(fold(raw))
        if key is None:
            raise ParseError("bad_choice", value=str(raw),
                             choices=", ".join(sorted(set(column.choices.values()))))
        return key
    if column.kind == "vat":
        return parse_vat(raw, options.exempt_words, options.allowed_rates,
                         options.decimal_separator)
    if column.kind == "stock":
        return parse_stock(raw, options.stock_words, options.decimal_separator)
    if column.kind in ("decimal", "integer", "range"):
        return KINDS[column.kind](raw, options.decimal_separator)
    return KINDS[column.kind](raw)
