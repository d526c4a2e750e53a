"""FFD 1.2 receipt model: validation, canonical dict, VAT and the receipt QR string.

Money is `Decimal` with two places (kopecks); floats are refused so that no
binary rounding ever reaches a fiscal document.

Rounding rules (the only ones the model uses, all ROUND_HALF_UP to 0.01):

* line sum  = price x quantity, rounded half-up to the kopeck. The caller
  states the sum and the model checks it equals that value exactly; a
  discount is expressed as the unit price after discount (split a line when
  a discount cannot be spread evenly over its quantity).
* line VAT  = sum x numerator / denominator of the rate (prices include VAT),
  rounded half-up; `none` has no VAT amount.
* receipt VAT per rate = the sum of its lines' VAT (never recomputed on the
  rate's total, so the receipt and its lines always agree).
* total = the sum of the line sums = the sum of the payments, exactly.

Codes, limits and rates come from data/ffd12.json and data/vat_rates.json.
"""

import dataclasses
import datetime as dt
import decimal
import json
import re
import unicodedata
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from stdnum.ru import inn as ru_inn

from .errors import ReceiptValidationError, quoted

KOPECK = Decimal("0.01")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^\+\d{11,15}$")
# exact Decimal arithmetic: 10 integer digits x 12 digits never needs more than 28
_CONTEXT = decimal.Context(prec=40, rounding=ROUND_HALF_UP)


@cache
def _data(name):
    return json.loads((Path(__file__).parent / "data" / name).read_text("utf-8"))


def ffd():
    """FFD 1.2 codes and limits (data/ffd12.json)."""
    return _data("ffd12.json")


def vat_rates():
    """The VAT rate table (data/vat_rates.json): rate -> numerator, denominator, label."""
    return _data("vat_rates.json")["rates"]


OPERATIONS = tuple(_data("ffd12.json")["operations"])


def calculated_rate(rate):
    """The calculated twin of a VAT rate (vat22 -> vat122), which advances carry (tag 1199
    with 1214 = 1, 2 or 3); a rate without one (vat0, none) is its own."""
    rates = vat_rates()
    spec = rates[rate]
    if spec["calculated"] or spec["numerator"] is None:
        return rate
    return next(
        (code for code, other in rates.items() if other["calculated"]
         and (other["numerator"], other["denominator"])
         == (spec["numerator"], spec["denominator"])),
        rate,
    )


def round_kopeck(value):
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def vat_amount(rate, line_sum):
    """VAT included in `line_sum` at `rate`, rounded half-up; None for rate `none`."""
    spec = vat_rates()[rate]
    if spec["numerator"] is None:
        return None
    return round_kopeck(
        _CONTEXT.divide(_CONTEXT.multiply(line_sum, spec["numerator"]), spec["denominator"])
    )


def format_money(value):
    return f"{value:.2f}"


def format_quantity(value):
    """At least 3 decimals ("1.000"), up to 6, no trailing zeros beyond the third."""
    text = f"{value:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(3, '0')}"


def price_lines(quantity, line_total):
    """Unit price lines for `quantity` costing exactly `line_total` after discounts.

    Returns [(price, quantity, sum)] obeying the line rule (sum = price x
    quantity rounded half-up): one line when such a unit price exists, else
    two, the second with quantity 1 absorbing the odd kopecks
    (3 x 100.00 -> 2 x 33.33 = 66.66 and 1 x 33.34).
    """
    quantity, line_total = Decimal(quantity), Decimal(line_total)
    if quantity <= 0 or line_total < 0:
        raise ReceiptValidationError(f"price_lines: quantity {quantity} must be > 0 and "
                                     f"total {line_total} >= 0")
    price = round_kopeck(_CONTEXT.divide(line_total, quantity))
    for candidate in (price, price - KOPECK, price + KOPECK):
        if candidate >= 0 and round_kopeck(_CONTEXT.multiply(candidate, quantity)) == line_total:
            return [(candidate, quantity, line_total)]
    if quantity <= 1:  # steps of quantity x 0.01 <= 0.01: one of the candidates always fits
        raise ReceiptValidationError(f"price_lines: no unit price for {line_total} / {quantity}")
    # rounded down, so the first line never costs more than the total
    price = _CONTEXT.divide(line_total, quantity).quantize(KOPECK, rounding=ROUND_DOWN)
    first_sum = round_kopeck(_CONTEXT.multiply(price, quantity - 1))
    rest = line_total - first_sum
    return [(price, quantity - 1, first_sum), (rest, Decimal(1), rest)]


