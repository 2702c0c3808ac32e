"""Charges other than customs duty (a measure's `charge: tax | fee`) and pack-driven rounding, on a small pack
written here: kept apart in the result, in every output format and in the run store; a basis that adds the
line's duty (`plus`) or other measures' amounts (`of`) is computed after them; rounding per charge kind."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from clearance.engine import Checker, Result, load_pack
from clearance.engine.authoring.explain import explain
from clearance.engine.authoring.golden import Expect, compare
from clearance.engine.packs.load import PackError
from clearance.engine.report.adapter import from_results, to_results
from clearance.engine.report.csv_format import COLUMNS
from clearance.engine.report.formats import write
from clearance.engine.report.records import Renderer

HEADER = """id: t
title: t
jurisdiction: US
currency: USD
minor_unit: 2
rounding:
  tax:
    basis: {mode: down, unit: 10}
    amount: {mode: down, unit: 1}
    total: {mode: down, unit: 5}
    citations: [Tax Rule 1]
"""
# listed before the duty it adds: the order comes from the bases, not the file
MEASURES = """instrument: test
citations: [Test 1]
published: 2020-01-01
measures:
  - {id: t.tax.local, title: local tax, kind: duty, charge: tax, rate: 1/3, basis: {of: [t.tax.national]},
     rounding: {basis: {mode: down, unit: 1}}, dates: {from: 2020-01-01}}
  - {id: t.tax.national, title: national tax, kind: duty, charge: tax, rate: 10%, basis: {field: value, plus: [duty]},
     dates: {from: 2020-01-01}}
  - {id: t.fee.processing, title: processing fee, kind: duty, charge: fee, rate: 0.3464%, dates: {from: 2020-01-01}}
  - {id: t.duty, title: duty, kind: duty, rate: 5%, heading: 9901.00.01, dates: {from: 2020-01-01}}
