"""The FFD 1.2 receipt model: invariants, rounding, VAT, bad input, QR string."""

import copy
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from fiscal_connector.errors import ReceiptValidationError
from fiscal_connector.qr import qr_png
from fiscal_connector.receipt import (
    Receipt,
    build_fiscal_result,
    calculated_rate,
    price_lines,
    receipt_qr,
    validate,
    vat_amount,
    vat_rates,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

COMPANY = {"inn": "5544332219", "email": "shop@example.com",
           "payment_address": "Moscow, Tverskaya 1", "location": "Optics shop 1"}
RATES = list(vat_rates())
OPERATIONS = ["sell", "sell_refund", "buy", "buy_refund"]
CORRECTIONS = ["sell_correction", "sell_refund_correction", "buy_correction",
               "buy_refund_correction"]
KOPECK = Decimal("0.01")


def receipt(**changes):
    data = {
        "operation": "sell",
        "timestamp": "2026-11-28T20:30:00+03:00",
        "taxation": "osn",
        "company": dict(COMPANY),
        "client": {"email": "buyer@example.com"},
        "cashier": {"name": "Ivanova A.", "inn": "500100732259"},
        "items": [
            {"name": "Frame Ray-Ban RB5154", "price": "7500.00", "quantity": "1.000",
             "sum": "7500.00", "vat": "vat22", "payment_method": "full_payment",
             "payment_object": 1, "measure": 0, "mark_code": None},
            {"name": "Lens 1.6 AR", "price": "2499.99", "quantity": "2.000", "sum": "4999.98",
             "vat": "vat22", "payment_method": "full_payment", "payment_object": 1,
             "measure": 0, "mark_code": None},
        ],
        "payments": [{"type": 1, "sum": "10000.00"}, {"type": 0, "sum": "2499.98"}],
        "total": "12499.98",
    }
    data.update(changes)
    return data


def with_item(index=0, **changes):
    data = receipt()
    data["items"][index].update(changes)
    return data


def advance_or_not(rate, method):
    """An item's rate and method as a valid receipt has them: advances at calculated rates."""
    if method in ("full_prepayment", "prepayment", "advance"):
        rate = calculated_rate(rate)
    return {"vat": rate, "payment_method": method}


def half_up(value):
    """Reference rounding with Fractions, independent of the model's Decimal code."""
    cents = value * 100
    whole = int(cents)  # values are never negative here
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


# ---------------------------------------------------------------- good receipts


def test_canonical_dict_round_trips():
    data = receipt()
    parsed = Receipt.from_dict(data)
    assert parsed.to_dict() == data
    assert Receipt.from_dict(parsed.to_dict()) == parsed
    assert parsed.operation_type == 1
    # 7500.00 * 22/122 = 1352.459.. -> 1352.46; 4999.98 * 22/122 = 901.635.. -> 901.64
    assert parsed.vat_amounts() == {"vat22": Decimal("2254.10")}


def test_normalizes_numbers_to_canonical_text():
    data = with_item(0, price=7500, quantity="1", sum="7500")
    data["total"] = "12499.980"
    canonical = validate(data)
    assert canonical["items"][0] == receipt()["items"][0]
    assert canonical["total"] == "12499.98"


def test_a_free_gift_line_is_allowed_and_minus_zero_normalized():
    data = receipt()
    data["items"].append({"name": "Gift case", "price": "-0", "quantity": "1", "sum": "0",
                          "vat": "vat22", "payment_method": "full_payment"})
    item = validate(data)["items"][2]
    assert (item["price"], item["sum"]) == ("0.00", "0.00")


@pytest.mark.parametrize("operation", CORRECTIONS)
def test_correction_receipts_need_and_keep_their_basis(operation):
    basis = {"type": "instruction", "base_date": "2026-11-01", "base_number": "FNS-12/3",
             "description": "Receipt not issued on 2026-11-01"}
    parsed = Receipt.from_dict(receipt(operation=operation, correction=basis))
    assert parsed.is_correction
    assert parsed.to_dict()["correction"] == basis
    assert parsed.operation_type == {"sell": 1, "sell_refund": 2, "buy": 3,
                                     "buy_refund": 4}[operation.removesuffix("_correction")]


@pytest.mark.parametrize(("rate", "line_sum", "expected"), [
    ("none", "100.00", None),
    ("vat0", "100.00", "0.00"),
    ("vat5", "105.00", "5.00"),
    ("vat7", "107.00", "7.00"),
    ("vat10", "110.00", "10.00"),
    ("vat20", "120.00", "20.00"),
    ("vat22", "122.00", "22.00"),
    ("vat105", "100.00", "4.76"),
    ("vat107", "100.00", "6.54"),
    ("vat110", "100.00", "9.09"),
    ("vat120", "100.00", "16.67"),
    ("vat122", "100.00", "18.03"),
    ("vat20", "0.03", "0.01"),  # 0.005 exactly: half-up
    ("vat10", "0.05", "0.00"),  # 0.004545..
])
def test_vat_of_every_rate_in_the_table(rate, line_sum, expected):
    result = vat_amount(rate, Decimal(line_sum))
    assert result == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(("rate", "twin"), [
    ("vat22", "vat122"), ("vat10", "vat110"), ("vat5", "vat105"), ("vat7", "vat107"),
    ("vat20", "vat120"), ("vat122", "vat122"), ("vat0", "vat0"), ("none", "none"),
])
def test_advances_carry_the_calculated_rate(rate, twin):
    assert calculated_rate(rate) == twin
    for method in ("full_prepayment", "prepayment", "advance"):
        advance = with_item(0, payment_method=method, vat=rate)
        if rate == twin:
            validate(advance)
        else:
            with pytest.raises(ReceiptValidationError, match=f"calculated rate {twin}"):
                validate(advance)
    validate(with_item(0, payment_method="advance", vat=twin))


def test_qr_string_and_fiscal_result():
    result = build_fiscal_result(
        fn_number="9999078900012345", fd_number=42, fiscal_sign="3522207165",
        datetime="2026-11-28T20:31:07+03:00", shift_number=7, receipt_number=12,
        registration_number="0000000001012345", total=Decimal("12499.9"), operation_type=2)
    assert result.total == "12499.90"
    assert result.qr == ("t=20261128T2031&s=12499.90&fn=9999078900012345&i=42"
                         "&fp=3522207165&n=2")
    assert json.loads(json.dumps(result.to_dict()))["qr"] == result.qr
    assert receipt_qr("2026-01-02T03:04:59", "1", fn_number="1", fd_number=2,
                      fiscal_sign="0003", operation_type=1) == \
        "t=20260102T0304&s=1.00&fn=1&i=2&fp=3&n=1"


# ---------------------------------------------------------------- bad receipts

BAD_RECEIPTS = [
    ("unknown operation",
     receipt(operation="sale"),
     "operation: 'sale' is not one of"),
    ("naive timestamp",
     receipt(timestamp="2026-11-28T20:30:00"),
     "timestamp: '2026-11-28T20:30:00' needs a UTC offset"),
    ("garbage timestamp",
     receipt(timestamp="yesterday"),
     "timestamp: 'yesterday' is not an ISO 8601"),
    ("unknown taxation",
     receipt(taxation="envd"),
     "taxation: 'envd' is not one of"),
    ("company inn checksum",
     receipt(company={**COMPANY, "inn": "5544332218"}),
     "company.inn: 5544332218 has a wrong INN checksum"),
    ("company inn length",
     receipt(company={**COMPANY, "inn": "55443322"}),
     "company.inn: '55443322' must be 10 or 12 digits"),
    ("company without inn",
     receipt(company={"email": "a@b.ru"}),
     "company.inn: is required"),
    ("cashier inn of a company",
     receipt(cashier={"name": "A", "inn": "5544332219"}),
     "cashier.inn: '5544332219' must be 12 digits"),
    ("cashier inn checksum",
     receipt(cashier={"name": "A", "inn": "500100732258"}),
     "cashier.inn: 500100732258 has a wrong INN checksum"),
    ("cashier without name",
     receipt(cashier={"inn": "500100732259"}),
     "cashier.name: is required"),
    ("bad email",
     receipt(client={"email": "buyer@"}),
     "client.email: 'buyer@' is not a valid e-mail"),
    ("bad phone",
     receipt(client={"phone": "89991234567"}),
     "client.phone: '89991234567' must be '+' and 11 to 15 digits"),
    ("empty client",
     receipt(client={}),
     "client: needs an email or a phone"),
    ("buyer named without INN",
     receipt(client={"name": "ООО «Линза»"}),
     "client: needs an email or a phone, or a name and an INN"),
    ("electronic receipt to a buyer without contact",
     receipt(client={"name": "ООО «Линза»", "inn": "7707083893"}, electronically=True),
     "client: an electronic receipt needs the buyer's email or phone"),
    ("unknown field",
     receipt(discount="10"),
     "receipt: unknown field(s) 'discount'"),
    ("no items",
     receipt(items=[]),
     "items: must be a non-empty list"),
    ("no payments",
     receipt(payments=[]),
     "payments: must be a non-empty list"),
    ("101 items",
     receipt(items=[receipt()["items"][0]] * 101),
     "items: has 101 entries, at most 100 allowed"),
    ("11 payments",
     receipt(payments=[{"type": 0, "sum": "1.00"}] * 11),
     "payments: has 11 entries, at most 10 allowed"),
    ("name too long",
     with_item(0, name="x" * 129),
     "items[0].name: is 129 characters long, at most 128 allowed"),
    ("blank name",
     with_item(1, name="  "),
     "items[1].name: must be a non-empty text"),
    ("line sum off by a kopeck",
     with_item(1, sum="4999.99"),
     "items[1].sum: 4999.99 differs from price x quantity = 2499.99 x 2.000 = 4999.98"),
    ("float price",
     with_item(0, price=7500.0),
     "items[0].price: 7500.0 must be a decimal string"),
    ("price with 3 decimals",
     with_item(0, price="7500.001"),
     "items[0].price: 7500.001 has more than 2 decimals"),
    ("negative price",
     with_item(0, price="-1.00"),
     "items[0].price: -1.00 must be at least 0"),
    ("price too big",
     with_item(0, price="100000000.00"),
     "items[0].price: '100000000.00' exceeds the maximum 99999999.99"),
    ("quantity 7 decimals",
     with_item(0, quantity="1.0000001"),
     "items[0].quantity: 1.0000001 has more than 6 decimals"),
    ("zero quantity",
     with_item(0, quantity="0"),
     "items[0].quantity: 0 must be greater than 0"),
    ("not a number",
     with_item(0, quantity="one"),
     "items[0].quantity: 'one' is not a number"),
    ("infinite",
     with_item(0, price="Infinity"),
     "items[0].price: 'Infinity' is not a finite number"),
    ("unknown vat",
     with_item(0, vat="vat18"),
     "items[0].vat: 'vat18' is not one of"),
    ("unknown payment method",
     with_item(0, payment_method="cash"),
     "items[0].payment_method: 'cash' is not one of"),
    ("unknown payment object",
     with_item(0, payment_object=29),
     "items[0].payment_object: 29 is not one of"),
    ("unknown measure",
     with_item(0, measure=3),
     "items[0].measure: 3 is not one of"),
    ("marked goods without code",
     with_item(0, payment_object=33),
     "items[0].mark_code: is required for payment_object 33"),
    ("mark code on plain goods",
     with_item(0, mark_code="0104600439931256"),
     "items[0].mark_code: is only allowed with payment_object"),
    ("total not the items",
     receipt(total="12499.99"),
     "total: 12499.99 differs from the sum of the items 12499.98"),
    ("payments short",
     receipt(payments=[{"type": 0, "sum": "12499.97"}]),
     "payments: sum 12499.97 differs from the total 12499.98"),
    ("payment type",
     receipt(payments=[{"type": 5, "sum": "12499.98"}]),
     "payments[0].type: 5 is not one of"),
    ("payment type as text",
     receipt(payments=[{"type": "0", "sum": "12499.98"}]),
     "payments[0].type: '0' must be an integer"),
    ("zero payment",
     receipt(payments=[{"type": 0, "sum": "12499.98"}, {"type": 1, "sum": "0"}]),
     "payments[1].sum: 0 must be greater than 0"),
    ("correction without basis",
     receipt(operation="sell_correction"),
     "correction: the basis (type, base_date) is required"),
    ("basis on a sale",
     receipt(correction={"type": "self", "base_date": "2026-11-01"}),
     "correction: is only allowed on correction receipts"),
    ("instruction without number",
     receipt(operation="buy_correction",
             correction={"type": "instruction", "base_date": "2026-11-01"}),
     "correction.base_number: must be a non-empty text"),
    ("bad basis date",
     receipt(operation="sell_correction", correction={"type": "self", "base_date": "01.11.2026"}),
     "correction.base_date: '01.11.2026' must be a date"),
    ("electronic without client",
     {k: v for k, v in receipt(electronically=True).items() if k != "client"},
     "client: an electronic receipt needs"),
    ("items not a list",
     receipt(items={"name": "x"}),
     "items: must be a non-empty list"),
    ("item not an object",
     receipt(items=["frame"]),
     "items[0]: must be an object, got str"),
]


@pytest.mark.parametrize(("data", "message"), [case[1:] for case in BAD_RECEIPTS],
                         ids=[case[0] for case in BAD_RECEIPTS])
def test_bad_receipt_is_rejected_with_its_message(data, message):
    before = copy.deepcopy(data)
    with pytest.raises(ReceiptValidationError) as error:
        Receipt.from_dict(data)
    assert message in str(error.value)
    assert data == before  # validation never touches the caller's dict


# ---------------------------------------------------------------- properties

prices = st.integers(min_value=0, max_value=5_000_000)  # kopecks
quantities = st.one_of(  # pieces, grams (3 decimals), up to the 6 decimals allowed
    *(st.integers(min_value=1, max_value=99_999 * 10**places).map(
        lambda units, places=places: Decimal(units).scaleb(-places)) for places in (0, 3, 6)))
discounts = st.integers(min_value=0, max_value=99)  # percent
# what a register prints: any Unicode text but control characters and lone surrogates
printable_texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
                          max_size=128).filter(str.strip)