def spread_adjustments(lines, adjustments):
    """Amounts of the positive `lines` after spreading the negative and rounding lines.

    `lines` is [(amount, vat)]: positive line totals with their VAT rate code.
    `adjustments` is [(amount, vat, targets)]: a discount (negative) or markup
    (positive, e.g. cash rounding); `vat` None lets it reach lines of any rate,
    else only the targets of that rate; `targets` is the indices of the lines it
    applies to, None for all. Each adjustment is shared in proportion to the
    lines' current amounts in whole kopecks (rounded toward zero), and the
    remainder kopecks go to one line, the largest (on to the next ones only
    where a discount would take the largest below zero), so every rate keeps
    exactly its own discounts. Returns the new amounts, in the order of `lines`.
    """
    kopecks = [_kopecks(amount) for amount, _vat in lines]
    for amount, vat, targets in adjustments:
        change = _kopecks(amount)
        chosen = [i for i in (range(len(lines)) if targets is None else targets)
                  if vat is None or lines[i][1] == vat]
        base = sum(kopecks[i] for i in chosen)
        if not chosen or base <= 0 or base + change < 0:
            raise ReceiptValidationError(
                f"spread_adjustments: {amount} (VAT {vat}) exceeds or has no lines to reduce "
                f"(their total {Decimal(base) / 100})")
        shares = {i: _share(change, kopecks[i], base) for i in chosen}
        remainder = change - sum(shares.values())
        for i in sorted(chosen, key=lambda i: -kopecks[i]):
            # a discount never takes a line below zero; a markup goes to the largest at once
            step = remainder if remainder >= 0 else max(remainder, -(kopecks[i] + shares[i]))
            shares[i] += step
            remainder -= step
        for i, share in shares.items():
            kopecks[i] += share
    return [Decimal(value).scaleb(-2) for value in kopecks]


def _kopecks(amount):
    value = Decimal(amount) * 100
    if value != value.to_integral_value():
        raise ReceiptValidationError(f"{amount} is not a whole number of kopecks")
    return int(value)


def _share(change, part, base):
    """change x part / base in whole kopecks, rounded toward zero (exact integers)."""
    magnitude = abs(change) * part // base
    return magnitude if change >= 0 else -magnitude


def receipt_qr(datetime_iso, total, *, fn_number, fd_number, fiscal_sign, operation_type):
    """The receipt QR string: t=YYYYMMDDTHHMM&s=<rubles.kopecks>&fn=&i=&fp=&n=."""
    moment = dt.datetime.fromisoformat(datetime_iso)
    return "t=%s&s=%s&fn=%s&i=%s&fp=%s&n=%s" % (
        moment.strftime("%Y%m%dT%H%M"),
        format_money(Decimal(str(total))),
        fn_number,
        int(fd_number),
        int(fiscal_sign),
        int(operation_type),
    )


def build_fiscal_result(**fields):
    """A FiscalResult with a normalized total and the QR string ("" if operation unknown)."""
    from .backends.base import FiscalResult  # noqa: PLC0415 - base imports nothing from here

    fields["total"] = format_money(Decimal(str(fields["total"])))
    fields["qr"] = ""
    if fields["operation_type"]:
        fields["qr"] = receipt_qr(
            fields["datetime"], fields["total"], fn_number=fields["fn_number"],
            fd_number=fields["fd_number"], fiscal_sign=fields["fiscal_sign"],
            operation_type=fields["operation_type"],
        )
    return FiscalResult(**fields)


# ---------------------------------------------------------------- parsing helpers


def _fail(path, message):
    raise ReceiptValidationError(f"{path}: {message}")


