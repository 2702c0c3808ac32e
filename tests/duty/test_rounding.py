"""The one rounding function (pack data: mode and unit): half up to the cent, truncation to 100 or 1,000 yen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.engine.duty.expression import round_money
from clearance.engine.duty.rounding import Rounding, round_amount

D = Decimal


@pytest.mark.parametrize(
    ("amount", "mode", "unit", "rounded"),
    [
        ("534795", "down", "1000", "534000"),  # Japan Customs Answer 1111: customs value
        ("74760", "down", "100", "74700"),  # duty
        ("609495", "down", "1000", "609000"),  # consumption-tax base
        ("47502", "down", "100", "47500"),  # national tax
        ("13397.43", "down", "1", "13397"),  # local tax
        ("999", "down", "1000", "0"),  # a whole base below the unit
        ("1000", "down", "1000", "1000"),
        ("750.005", "half-up", "0.01", "750.01"),  # the US: half up per duty line
        ("750.004", "half-up", "0.01", "750.00"),
        ("0", "half-up", "0.01", "0.00"),
        ("149.5", "half-up", "100", "100"),
        ("150", "half-up", "100", "200"),
        ("0.07", "half-up", "0.05", "0.05"),
    ],
)
def test_round_amount_examples(amount: str, mode: str, unit: str, rounded: str) -> None:
    assert str(round_amount(D(amount), mode, D(unit))) == rounded


MONEY = st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False)
UNITS = st.sampled_from([D("0.01"), D(1), D(100), D(1000), D("0.05")])


@given(MONEY, UNITS)
def test_truncation_is_the_largest_multiple_not_above(x: Decimal, unit: Decimal) -> None:
    r = round_amount(x, "down", unit)
    assert r <= x < r + unit and (r / unit) == (r / unit).to_integral_value()
    assert round_amount(r, "down", unit) == r  # idempotent


@given(MONEY, UNITS)
def test_half_up_is_within_half_a_unit(x: Decimal, unit: Decimal) -> None:
    r = round_amount(x, "half-up", unit)
    assert r - unit / 2 <= x < r + unit / 2 and (r / unit) == (r / unit).to_integral_value()


@given(MONEY, st.integers(min_value=0, max_value=4))
def test_round_money_is_half_up_to_the_minor_unit(x: Decimal, minor: int) -> None:
    assert round_money(x, minor) == Rounding("half-up", D(1).scaleb(-minor)).apply(x)
    assert round_money(x, minor).as_tuple().exponent == -minor


def test_nested_truncations_agree() -> None:
    """Truncating to yen, then to 100 yen, is truncating to 100 yen (a line total from a local-tax line)."""
    for x in (D("13397.43"), D("15907.99"), D("99.99"), D("100")):
        assert round_amount(round_amount(x, "down", D(1)), "down", D(100)) == round_amount(x, "down", D(100))