@st.composite
def carts(draw):
    """A cart with discounts spread into unit prices, and payments that add up."""
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        list_price = Decimal(draw(prices)) / 100
        discount = draw(discounts)
        price = (list_price * (100 - discount) / 100).quantize(KOPECK, ROUND_HALF_UP)
        quantity = draw(quantities)
        line_sum = (price * quantity).quantize(KOPECK, ROUND_HALF_UP)
        assume(line_sum <= Decimal("99999999.99"))
        lines.append({"name": draw(printable_texts),
                      "price": str(price), "quantity": str(quantity), "sum": str(line_sum),
                      **advance_or_not(draw(st.sampled_from(RATES)), draw(st.sampled_from(
                          ["full_payment", "full_prepayment", "advance", "credit"]))),
                      "payment_object": draw(st.sampled_from([1, 3, 4, 10])),
                      "measure": draw(st.sampled_from([0, 11, 22, 41, 255]))})
    total = sum(Decimal(line["sum"]) for line in lines)
    assume(Decimal(0) < total <= Decimal("99999999.99"))
    cents = int(total * 100)
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=cents), max_size=4,
                                unique=True)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, cents]) if b > a]
    payments = [{"type": draw(st.integers(min_value=0, max_value=4)),
                 "sum": str(Decimal(part) / 100)} for part in parts]
    return receipt(operation=draw(st.sampled_from(OPERATIONS)), items=lines,
                   payments=payments, total=str(total))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carts())
