"""Pure optics formulas of optics_core (no Odoo): worked examples and properties."""

from decimal import Decimal as D

import pytest
from conftest import load_addon_module
from hypothesis import given
from hypothesis import strategies as st

om = load_addon_module("optics_core", "optics_math.py")

LIMITS = {
    "sphere": (-30, 30, D("0.25")),
    "cylinder": (-10, 10, D("0.25")),
    "addition": (D("0.5"), 4, D("0.25")),
    "prism": (D("0.25"), 10),
    "pd_far": (20, 40),
    "pd_near": (20, 40),
    "fitting_height": (10, 30),
    "cl_base_curve": (8, D("9.5")),
    "cl_diameter": (D("13.8"), D("14.5")),
}
ANSI_ROWS = [  # quantity, dimension, from, to, tolerance, percent
    ("sphere", "meridian", 0, "6.5", "0.13", 0),
    ("sphere", "meridian", "6.5", 99, 0, 2),
    ("cylinder", "cylinder", 0, 2, "0.13", 0),
    ("cylinder", "cylinder", 2, "4.5", "0.15", 0),
    ("cylinder", "cylinder", "4.5", 99, 0, 4),
    ("axis", "cylinder", "0.12", "0.25", 14, 0),
    ("axis", "cylinder", "0.25", "0.5", 7, 0),
    ("axis", "cylinder", "0.5", "0.75", 5, 0),
    ("axis", "cylinder", "0.75", "1.5", 3, 0),
    ("axis", "cylinder", "1.5", 99, 2, 0),
    ("addition", "value", 0, 4, "0.12", 0),
    ("addition", "value", 4, 99, "0.18", 0),
]
FULL_RANGE = {
    f"{key}_{end}": value
    for key in ("meridian", "cylinder", "value")
    for end, value in (("from", 0), ("to", 99))
}
ANSI = [
    dict(
        FULL_RANGE,
        quantity=quantity,
        design="all",
        tolerance_abs=tolerance,
        tolerance_pct=percent,
        tolerance_per_dioptre=0,
        **{f"{dimension}_from": low, f"{dimension}_to": high},
    )
    for quantity, dimension, low, high, tolerance, percent in ANSI_ROWS
]


@pytest.mark.parametrize(
    ("rx", "expected"),
    [
        (("-2.00", "+1.00", 90), (D("-1.00"), D("-1.00"), 180)),
        (("+1.50", "-0.50", 180), (D("1.00"), D("0.50"), 90)),
        (("+0.75", "-1.25", 45), (D("-0.50"), D("1.25"), 135)),
        (("-3.00", "-0.75", 0), (D("-3.75"), D("0.75"), 90)),
        (("-3.00", "0", 10), (D("-3.00"), D("0"), 10)),
    ],
)
def test_transposition_worked_examples(rx, expected):
    assert om.transpose(*rx) == expected


@given(
    st.integers(-120, 120).map(lambda n: D(n) / 4),
    st.integers(-40, 40).filter(bool).map(lambda n: D(n) / 4),
    st.integers(1, 180),
)
def test_transposing_twice_gives_back_the_prescription(sphere, cylinder, axis):
    assert om.transpose(*om.transpose(sphere, cylinder, axis)) == (sphere, cylinder, axis)


def test_minus_cylinder_form_only_transposes_plus_cylinder():
    assert om.minus_cylinder_form("+1.00", "+0.50", 90) == (D("1.50"), D("-0.50"), 180)
    assert om.minus_cylinder_form("+1.00", "-0.50", 90) == (D("1.00"), D("-0.50"), 90)


def test_spherical_equivalent_and_near_prescription():
    assert om.spherical_equivalent("-2.00", "-1.00") == D("-2.50")
    assert om.spherical_equivalent("+1.25", "-0.75") == D("0.875")
    assert om.near_prescription("-1.00", "-0.50", 90, "+2.00") == (D("1.00"), D("-0.50"), 90)