def _mapping(value, path, allowed, required=()):
    if not isinstance(value, dict):
        _fail(path, f"must be an object, got {type(value).__name__}")
    unknown = sorted(map(repr, set(value) - set(allowed)))
    if unknown:
        _fail(path, f"unknown field(s) {', '.join(unknown)}")
    for name in required:
        if value.get(name) in (None, ""):
            _fail(f"{path}.{name}", "is required")
    return value


def _decimal(value, path, places, maximum, allow_zero=False):
    """A Decimal with at most `places` decimals in 0 (or above 0) .. maximum."""
    if isinstance(value, (bool, float)) or not isinstance(value, (str, int, Decimal)):
        _fail(path, f"{quoted(value)} must be a decimal string such as '100.00' "
                    "(floats are refused)")
    try:
        number = Decimal(str(value).strip())
    except decimal.InvalidOperation:
        _fail(path, f"{quoted(value)} is not a number")
    if not number.is_finite():
        _fail(path, f"{quoted(value)} is not a finite number")
    if number.is_zero():
        number = Decimal(0)  # "-0" must not come back as "-0.00"
    if number > maximum:
        _fail(path, f"{quoted(value)} exceeds the maximum {maximum}")
    if number < 0 or (number == 0 and not allow_zero):
        _fail(path, f"{value} must be {'at least' if allow_zero else 'greater than'} 0")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        _fail(path, f"{value} has more than {places} decimals")
    return number.quantize(Decimal(1).scaleb(-places))


# Unicode's control characters (category Cc) and lone surrogates (Cs), as one scan in C:
# this runs over every text of every receipt on the sale's path.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _printable(value, path, allowed_controls=""):
    """Refuse what no register prints and no JSON encoder takes: control characters and
    lone surrogates (text that is not Unicode)."""
    for found in _UNPRINTABLE.finditer(value):
        char = found.group()
        if unicodedata.category(char) == "Cs":
            _fail(path, "is not valid Unicode text (a lone surrogate)")
        if char not in allowed_controls:
            _fail(path, f"contains the control character U+{ord(char):04X}")
    return value


def _text(value, path, max_length, required=True, allowed_controls=""):
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        _fail(path, "must be a non-empty text")
    if len(value) > max_length:
        _fail(path, f"is {len(value)} characters long, at most {max_length} allowed")
    return _printable(value, path, allowed_controls)


def _code(value, path, allowed):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value) not in allowed:
        _fail(path, f"{quoted(value)} is not one of {', '.join(str(a) for a in allowed)}")
    return value


def _inn(value, path, lengths=(10, 12)):
    if not isinstance(value, str) or not value.isdigit() or len(value) not in lengths:
        _fail(path, f"{quoted(value)} must be {' or '.join(map(str, lengths))} digits")
    if not ru_inn.is_valid(value):
        _fail(path, f"{value} has a wrong INN checksum")
    return value


def _email(value, path):
    limit = ffd()["limits"]["email_length"]
    if not isinstance(value, str) or len(value) > limit or not _EMAIL.match(value):
        _fail(path, f"{quoted(value)} is not a valid e-mail address (at most {limit} characters)")
    return _printable(value, path)


def _phone(value, path):
    if not isinstance(value, str) or not _PHONE.match(value):
        _fail(path, f"{quoted(value)} must be '+' and 11 to 15 digits, e.g. +79991234567")
    return value


@cache
def _earliest(text):
    return dt.datetime.fromisoformat(text)


def _timestamp(value, limits, now):
    """An aware date-time from the earliest FFD date up to a few minutes ahead of `now`."""
    if not isinstance(value, str):
        _fail("timestamp", f"{quoted(value)} must be an ISO 8601 date-time text")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        _fail("timestamp", f"{quoted(value)} is not an ISO 8601 date-time")
    if moment.tzinfo is None:
        _fail("timestamp", f"{quoted(value)} needs a UTC offset, e.g. +03:00")
    earliest = _earliest(limits["earliest_timestamp"])
    now = dt.datetime.now(dt.timezone.utc) if now is None else dt.datetime.fromtimestamp(
        now, dt.timezone.utc)
    latest = now + dt.timedelta(seconds=limits["max_seconds_ahead"])
    if not earliest <= moment <= latest:
        _fail("timestamp", f"{value} is outside {earliest.date()} .. "
                           f"{limits['max_seconds_ahead'] // 60} minutes from now")
    return moment


