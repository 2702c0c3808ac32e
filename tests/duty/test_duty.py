"""Duty expressions and money arithmetic (`engine/duty/expression.py`): examples, then properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clearance.engine.duty.expression import (
    UNITS,
    DutyExpression,
    DutyExpressionError,
    QuantityError,
    Specific,
    parse_duty_expression,
    plain_amount,
    round_money,
    specific_amount,
)

D = Decimal


def spec(e: DutyExpression) -> list[tuple[Decimal, str, str]]:
    return [(s.amount, s.currency, s.unit) for s in e.specific]


@pytest.mark.parametrize(
    ("text", "kind", "ad_valorem", "specific"),
    [
        ("Free", "plain", D(0), []),
        ("free", "plain", D(0), []),
        ("2.5%", "plain", D("0.025"), []),
        ("2.5", "plain", D("0.025"), []),  # a bare number is a percentage
        ("0%", "plain", D(0), []),
        ("$0.50/kg", "plain", D(0), [(D("0.50"), "USD", "kg")]),
        ("4.4¢/kg", "plain", D(0), [(D("0.044"), "USD", "kg")]),
        ("341 JPY/kg", "plain", D(0), [(D(341), "JPY", "kg")]),
        ("$1.035/kg + 4.8%", "plain", D("0.048"), [(D("1.035"), "USD", "kg")]),
        ("4.8% + $1.035/kg", "plain", D("0.048"), [(D("1.035"), "USD", "kg")]),
        ("all-in 15%", "all_in", D("0.15"), []),
        ("All-in  15 %", "all_in", D("0.15"), []),
        ("mfn", "mfn", D(0), []),
        ("MFN", "mfn", D(0), []),
        ("$0.50/g", "plain", D(0), [(D(500), "USD", "kg")]),
        ("$1/t", "plain", D(0), [(D("0.001"), "USD", "kg")]),
        ("$2 each", "plain", D(0), [(D(2), "USD", "no")]),
        ("33 1/3%", "plain", D(1) / D(3), []),
    ],
)
def test_parse_examples(text: str, kind: str, ad_valorem: Decimal, specific: list) -> None:
    e = parse_duty_expression(text)
    assert (e.kind, e.ad_valorem, spec(e)) == (kind, ad_valorem, specific)


@pytest.mark.parametrize(
    ("text", "allow_special"),
    [
        ("", True),
        ("   ", True),
        ("abc", True),
        ("15%%", True),
        ("$/kg", True),
        ("$1/furlong", True),
        ("all-in $0.50/kg", True),  # an all-in rate is a percentage
        ("all-in 15%", False),  # the line's own mfn_rate column cannot be all-in ...
        ("mfn", False),  # ... nor refer to itself
        ("1 1/0%", True),
        ("2.5% +", True),
        ("-5%", True),
    ],
)
def test_parse_refusals(text: str, allow_special: bool) -> None:
    with pytest.raises(DutyExpressionError):
        parse_duty_expression(text, allow_special=allow_special)


def test_parse_refuses_non_text() -> None:
    with pytest.raises(DutyExpressionError, match="must be text"):
        parse_duty_expression(15)  # type: ignore[arg-type]


def test_describe() -> None:
    assert parse_duty_expression("free").describe() == "Free"
    assert parse_duty_expression("mfn").describe() == "MFN"
    assert parse_duty_expression("2.50%").describe() == "2.5%"
    assert parse_duty_expression("$1.035/kg + 4.8%").describe() == "4.8% + 1.035 USD/kg"
    assert parse_duty_expression("all-in 15%").describe() == "all-in 15%"


# properties -----------------------------------------------------------------------------------------------

NUMBER = st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False, allow_infinity=False)
WRITTEN_UNITS = st.sampled_from(sorted(k for k in UNITS if "/" not in k and "+" not in k))
MONEY_FORMS = st.sampled_from(["${n}/{u}", "{n}¢/{u}", "{n} JPY/{u}", "{n} USD/{u}", "¥{n}/{u}", "{n} cents/{u}"])


@st.composite
def expressions(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        n = f"{draw(NUMBER):f}"
        if draw(st.booleans()):
            parts.append(f"{n}%")
        else:
            parts.append(draw(MONEY_FORMS).format(n=n, u=draw(WRITTEN_UNITS)))
    return " + ".join(parts)


def _meaning(e: DutyExpression) -> tuple:
    return e.kind, e.ad_valorem, sorted((s.amount, s.currency, s.unit) for s in e.specific)


@settings(max_examples=300, deadline=None)
@given(expressions())
@example("$1.035/kg + 4.8%")
@example("4.4¢/kg")
@example("341 JPY/kg")
def test_describe_round_trips(text: str) -> None:
    """What the engine reports as a rate reads back as the same rate."""
    e = parse_duty_expression(text)
    again = parse_duty_expression(e.describe())
    assert _meaning(again) == _meaning(e)
    assert _meaning(parse_duty_expression(again.describe())) == _meaning(e)


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False))
def test_all_in_and_percent_round_trip(rate: Decimal) -> None:
    e = parse_duty_expression(f"all-in {rate:f}%")
    assert (e.kind, e.ad_valorem) == ("all_in", rate / 100)
    assert parse_duty_expression(e.describe()).ad_valorem == e.ad_valorem
    assert parse_duty_expression(f"{rate:f}", allow_special=False).ad_valorem == rate / 100


def test_every_canonical_unit_is_itself_a_unit() -> None:
    """describe() names canonical units: each must read back."""
    assert {canonical.lower() for canonical, _ in UNITS.values()} <= set(UNITS)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40), st.booleans())
@example("all-in ", True)
@example("1 1/0%", True)
@example("$1.5.5/kg", True)
@example("٣%", True)  # a non-ASCII digit
@example("+", True)
def test_parser_never_raises_anything_else(text: str, allow_special: bool) -> None:
    _parses_or_refuses(text, allow_special)


def _parses_or_refuses(text: str, allow_special: bool) -> None:
    try:
        e = parse_duty_expression(text, allow_special=allow_special)
    except DutyExpressionError:
        return
    assert isinstance(e, DutyExpression) and e.ad_valorem >= 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.%$¢/+ kgtlnoJPYUSDalin-mfe", max_size=25), st.booleans())
def test_parser_on_rate_like_text(text: str, allow_special: bool) -> None:
    _parses_or_refuses(text, allow_special)


# money -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "minor", "rounded"),
    [
        ("0.005", 2, "0.01"),  # half up, not half even
        ("0.015", 2, "0.02"),
        ("0.025", 2, "0.03"),
        ("0.004999", 2, "0.00"),
        ("2.5", 0, "3"),
        ("3.5", 0, "4"),
        ("2.4999", 0, "2"),
        ("1234.5", 0, "1235"),
        ("0", 2, "0.00"),
        ("10", 2, "10.00"),
    ],
)
def test_round_money_examples(amount: str, minor: int, rounded: str) -> None:
    r = round_money(D(amount), minor)
    assert r == D(rounded) and str(r) == rounded


AMOUNTS = st.decimals(min_value=0, max_value=10**15, places=6, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(AMOUNTS, st.sampled_from([0, 2]))
def test_round_money_properties(x: Decimal, minor: int) -> None:
    r = round_money(x, minor)
    unit = D(1).scaleb(-minor)
    assert r.as_tuple().exponent == -minor  # exactly the minor unit
    assert round_money(r, minor) == r  # idempotent
    assert abs(r - x) <= unit / 2
    exact_half_up = (Fraction(str(x)) / Fraction(str(unit)) + Fraction(1, 2)).__floor__()
    assert r == D(exact_half_up) * unit


def test_plain_amount_ad_valorem_specific_and_compound() -> None:
    e = parse_duty_expression("$1.035/kg + 4.8%")
    assert plain_amount(e, D(1000), D(10), "kg", "USD") == D("58.35")
    assert plain_amount(parse_duty_expression("$0.50/kg"), D(0), D(2500), "g", "USD") == D("1.25")
    assert plain_amount(parse_duty_expression("Free"), D(1000), None, None, "USD") == 0


@pytest.mark.parametrize(
    ("quantity", "unit", "message"),
    [
        (None, None, "a quantity in kg is needed"),
        (D(3), "no", "quantity is in no but the rate is per kg"),
    ],
)
def test_specific_duty_needs_a_quantity_in_its_unit(quantity: Decimal | None, unit: str | None, message: str) -> None:
    with pytest.raises(QuantityError, match=message):
        specific_amount(Specific(D("0.5"), "USD", "kg"), quantity, unit, "USD")


def test_specific_duty_in_another_currency_is_refused() -> None:
    with pytest.raises(QuantityError, match="rate is in JPY but duties are computed in USD"):
        specific_amount(parse_duty_expression("341 JPY/kg").specific[0], D(1), "kg", "USD")


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 999),
    st.sampled_from(["doz", "g", "t", "hundreds", "1000", "kg", "no"]),
    st.decimals(min_value=D("0.01"), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
)
@example(1, "doz", D("0.5"))  # exactly 0.005: rounds up to 0.01
@example(7, "doz", D("0.5"))  # exactly 0.035
def test_specific_duty_is_exact_before_its_one_rounding(cents: int, unit: str, quantity: Decimal) -> None:
    """A rate per dozen (or per gram...) times a quantity in that unit is computed exactly, so the one
    half-up rounding sees the true amount (1¢/doz on half a dozen is 0.005 -> 0.01, not 0.00)."""
    e = parse_duty_expression(f"{cents}¢/{unit}")
    amount = plain_amount(e, D(0), quantity, unit, "USD")
    assert amount == D(cents) / 100 * quantity
    exact = Fraction(cents, 100) * Fraction(str(quantity))
    assert round_money(amount, 2) == D((exact * 100 + Fraction(1, 2)).__floor__()) / 100
