"""Spreading discounts, rewards and cash rounding over a receipt's positive lines.

Every case: each item keeps price x quantity = sum, each VAT rate keeps exactly its own
lines minus its own discounts, and the receipt total equals the order total.
"""

from decimal import Decimal

import pytest
from fiscal_connector.errors import ReceiptValidationError
from fiscal_connector.receipt import Item, price_lines, spread_adjustments
from hypothesis import given, settings
from hypothesis import strategies as st

RATES = ("vat22", "vat10", "vat0", "none")


def _items(lines, amounts):
    """The receipt items of the spread amounts, each checked by the core's own Item rule."""
    items = []
    for (quantity, _amount, vat), amount in zip(lines, amounts, strict=True):
        for price, qty, line_sum in price_lines(quantity, amount):
            items.append(Item.from_dict(
                {"name": "x", "price": str(price), "quantity": str(qty), "sum": str(line_sum),
                 "vat": vat, "payment_method": "full_payment"}, "item"))
    return items


def _check(lines, adjustments):
    amounts = spread_adjustments([(amount, vat) for _q, amount, vat in lines], adjustments)
    items = _items(lines, amounts)
    assert all(item.sum >= 0 and item.price >= 0 for item in items)
    order_total = sum(a for _q, a, _v in lines) + sum(a for a, _v, _t in adjustments)
    assert sum(item.sum for item in items) == order_total
    if all(vat is not None for _a, vat, _t in adjustments):  # rate-bound adjustments only
        for rate in RATES:
            expected = sum(a for _q, a, v in lines if v == rate) + sum(
                a for a, v, _t in adjustments if v == rate)
            assert sum(item.sum for item in items if item.vat == rate) == expected, rate
    return amounts


D = Decimal
TABLE = [
    # one line, 10 % of 99.99 leaves an odd kopeck
    ([(D("1.000"), D("99.99"), "vat22")], [(D("-10.00"), "vat22", None)]),
    # three decimals of quantity, a discount on one rate only
    ([(D("2.345"), D("123.45"), "vat22"), (D("0.333"), D("10.01"), "vat10")],
     [(D("-3.33"), "vat22", None)]),
    # one discount line per rate, as pos_discount sends them
    ([(D("3.000"), D("100.00"), "vat22"), (D("1.500"), D("45.67"), "vat22"),
      (D("7.000"), D("70.07"), "vat10"), (D("1.000"), D("5.00"), "none")],
     [(D("-14.58"), "vat22", None), (D("-7.01"), "vat10", None), (D("-0.50"), "none", None)]),
    # a reward on one product (target index 1) of its rate
    ([(D("1.000"), D("500.00"), "vat22"), (D("2.000"), D("300.00"), "vat22")],
     [(D("-150.00"), "vat22", [1])]),
    # the whole rate given away: lines go to zero, never below
    ([(D("3.000"), D("0.03"), "vat22"), (D("1.000"), D("0.01"), "vat22")],
     [(D("-0.04"), "vat22", None)]),
    # cash rounding down and up over every rate
    ([(D("1.000"), D("10.03"), "vat22"), (D("1.000"), D("5.01"), "vat10")],
     [(D("-0.04"), None, None)]),
    ([(D("0.001"), D("0.01"), "vat22"), (D("1.000"), D("9.96"), "vat10")],
     [(D("0.03"), None, None)]),
    # 40 lines, odd quantities
    ([(D(f"{1 + i % 7}.{i:03d}"), D(f"{17 + i * 13}.{i * 7 % 100:02d}"), RATES[i % 4])
      for i in range(40)],
     [(D("-99.97"), "vat22", None), (D("-13.13"), "vat10", None), (D("-0.07"), "none", None)]),
]


@pytest.mark.parametrize(("lines", "adjustments"), TABLE)
def test_spread_table(lines, adjustments):
    _check(lines, adjustments)


def test_remainder_goes_to_one_line():
    amounts = spread_adjustments(
        [(D("1.00"), "vat22"), (D("1.00"), "vat22"), (D("1.00"), "vat22")],
        [(D("-0.05"), "vat22", None)])
    # 0.05 / 3 = 0.01 each, the two remainder kopecks on one line
    assert sorted(amounts) == [D("0.97"), D("0.99"), D("0.99")]


def test_discount_beyond_its_lines_is_refused():
    with pytest.raises(ReceiptValidationError, match="exceeds or has no lines"):
        spread_adjustments([(D("1.00"), "vat22")], [(D("-1.01"), "vat22", None)])
    with pytest.raises(ReceiptValidationError, match="exceeds or has no lines"):
        spread_adjustments([(D("1.00"), "vat22")], [(D("-0.50"), "vat10", None)])


_line = st.tuples(
    st.integers(1, 99_999).map(lambda q: D(q).scaleb(-3)),
    st.integers(1, 10_000_00).map(lambda k: D(k).scaleb(-2)),
    st.sampled_from(RATES),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_line, min_size=1, max_size=40), st.data())
def test_spread_property(lines, data):
    adjustments = []
    for rate in sorted({vat for _q, _a, vat in lines}):
        base = sum(int(a * 100) for _q, a, v in lines if v == rate)
        off = data.draw(st.integers(0, base))
        if off:
            adjustments.append((-D(off).scaleb(-2), rate, None))
    _check(lines, adjustments)