# ---------------------------------------------------------------- the model


@dataclasses.dataclass(frozen=True)
class Item:
    name: str
    price: Decimal
    quantity: Decimal
    sum: Decimal
    vat: str
    payment_method: str
    payment_object: int
    measure: int
    mark_code: str | None = None

    @property
    def vat_amount(self):
        return vat_amount(self.vat, self.sum)

    @classmethod
    def from_dict(cls, data, path):
        codes, limits = ffd(), ffd()["limits"]
        _mapping(
            data, path, [f.name for f in dataclasses.fields(cls)],
            ("name", "price", "quantity", "sum", "vat", "payment_method"),
        )
        max_money = Decimal(limits["max_money"])
        places = limits["money_decimals"]
        name = _text(data["name"], f"{path}.name", limits["item_name_length"])
        price = _decimal(data["price"], f"{path}.price", places, max_money, allow_zero=True)
        quantity = _decimal(
            data["quantity"], f"{path}.quantity", limits["quantity_decimals"],
            Decimal(limits["max_quantity"]),
        )
        line_sum = _decimal(data["sum"], f"{path}.sum", places, max_money, allow_zero=True)
        expected = round_kopeck(_CONTEXT.multiply(price, quantity))
        if line_sum != expected:
            _fail(
                f"{path}.sum",
                f"{format_money(line_sum)} differs from price x quantity = {price} x "
                f"{format_quantity(quantity)} = {format_money(expected)} (rounded half-up)",
            )
        vat = _code(data["vat"], f"{path}.vat", list(vat_rates()))
        method = _code(data["payment_method"], f"{path}.payment_method",
                       list(codes["payment_methods"]))
        if method in codes["advance_payment_methods"] and calculated_rate(vat) != vat:
            _fail(f"{path}.vat", f"an advance ({method}) carries the calculated rate "
                                 f"{calculated_rate(vat)}, not {vat}")
        subject = int(_code(data.get("payment_object", 1), f"{path}.payment_object",
                            list(codes["payment_objects"])))
        measure = int(_code(data.get("measure", 0), f"{path}.measure", list(codes["measures"])))
        mark_code = _text(data.get("mark_code"), f"{path}.mark_code",
                          limits["mark_code_length"], required=False,
                          allowed_controls=limits["mark_code_controls"])
        marked = codes["marked_payment_objects"]
        if subject in marked and not mark_code:
            _fail(f"{path}.mark_code", f"is required for payment_object {subject} (marked goods)")
        if mark_code and subject not in marked:
            _fail(f"{path}.mark_code", f"is only allowed with payment_object {marked}")
        return cls(name, price, quantity, line_sum, vat, method, subject, measure, mark_code)

    def to_dict(self):
        return {
            "name": self.name,
            "price": format_money(self.price),
            "quantity": format_quantity(self.quantity),
            "sum": format_money(self.sum),
            "vat": self.vat,
            "payment_method": self.payment_method,
            "payment_object": self.payment_object,
            "measure": self.measure,
            "mark_code": self.mark_code,
        }


@dataclasses.dataclass(frozen=True)
class Payment:
    type: int
    sum: Decimal

    @classmethod
    def from_dict(cls, data, path):
        codes, limits = ffd(), ffd()["limits"]
        _mapping(data, path, ("type", "sum"), ("type", "sum"))
        kind = _code(data["type"], f"{path}.type", list(codes["payment_types"]))
        if not isinstance(kind, int):
            _fail(f"{path}.type", f"{quoted(kind)} must be an integer")
        amount = _decimal(data["sum"], f"{path}.sum", limits["money_decimals"],
                          Decimal(limits["max_money"]))
        return cls(kind, amount)

    def to_dict(self):
        return {"type": self.type, "sum": format_money(self.sum)}


