"""A scope can test the line's customs value (`value: {lte: X}` / `{gt: X}`, in the pack's currency): the edge
itself, one minor unit either side, and values the rules never name all fall on the right side."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.engine import Checker, load_rules

PACK = """
    id: value-test
    title: value test
    jurisdiction: US
    currency: USD
    minor_unit: 2
"""
MEASURES = """
    instrument: Value Act
    citations: ["Value Act sec. 1"]
    measures:
      - id: v.small
        title: small shipments are free
        kind: exemption
        scope: {value: {lte: "800"}}
        dates: {from: 2000-01-01}
        stacking:
          excludes: [{target: v.duty, reason: small shipment}]
      - id: v.large
        title: a large shipment pays 1% more
        kind: duty
        rate: 1%
        scope: {value: {gt: "800"}}
        dates: {from: 2000-01-01}
      - id: v.duty
        title: duty
        kind: duty
        rate: 10%
        dates: {from: 2000-01-01}
"""


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    base: Path = tmp_path_factory.mktemp("packs")
    root = base / "us"
    root.mkdir()
    (root / "pack.yaml").write_text(textwrap.dedent(PACK))
    (root / "m.yaml").write_text(textwrap.dedent(MEASURES))
    return Checker(load_rules(base), dt.date(2026, 1, 1), "US")


def total(checker: Checker, value: str) -> Decimal:
    """0 for a small shipment (v.small excludes v.duty, v.large does not apply), else 10% + 1% of the value."""
    line = {"hts_code": "84798994", "origin": "JP", "value": value, "entry_date": "2026-01-01"}
    return next(iter(checker.check([line]))).total_duty


CENT = Decimal("0.01")


def expected(value: Decimal) -> Decimal:
    return (
        Decimal(0)
        if value <= 800
        else (value / 10).quantize(CENT, ROUND_HALF_UP) + (value / 100).quantize(CENT, ROUND_HALF_UP)
    )


@pytest.mark.parametrize("value", ["1", "799.99", "800", "800.00", "800.001", "800.01", "1000000"])
def test_edges(checker: Checker, value: str) -> None:
    assert total(checker, value) == expected(Decimal(value))


@settings(max_examples=60, deadline=None)
@given(cents=st.integers(min_value=0, max_value=10**8))
def test_any_value_falls_on_its_side(checker: Checker, cents: int) -> None:
    value = Decimal(cents) / 100
    assert total(checker, str(value)) == expected(value)