"""


def pack_dir(tmp_path: Path, measures: str = MEASURES, header: str = HEADER) -> Path:
    root = tmp_path / "t"
    root.mkdir()
    (root / "pack.yaml").write_text(header)
    (root / "m.yaml").write_text(measures)
    return root


def check(tmp_path: Path, value: str = "1234.56", **cols: str) -> Result:
    checker = Checker({"US": load_pack(pack_dir(tmp_path))}, dt.date(2026, 1, 1))
    line = {"hts_code": "0101210000", "origin": "JP", "value": value, "entry_date": "2025-06-01", **cols}
    [r] = checker.check([line])
    return r


def test_duty_tax_and_fee_are_apart_with_their_totals(tmp_path: Path) -> None:
    r = check(tmp_path)
    # duty 5% of 1234.56 = 61.728 -> 61.73 (default: half up to the cent)
    assert [(d.measure, str(d.amount)) for d in r.duties] == [("t.duty", "61.73")] and str(r.total_duty) == "61.73"
    # national: 1234.56 + 61.73 = 1296.29 -> 1290 (basis down to 10); 10% = 129.00 -> 129 (down to 1)
    # local: 1/3 of 129 = 43 ; totals from the exact amounts, down to 5: 125 + 40
    taxes = {d.measure: (str(d.basis_value), d.amount) for d in r.taxes}
    assert taxes == {"t.tax.national": ("1290", Decimal(129)), "t.tax.local": ("129", Decimal(43))}
    assert r.total_taxes == Decimal("165.00")
    # fee: 0.3464% of 1234.56 = 4.27651... -> 4.28
    assert [(d.measure, str(d.amount)) for d in r.fees] == [("t.fee.processing", "4.28")]
    assert str(r.total_fees) == "4.28"
    assert r.verdict == "accept" and {x.rule for x in r.reasons} >= {"t.tax.national", "t.fee.processing"}


def test_a_charge_whose_basis_is_unknown_is_not_computed(tmp_path: Path) -> None:
    measures = MEASURES.replace("rate: 5%, heading", "rate: mfn, heading")
    checker = Checker({"US": load_pack(pack_dir(tmp_path, measures))}, dt.date(2026, 1, 1))
    [r] = checker.check([{"hts_code": "0101210000", "origin": "JP", "value": "100", "entry_date": "2025-06-01"}])
    assert r.verdict == "review" and r.taxes == [] and r.total_taxes == 0
    flagged = {x.rule for x in r.reasons if x.severity == "warning"}
    assert {"t.duty", "t.tax.national", "t.tax.local"} <= flagged


def test_every_format_and_the_store_keep_taxes_and_fees(tmp_path: Path) -> None:
    r = check(tmp_path)
    record = json.loads(r.record_json())
    assert record["total_taxes"] == "165.00" and [t["measure"] for t in record["taxes"]] == [
        "t.tax.national",
        "t.tax.local",
    ]
    out = io.StringIO()
    write("csv", [r], out)
    cells = dict(zip(COLUMNS, list(csv.reader(io.StringIO(out.getvalue())))[1], strict=True))
    assert (cells["total_taxes"], cells["total_fees"]) == ("165.00", "4.28")
    assert cells["taxes"] == "t.tax.national=129;t.tax.local=43" and cells["fees"] == "t.fee.processing=4.28"
    out = io.StringIO()
    summary = write("text", [r], out)
    assert "taxes 165.00" in out.getvalue() and "fees 4.28" in out.getvalue()
    assert summary.line().endswith("total duty 61.73 USD; total taxes 165.00 USD; total fees 4.28 USD")
    batch = from_results([r], minor_units={"USD": 2})
    assert to_results(batch) == [r] and Renderer(batch).records() == [r.record_json()]
    assert [(c.charge, c.measure) for c in batch.duty_component] == [
        ("duty", "t.duty"),
        ("tax", "t.tax.national"),
        ("tax", "t.tax.local"),
        ("fee", "t.fee.processing"),
    ]


def test_golden_cases_can_expect_taxes_and_fees(tmp_path: Path) -> None:
    r = check(tmp_path)
    ok = Expect(total_taxes=Decimal(165), taxes={"t.tax.local": Decimal(43)}, fees={"t.fee.processing": "4.28"})
    assert compare(ok, r) == []
    wrong = Expect(total_fees=Decimal("4.27"), taxes={"t.tax.local": Decimal(44)})
    diff = compare(wrong, r)  # a unified diff, expected -> got
    assert [p for p in diff if p[:1] in "-+" and p[:3] not in ("---", "+++")] == [
        "-total_fees: 4.27",
        "-taxes t.tax.local: 44",
        "+total_fees: 4.28",
        "+taxes t.tax.local: 43",
    ]


def test_explain_shows_the_exact_and_the_rounded_amounts(tmp_path: Path) -> None:
    root = pack_dir(tmp_path)
    line = {"hts_code": "0101210000", "origin": "JP", "value": "1234.56", "entry_date": "2025-06-01"}
    e = explain({"US": load_pack(root)}, [line], law_as_of=dt.date(2026, 1, 1))
    traces = {t.duty.measure: t for t in e.duties}
    assert all(t.reproduced for t in traces.values()) and traces["t.tax.local"].charge == "tax"
    national = traces["t.tax.national"].steps
    assert "basis: value 1234.56 + 61.73 (t.duty) = 1296.29 → 1290 (truncated to a multiple of 10)" in national
    assert "= 129.0 (exact) → 129 (truncated to a multiple of 1, once)" in national
    assert "line total from the exact amount: 129.0 → 125 (truncated to a multiple of 5)" in national
    assert "129 × 1/3 = 43" in traces["t.tax.local"].steps


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        (
            "{id: t.x, title: x, kind: admissibility, charge: tax, dates: {from: 2020-01-01}, "
            "conditions: [{id: c, message: m, documents: [D], action: review}]}",
            "no `charge` or `rounding`",
        ),
        ("{id: t.x, title: x, kind: duty, rate: 1%, basis: {of: [t.x]}, dates: {from: 2020-01-01}}", "its own amount"),
        (
            "{id: t.x, title: x, kind: duty, rate: 1%, basis: {of: [t.y], plus: [duty]}, dates: {from: 2020-01-01}}",
            "a basis `of` other measures",
        ),
        ("{id: t.x, title: x, kind: duty, charge: levy, rate: 1%, dates: {from: 2020-01-01}}", "charge"),
    ],
)
def test_pack_errors(tmp_path: Path, measure: str, message: str) -> None:
    text = f"instrument: test\ncitations: [Test 1]\nmeasures:\n  - {measure}\n"
    with pytest.raises(PackError, match=message):
        load_pack(pack_dir(tmp_path, text))


def test_a_line_of_zero_duty_lines_compares_its_declared_duty_in_the_minor_unit(packs) -> None:
    """Only an exclusion's 0% line (9903.01.29, column 2 country): the total is 0.00, as before taxes existed."""
    checker = Checker(packs, dt.date(2026, 11, 25))
    [r] = checker.check(
        [{"hts_code": "8479.89.95", "origin": "RU", "value": "1000", "entry_date": "2025-06-01", "declared_duty": "10"}]
    )
    assert [(d.heading, str(d.amount)) for d in r.duties] == [("9903.01.29", "0.00")] and str(r.total_duty) == "0.00"
    declared = [x.message for x in r.reasons if x.rule == "declared.duty"]
    assert len(declared) == 1
    assert declared[0].startswith("over-declared: refund of 10.00 USD (declared 10.00, computed 0.00)")