def test_random_carts_validate_and_keep_every_invariant(data):
    parsed = Receipt.from_dict(data)
    assert Receipt.from_dict(parsed.to_dict()) == parsed
    assert parsed.total == sum(item.sum for item in parsed.items)
    assert parsed.total == sum(payment.sum for payment in parsed.payments)
    for item in parsed.items:
        exact = Fraction(item.price) * Fraction(item.quantity)
        assert item.sum == half_up(exact)
        spec = vat_rates()[item.vat]
        if spec["numerator"] is None:
            assert item.vat_amount is None
        else:
            share = Fraction(item.sum) * spec["numerator"] / spec["denominator"]
            assert item.vat_amount == half_up(share)
    for rate, amount in parsed.vat_amounts().items():
        lines = [item.vat_amount for item in parsed.items if item.vat == rate]
        assert amount == (None if lines[0] is None else sum(lines))


@settings(max_examples=100, deadline=None)
@given(carts(), st.integers(min_value=0, max_value=11), st.sampled_from([-1, 1]))
def test_a_kopeck_off_anywhere_is_refused(data, index, delta):
    line = data["items"][index % len(data["items"])]
    assume(Decimal(line["sum"]) + delta * KOPECK >= 0)
    line["sum"] = str(Decimal(line["sum"]) + delta * KOPECK)
    with pytest.raises(ReceiptValidationError, match=r"items\[\d+\]\.sum"):
        Receipt.from_dict(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["operation", "timestamp", "taxation", "company", "client", "cashier",
                        "items", "payments", "total", "correction", "electronically"]),
       json_values)
