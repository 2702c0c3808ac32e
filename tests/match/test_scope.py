"""Scope exclusions hold when the line lacks the field: a missing attribute is not an excluded value,
and a code shorter than an excluded prefix does not start with it."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from clearance.engine import Checker, load_rules
from clearance.engine.duty.codes import format_code

PACK = """
    id: scope-test
    title: scope test
    jurisdiction: JP
    currency: JPY
    minor_unit: 0
    attributes: {purpose: why imported, organic: organic claim}
    documents: {NOTE: a notification}
"""
MEASURES = """
    instrument: Scope Act
    citations: ["Scope Act art. 1"]
    measures:
      - id: s.food.notification
        title: food for sale needs a notification
        kind: admissibility
        scope:
          codes: {prefixes: ["02"], exclude_prefixes: ["0201300100"]}
          exclude_attributes: {purpose: [personal]}
        dates: {from: 2000-01-01}
        conditions: [{id: note, message: no notification, documents: [NOTE], action: reject}]
      - id: s.organic.claim
        title: an organic claim needs a value for purpose
        kind: sale
        scope: {attributes: {organic: ["*"]}}
        dates: {from: 2000-01-01}
        conditions: [{id: purpose, message: say why, attributes: {purpose: ["*"]}, action: review}]
"""


@pytest.fixture()
def checker(tmp_path: Path) -> Checker:
    root = tmp_path / "jp"
    root.mkdir()
    (root / "pack.yaml").write_text(textwrap.dedent(PACK))
    (root / "m.yaml").write_text(textwrap.dedent(MEASURES))
    return Checker(load_rules(tmp_path), dt.date(2026, 1, 1), "JP")


def verdict(checker: Checker, **cols: str) -> str:
    line = {"hts_code": "020130010", "origin": "US", "value": "1000", "entry_date": "2026-01-01", **cols}
    return next(iter(checker.check([line]))).verdict


def test_missing_attribute_is_not_an_excluded_value(checker: Checker) -> None:
    assert verdict(checker) == "reject"
    assert verdict(checker, attributes="purpose=sale") == "reject"
    assert verdict(checker, attributes="purpose=personal") == "accept"
    assert verdict(checker, attributes="purpose=PERSONAL") == "accept"  # values compare case-insensitively


def test_code_shorter_than_an_excluded_prefix_is_not_excluded(checker: Checker) -> None:
    assert verdict(checker, hts_code="020130010") == "reject"  # 9 digits vs a 10-digit exclusion


def test_wildcard_attribute_tests(checker: Checker) -> None:
    assert verdict(checker, hts_code="100630000", attributes="organic=yes") == "review"
    assert verdict(checker, hts_code="100630000", attributes="organic=yes;purpose=sale") == "accept"
    assert verdict(checker, hts_code="100630000") == "accept"


def test_codes_are_written_as_customs_people_do() -> None:
    assert format_code("100630000") == "1006.30.000"
    assert format_code("87032301") == "8703.23.01"
    assert format_code("8703230140") == "8703.23.01.40"
