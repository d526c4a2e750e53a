"""Optics formulas and prescription checks, in plain Python (no Odoo import).

Dioptre values are handled as Decimal so that step checks (0.25, 0.125) are
exact. Functions accept Decimal, int, float or str and return Decimal.
The Odoo layer turns the error tuples returned here into translated messages.
"""

import math
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")


def to_decimal(value):
    """Decimal from a float/int/str; floats go through their short repr."""
    if value is None or value is False:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def round_to_step(value, step="0.25"):
    """Round a power to the nearest multiple of step (half away from zero)."""
    step = to_decimal(step)
    return (to_decimal(value) / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step


def normalize_axis(axis):
    """Axis in 1..180 (TABO): 0 and 180 are the same meridian."""
    axis = int(axis) % 180
    return axis or 180


def transpose(sphere, cylinder, axis):
    """Other cylinder notation: sphere + cyl, -cyl, axis +/- 90 kept in 1..180."""
    sphere, cylinder = to_decimal(sphere), to_decimal(cylinder)
    if cylinder == ZERO:
        return sphere, ZERO, axis
    return sphere + cylinder, -cylinder, normalize_axis(int(axis) + 90)


def minus_cylinder_form(sphere, cylinder, axis):
    """The prescription written with a cylinder <= 0 (the form labs expect)."""
    if to_decimal(cylinder) > ZERO:
        return transpose(sphere, cylinder, axis)
    return to_decimal(sphere), to_decimal(cylinder), axis


def spherical_equivalent(sphere, cylinder):
    return to_decimal(sphere) + to_decimal(cylinder) / 2


def near_prescription(sphere, cylinder, axis, addition):
    """Near Rx: sphere + addition, same cylinder and axis."""
    return to_decimal(sphere) + to_decimal(addition), to_decimal(cylinder), axis


def vertex_power(power, distance_mm):
    """F' = F / (1 - d*F): power moved distance_mm towards the eye (d in metres)."""
    power = to_decimal(power)
    metres = to_decimal(distance_mm) / 1000
    return power / (1 - metres * power)


def vertex_compensate(sphere, cylinder, distance_mm, rounding=None):
    """Compensate both principal meridians, each rounded by `rounding` when given (a
    lab rounds meridians, not the cylinder); returns (sphere, cylinder)."""
    sphere, cylinder = to_decimal(sphere), to_decimal(cylinder)
    rounding = rounding or (lambda power: power)
    first = rounding(vertex_power(sphere, distance_mm))
    second = rounding(vertex_power(sphere + cylinder, distance_mm))
    return first, second - first


def prentice_prism(decentration_mm, power):
    """Prism in prism dioptres = decentration (cm) x power (D)."""
    return abs(to_decimal(decentration_mm) / 10 * to_decimal(power))


def frame_pd(box_a, dbl):
    return to_decimal(box_a) + to_decimal(dbl)


def decentration(box_a, dbl, monocular_pd):
    """Inset per eye (mm): (A + DBL) / 2 - monocular PD."""
    return frame_pd(box_a, dbl) / 2 - to_decimal(monocular_pd)


def minimum_blank(effective_diameter, decentration_mm, allowance_mm=2):
    """Smallest uncut lens (mm): ED + 2 x |decentration| + allowance."""
    return (
        to_decimal(effective_diameter)
        + 2 * abs(to_decimal(decentration_mm))
        + to_decimal(allowance_mm)
    )


def is_multiple_of(value, step):
    step = to_decimal(step)
    return step == ZERO or to_decimal(value) % step == ZERO


def check_value(field, value, low, high, step=None):
    """Error tuples (field, kind, value, low, high, step) for one value."""
    value, low, high = to_decimal(value), to_decimal(low), to_decimal(high)
    step = None if step is None else to_decimal(step)
    if value < low or value > high:
        return [(field, "range", value, low, high, step)]
    if step is not None and not is_multiple_of(value, step):
        return [(field, "step", value, low, high, step)]
    return []


def check_eye(values, limits):
    """Check one eye.

    values: dict with sphere, cylinder, axis (None or 0 when not given: a cylinder
    needs an axis 1..180, where 180 is the only way to write the horizontal), addition,
    prism, prism_angle, pd_far, pd_near, fitting_height, cl_base_curve,
    cl_diameter; zero means "not used" except for sphere, cylinder and axis.
    limits: dict name -> (low, high[, step]) as in company settings.
    Returns a list of error tuples (field, kind, value, low, high, step).
    """
    errors = []
    for field in ("sphere", "cylinder"):
        errors += check_value(field, values.get(field), *limits[field])
    cylinder = to_decimal(values.get("cylinder"))
    axis = values.get("axis") or None  # 0 and empty both mean "no axis"
    if cylinder != ZERO and axis is None:
        errors.append(("axis", "required", None, None, None, None))
    elif axis is not None:
        errors += check_value("axis", axis, 1, 180, 1)
    optional = (
        "addition",
        "prism",
        "pd_far",
        "pd_near",
        "fitting_height",
        "cl_base_curve",
        "cl_diameter",
    )
    for field in optional:
        if to_decimal(values.get(field)) != ZERO:
            errors += check_value(field, values.get(field), *limits[field])
    if to_decimal(values.get("prism")) != ZERO and values.get("prism_angle") is not None:
        errors += check_value("prism_angle", values["prism_angle"], 0, 360)
    return errors


def _in_range(value, low, high):
    """Tables read "above low, up to high"; a range from 0 also takes 0."""
    return low < value <= high or value == low == ZERO


def tolerance_for(lines, quantity, design, references):
    """Allowed deviation for one value from tolerance profile lines.

    lines: iterable of dicts with quantity, design ("all", "single_vision",
    "progressive"), meridian_from/_to, cylinder_from/_to, value_from/_to (the
    ranges that select the line) and tolerance_abs, tolerance_pct (percent of
    the ordered value), tolerance_per_dioptre (times the highest meridian).
    Lines of the lens's own design win over lines for all designs.
    references: dict with meridian (power of the principal meridian of highest
    absolute power), cylinder, value (the quantity's nominal magnitude: the
    addition, the prescribed prism) and ordered.
    Returns None when no line applies (the value is not checked).
    """
    lines = [line for line in lines if line["quantity"] == quantity]
    own = [line for line in lines if line["design"] == design]
    lines = own or [line for line in lines if line["design"] == "all"]
    refs = {key: abs(to_decimal(references.get(key))) for key in ("meridian", "cylinder", "value")}
    for line in lines:
        if all(
            _in_range(refs[key], to_decimal(line[f"{key}_from"]), to_decimal(line[f"{key}_to"]))
            for key in refs
        ):
            return (
                to_decimal(line["tolerance_abs"])
                + abs(to_decimal(references.get("ordered")))
                * to_decimal(line["tolerance_pct"])
                / 100
                + refs["meridian"] * to_decimal(line["tolerance_per_dioptre"])
            )
    return None


def prism_components(magnitude, base, angle, base_angles):
    """(horizontal, vertical) prism in prism dioptres, positive base in and base up.

    base: in/out/up/down, or "angle" with angle in degrees 0..360 on the 360-degree
    scale seen from the front; base_angles maps in/out/up/down to that scale for
    the eye (for the right eye base in is 0, for the left eye 180).
    """
    magnitude = to_decimal(magnitude)
    if not magnitude or not base:
        return ZERO, ZERO
    degrees = angle if base == "angle" else base_angles[base]
    radians = math.radians(int(degrees))
    inward = math.cos(radians - math.radians(base_angles["in"]))
    places = Decimal("0.01")
    horizontal = (magnitude * Decimal(repr(inward))).quantize(places) + ZERO
    vertical = (magnitude * Decimal(repr(math.sin(radians)))).quantize(places) + ZERO
    return horizontal, vertical


def axis_deviation(ordered, measured):
    """Smallest angle between two axes (degrees, 0..90)."""
    diff = abs(int(ordered) - int(measured)) % 180
    return min(diff, 180 - diff)


def deviation(quantity, ordered, measured):
    """How far the measured value is from the ordered one (degrees for the axis)."""
    if quantity == "axis":
        return Decimal(axis_deviation(ordered, measured))
    return abs(to_decimal(measured) - to_decimal(ordered))


def within_tolerance(quantity, ordered, measured, tolerance):
    if tolerance is None:
        return True
    return deviation(quantity, ordered, measured) <= to_decimal(tolerance)