@dataclasses.dataclass(frozen=True)
class Correction:
    type: str
    base_date: dt.date
    base_number: str | None = None
    description: str | None = None

    @classmethod
    def from_dict(cls, data, path):
        limits = ffd()["limits"]
        _mapping(data, path, ("type", "base_date", "base_number", "description"),
                 ("type", "base_date"))
        kind = _code(data["type"], f"{path}.type", ffd()["correction_types"])
        try:
            base_date = dt.date.fromisoformat(str(data["base_date"]))
        except ValueError:
            _fail(f"{path}.base_date", f"{quoted(data['base_date'])} must be a date YYYY-MM-DD")
        number = _text(data.get("base_number"), f"{path}.base_number",
                       limits["correction_number_length"], required=kind == "instruction")
        description = _text(data.get("description"), f"{path}.description",
                            limits["correction_description_length"], required=False)
        return cls(kind, base_date, number, description)

    def to_dict(self):
        return {
            "type": self.type,
            "base_date": self.base_date.isoformat(),
            "base_number": self.base_number,
            "description": self.description,
        }


def _party(data, path, fields, required=()):
    """company / client / cashier: a flat dict of checked texts, None values dropped."""
    _mapping(data, path, fields, required)
    limits = ffd()["limits"]
    party = {}
    for name in fields:
        value = data.get(name)
        if value in (None, ""):
            continue
        where = f"{path}.{name}"
        if name == "inn":
            value = _inn(value, where, (12,) if path == "cashier" else (10, 12))
        elif name == "email":
            value = _email(value, where)
        elif name == "phone":
            value = _phone(value, where)
        elif name == "name":
            value = _text(value, where, limits["cashier_name_length"] if path == "cashier"
                          else limits["address_length"])
        else:
            value = _text(value, where, limits["address_length"])
        party[name] = value
    return party