def test_any_garbage_field_gives_a_validation_error_or_a_valid_receipt(field, value):
    data = receipt(**{field: value})
    try:
        parsed = Receipt.from_dict(data)
    except ReceiptValidationError as error:
        assert str(error)
    else:
        assert Receipt.from_dict(parsed.to_dict()) == parsed


@settings(max_examples=200, deadline=None)
@given(quantities, st.integers(min_value=0, max_value=9_999_999_999))
def test_price_lines_always_cost_exactly_the_line_total(quantity, kopecks):
    total = Decimal(kopecks) / 100
    lines = price_lines(quantity, total)
    assert 1 <= len(lines) <= 2
    assert sum(line[1] for line in lines) == quantity
    assert sum(line[2] for line in lines) == total
    items = [{"name": "Lens", "price": str(price), "quantity": str(qty), "sum": str(line_sum),
              "vat": "vat22", "payment_method": "full_payment"}
             for price, qty, line_sum in lines]
    assume(total > 0 and all(line[0] <= Decimal("99999999.99") for line in lines))
    Receipt.from_dict(receipt(items=items, payments=[{"type": 0, "sum": str(total)}],
                              total=str(total)))


def test_price_lines_split_only_when_needed():
    assert price_lines(2, "100.00") == [(Decimal("50.00"), 2, Decimal("100.00"))]
    assert price_lines(3, "100.00") == [(Decimal("33.33"), 2, Decimal("66.66")),
                                        (Decimal("33.34"), 1, Decimal("33.34"))]
    with pytest.raises(ReceiptValidationError, match="quantity 0 must be > 0"):
        price_lines(0, "1.00")


def test_qr_png_is_an_image_of_the_string():
    from PIL import Image  # noqa: PLC0415 - Pillow comes with qrcode's image support

    data = qr_png("t=20261128T2031&s=12499.90&fn=9999078900012345&i=42&fp=3522207165&n=2")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size[0] == image.size[1] > 100