def test_vertex_compensation_worked_examples():
    # -10.00 D spectacle at 12 mm -> -8.93 D at the cornea (contact lens: -9.00)
    assert om.round_to_step(om.vertex_power("-10.00", 12), "0.01") == D("-8.93")
    assert om.round_to_step(om.vertex_power("-10.00", 12)) == D("-9.00")
    assert om.round_to_step(om.vertex_power("+10.00", 12), "0.01") == D("11.36")
    sphere, cylinder = om.vertex_compensate("-8.00", "-2.00", 12)
    assert om.round_to_step(sphere, "0.01") == D("-7.30")
    assert om.round_to_step(cylinder, "0.01") == D("-1.63")
    # Each meridian rounded to 0.25 (-7.30 -> -7.25, -8.93 -> -9.00), then the cylinder.
    assert om.vertex_compensate("-8.00", "-2.00", 12, om.round_to_step) == (D("-7.25"), D("-1.75"))
    assert om.round_to_step(om.vertex_power("-3.00", 12)) == D("-3.00")


def test_prentice_decentration_and_minimum_blank():
    assert om.prentice_prism(5, "4.00") == D("2.0")
    assert om.prentice_prism(-3, "-2.50") == D("0.75")
    assert om.frame_pd(52, 18) == D(70)
    inset = om.decentration(52, 18, "31.5")
    assert inset == D("3.5")
    assert om.minimum_blank(56, inset) == D("65.0")
    # An outset counts as much as an inset
    assert om.minimum_blank(50, om.decentration(46, 16, 33)) == D(56)


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"sphere": 0, "cylinder": 0, "axis": None}, []),
        ({"sphere": "-30.00", "cylinder": "+10.00", "axis": 180}, []),
        ({"sphere": "-30.25", "cylinder": 0, "axis": None}, [("sphere", "range")]),
        ({"sphere": "-2.10", "cylinder": 0, "axis": None}, [("sphere", "step")]),
        ({"sphere": "-2.125", "cylinder": 0, "axis": None}, [("sphere", "step")]),
        ({"sphere": "-2.00", "cylinder": "-0.50", "axis": None}, [("axis", "required")]),
        ({"sphere": "-2.00", "cylinder": "-0.50", "axis": 0}, [("axis", "required")]),
        ({"sphere": "-2.00", "cylinder": "-0.50", "axis": 1}, []),
        ({"sphere": "-2.00", "cylinder": "-0.50", "axis": 181}, [("axis", "range")]),
        ({"sphere": 1, "cylinder": 0, "axis": None, "addition": "4.25"}, [("addition", "range")]),
        ({"sphere": 1, "cylinder": 0, "axis": None, "prism": 11}, [("prism", "range")]),
        ({"sphere": 1, "cylinder": 0, "axis": None, "pd_far": 19}, [("pd_far", "range")]),
    ],
)
def test_check_eye(values, fields):
    errors = om.check_eye(values, LIMITS)
    assert [(error[0], error[1]) for error in errors] == fields


def test_eighth_dioptre_step_when_configured():
    limits = dict(LIMITS, sphere=(-30, 30, D("0.125")))
    assert om.check_eye({"sphere": "-2.125", "cylinder": 0, "axis": None}, limits) == []


@pytest.mark.parametrize(
    ("quantity", "reference", "expected"),
    [
        ("sphere", "3.00", D("0.13")),
        ("sphere", "6.50", D("0.13")),
        ("sphere", "8.00", D("0.16")),
        ("cylinder", "1.00", D("0.13")),
        ("cylinder", "2.00", D("0.13")),
        ("cylinder", "3.00", D("0.15")),
        ("cylinder", "5.00", D("0.20")),
        ("axis", "0.10", None),
        ("axis", "0.125", D(14)),
        ("axis", "0.25", D(14)),
        ("axis", "0.50", D(7)),
        ("axis", "0.75", D(5)),
        ("axis", "1.50", D(3)),
        ("axis", "2.00", D(2)),
        ("addition", "2.00", D("0.12")),
        ("height", 0, None),
    ],
)
def test_ansi_tolerances(quantity, reference, expected):
    references = {"meridian": reference, "cylinder": reference, "value": reference}
    references["ordered"] = reference
    assert om.tolerance_for(ANSI, quantity, "single_vision", references) == expected


def test_within_tolerance():
    assert om.within_tolerance("sphere", "-2.00", "-2.12", D("0.13"))
    assert not om.within_tolerance("sphere", "-2.00", "-2.25", D("0.13"))
    assert om.within_tolerance("axis", 178, 3, D(7))  # 5 degrees across 0/180
    assert not om.within_tolerance("axis", 90, 98, D(7))
    assert om.within_tolerance("height", 18, 25, None)
    assert om.axis_deviation(1, 179) == 2