@dataclasses.dataclass(frozen=True)
class Receipt:
    """A validated FFD 1.2 receipt (sale, return, expense, or their corrections)."""

    operation: str
    timestamp: dt.datetime
    taxation: str
    company: dict
    items: tuple
    payments: tuple
    total: Decimal
    client: dict | None = None
    cashier: dict | None = None
    correction: Correction | None = None
    electronically: bool = False

    FIELDS = ("operation", "timestamp", "taxation", "company", "client", "cashier", "items",
              "payments", "total", "correction", "electronically")

    @property
    def operation_type(self):
        """Tag 1054: 1 sale, 2 sale return, 3 expense, 4 expense return."""
        return ffd()["operations"][self.operation]["operation_type"]

    @property
    def is_correction(self):
        return ffd()["operations"][self.operation]["correction"]

    def vat_amounts(self):
        """Receipt VAT per rate (sum of the lines' VAT), in the rate table's order."""
        amounts = {}
        for rate in vat_rates():
            lines = [item for item in self.items if item.vat == rate]
            if lines:
                vats = [item.vat_amount for item in lines]
                amounts[rate] = None if vats[0] is None else sum(vats, Decimal("0.00"))
        return amounts

    @classmethod
    def from_dict(cls, data, now=None):
        """Validate a canonical receipt dict; raise ReceiptValidationError on the first fault.

        `now` (epoch seconds, default the system clock) bounds the timestamp from above.
        """
        codes, limits = ffd(), ffd()["limits"]
        _mapping(data, "receipt", cls.FIELDS,
                 ("operation", "timestamp", "taxation", "company", "items", "payments", "total"))
        operation = _code(data["operation"], "operation", list(codes["operations"]))
        timestamp = _timestamp(data["timestamp"], limits, now)
        taxation = _code(data["taxation"], "taxation", list(codes["taxation"]))
        company = _party(data["company"], "company",
                         ("inn", "email", "payment_address", "location"), ("inn",))
        client = None
        if data.get("client") is not None:
            client = _party(data["client"], "client", ("email", "phone", "name", "inn"))
            # A buyer is named by a contact (1008), or by name and INN (1227, 1228: a sale
            # between organisations, on paper).
            if not (client.get("email") or client.get("phone")
                    or (client.get("name") and client.get("inn"))):
                _fail("client", "needs an email or a phone, or a name and an INN (or omit client)")
        cashier = None
        if data.get("cashier") is not None:
            cashier = _party(data["cashier"], "cashier", ("name", "inn"), ("name",))

        items, payments = data["items"], data["payments"]
        for name, rows, limit in (("items", items, limits["max_items"]),
                                  ("payments", payments, limits["max_payments"])):
            if not isinstance(rows, list) or not rows:
                _fail(name, "must be a non-empty list")
            if len(rows) > limit:
                _fail(name, f"has {len(rows)} entries, at most {limit} allowed")
        items = tuple(Item.from_dict(row, f"items[{i}]") for i, row in enumerate(items))
        payments = tuple(Payment.from_dict(row, f"payments[{i}]") for i, row in enumerate(payments))
        total = _decimal(data["total"], "total", limits["money_decimals"],
                         Decimal(limits["max_money"]))
        items_sum = sum((item.sum for item in items), Decimal("0.00"))
        if items_sum != total:
            _fail("total", f"{format_money(total)} differs from the sum of the items "
                           f"{format_money(items_sum)}")
        paid = sum((payment.sum for payment in payments), Decimal("0.00"))
        if paid != total:
            _fail("payments", f"sum {format_money(paid)} differs from the total "
                              f"{format_money(total)}")

        correction = None
        if codes["operations"][operation]["correction"]:
            if not data.get("correction"):
                _fail("correction", f"the basis (type, base_date) is required for {operation}")
            correction = Correction.from_dict(data["correction"], "correction")
        elif data.get("correction") is not None:
            _fail("correction", f"is only allowed on correction receipts, not {operation}")
        electronically = data.get("electronically", False)
        if not isinstance(electronically, bool):
            _fail("electronically", f"{quoted(electronically)} must be true or false")
        if electronically and not (client and (client.get("email") or client.get("phone"))):
            _fail("client", "an electronic receipt needs the buyer's email or phone")
        return cls(operation, timestamp, taxation, company, items, payments, total,
                   client, cashier, correction, electronically)

    def to_dict(self):
        """The canonical dict; from_dict(to_dict()) gives the same receipt back."""
        data = {
            "operation": self.operation,
            "timestamp": self.timestamp.isoformat(),
            "taxation": self.taxation,
            "company": dict(self.company),
            "items": [item.to_dict() for item in self.items],
            "payments": [payment.to_dict() for payment in self.payments],
            "total": format_money(self.total),
        }
        if self.client:
            data["client"] = dict(self.client)
        if self.cashier:
            data["cashier"] = dict(self.cashier)
        if self.correction:
            data["correction"] = self.correction.to_dict()
        if self.electronically:
            data["electronically"] = True
        return data


def validate(data):
    """Shortcut: the canonical dict of a valid receipt (raises ReceiptValidationError)."""
    return Receipt.from_dict(data).to_dict()


def late_basis(data, now, zone=None, after_hours=0):
    """The correction basis under which `data` (a canonical receipt dict) is registered
    at `now` (epoch seconds), or None while it is on time.

    A sale registered after its settlement has passed goes out as a correction receipt:
    1173 = self, 1178 = the sale's date. Its settlement has passed once the sale's
    calendar day has ended in `zone` (the register's, a tzinfo; default the timestamp's
    own offset), or, with `after_hours`, that many hours after the sale.
    """
    if data["operation"] not in ffd()["correction_of"]:  # a correction already
        return None
    sold = dt.datetime.fromisoformat(data["timestamp"])
    zone = zone or sold.tzinfo
    moment = dt.datetime.fromtimestamp(now, zone)
    if after_hours:
        late = moment - sold > dt.timedelta(hours=after_hours)
    else:
        late = moment.date() > sold.astimezone(zone).date()
    if not late:
        return None
    return {"type": "self", "base_date": sold.astimezone(zone).date().isoformat()}


def as_correction(data, basis):
    """(operation, receipt dict) to send: `data` itself, or with a basis its correction."""
    if not basis:
        return data["operation"], data
    twin = ffd()["correction_of"][data["operation"]]
    return twin, {**data, "operation": twin, "correction": basis}
