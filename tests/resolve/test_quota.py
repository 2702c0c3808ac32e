"""Cross-line caps: units of one key add up across the lines and files of a run, per calendar year,
and the lines past the cap get the condition's action. Counted by durable-rules (QuotaLedger)."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from clearance.engine import Checker, load_rules
from clearance.engine.match.matcher import QuotaLedger
from clearance.engine.run import check as check_module
from clearance.engine.run.check import check_files

PACK = {
    "pack.yaml": """
        id: cap-test
        title: cap test pack
        jurisdiction: JP
        currency: JPY
        minor_unit: 0
        documents: {TYPE: type designation, PHP: low-volume procedure, CERT: foreign certification}
        attributes: {vehicle_type: the vehicle type}
    """,
    "vehicles.yaml": """
        instrument: Test Vehicle Act
        citations: ["Test Vehicle Act art. 1"]
        published: 2013-01-01
        measures:
          - id: t.vehicles.certification
            title: Passenger vehicles need certification
            kind: admissibility
            scope: {codes: {prefixes: ["8703"]}}
            dates: {from: 2013-01-01}
            conditions:
              - id: certification
                message: no type designation, no PHP within its cap, no foreign certification
                documents:
                  - TYPE
                  - {document: PHP, cap: {units: 5, per_attribute: vehicle_type}}
                  - {document: CERT, from: 2026-02-16, origins: [US]}
                action: reject
    """,
}


@pytest.fixture()
def packs(tmp_path: Path):
    root = tmp_path / "rules" / "jp"
    root.mkdir(parents=True)
    for name, text in PACK.items():
        (root / name).write_text(textwrap.dedent(text))
    return load_rules(tmp_path / "rules")


def line(qty: int, docs: str = "PHP", vtype: str = "A", date: str = "2026-03-01", origin: str = "US") -> dict:
    return {
        "destination": "JP",
        "hts_code": "870323019",
        "origin": origin,
        "value": "3000000",
        "entry_date": date,
        "quantity": str(qty),
        "documents": docs,
        "attributes": f"vehicle_type={vtype}",
    }


def verdicts(results) -> list[str]:
    return [r.verdict for r in results]


def test_lines_past_the_cap_are_rejected(packs) -> None:
    checker = Checker(packs, dt.date(2026, 11, 25))
    results = list(checker.check([line(2), line(2), line(2), line(1)]))
    assert verdicts(results) == ["accept", "accept", "reject", "accept"]
    over = results[2]
    assert over.quota[0].used_before == 4 and over.quota[0].within is False
    reason = next(r for r in over.reasons if r.rule.endswith(".cap"))
    assert "limited to 5 units per a in 2026" in reason.message and reason.citation == "Test Vehicle Act art. 1"
    assert results[3].quota[0].used_before == 4  # the refused line consumed nothing


def test_cap_is_per_key_and_per_year(packs) -> None:
    checker = Checker(packs, dt.date(2026, 11, 25))
    results = list(checker.check([line(5), line(5, vtype="B"), line(5, date="2025-12-31"), line(1)]))
    assert verdicts(results) == ["accept", "accept", "accept", "reject"]


def test_other_documents_do_not_count_against_the_cap(packs) -> None:
    checker = Checker(packs, dt.date(2026, 11, 25))
    results = list(checker.check([line(5, docs="TYPE;PHP"), line(5, docs="CERT;PHP"), line(5), line(1)]))
    assert [bool(r.quota) for r in results] == [False, False, True, True]
    assert verdicts(results) == ["accept", "accept", "accept", "reject"]
    # CERT counts only from 2026-02-16 and for US-built cars: before that, PHP is what meets the condition
    early = list(Checker(packs, dt.date(2026, 11, 25)).check([line(5, docs="CERT;PHP", date="2026-02-15")]))
    assert early[0].quota and early[0].quota[0].units == 5


def test_cap_adds_up_across_files_and_chunks(packs, tmp_path: Path, monkeypatch) -> None:
    header = "destination,hts_code,origin,value,entry_date,quantity,documents,attributes\n"
    rows = ["JP,870323019,US,3000000,2026-03-01,1,PHP,vehicle_type=A\n" for _ in range(4)]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(header + "".join(rows))
    second.write_text(header + "".join(rows))
    monkeypatch.setattr(check_module, "CHUNK", 3)  # several chunks per file
    results = list(check_files([str(first), str(second)], Checker(packs, dt.date(2026, 11, 25))))
    assert verdicts(results) == ["accept"] * 5 + ["reject"] * 3
    assert [r.file for r in results] == [str(first)] * 4 + [str(second)] * 4


def test_missing_quantity_or_type_is_review(packs) -> None:
    no_type = {**line(1), "attributes": ""}
    no_qty = {**line(1), "quantity": ""}
    results = list(Checker(packs, dt.date(2026, 11, 25)).check([no_type, no_qty]))
    assert verdicts(results) == ["review", "review"]
    assert "vehicle_type" in results[0].reasons[-1].message
    assert "quantity" in results[1].reasons[-1].message


def test_ledger_counts_in_decimal() -> None:
    ledger = QuotaLedger()
    assert ledger.claim("k", Decimal("0.1"), 1) == (0, True)
    used, within = ledger.claim("k", Decimal("0.2"), 1)
    assert str(used) == "0.1" and within
    used, within = ledger.claim("k", Decimal("0.7"), 1)
    assert str(used) == "0.3" and within  # 0.1 + 0.2 + 0.7 == 1 exactly: no float drift
    assert ledger.claim("k", Decimal("0.01"), 1) == (1, False)


def test_quantity_in_another_unit_does_not_count(packs) -> None:
    kg = {**line(1), "unit": "kg"}
    results = list(Checker(packs, dt.date(2026, 11, 25)).check([kg, {**line(1), "unit": "pcs"}]))
    assert verdicts(results) == ["review", "accept"]
    assert "quantity in no" in results[0].reasons[-1].message


def test_shipped_japan_pack_caps_php_across_lines_and_files(tmp_path: Path) -> None:
    """The Road Transport Vehicle Act measure of rules/jp: PHP covers at most 5,000 units of one vehicle type
    a year, across every line and file of a run; the lines past it are rejected."""
    from ..conftest import TODAY

    header = "destination,hts_code,origin,value,entry_date,quantity,unit,mfn_rate,documents,attributes\n"
    row = "JP,870323919,US,3000000,2026-03-{day},{qty},no,Free,JP-PHP,vehicle_type={vtype};purpose=sale\n"
    first, second = tmp_path / "march.csv", tmp_path / "april.csv"
    first.write_text(header + row.format(day="02", qty=3000, vtype="X1") + row.format(day="03", qty=1500, vtype="X1"))
    second.write_text(
        header
        + row.format(day="20", qty=600, vtype="X1")
        + row.format(day="21", qty=500, vtype="X1")
        + row.format(day="22", qty=4000, vtype="X2")
    )
    results = list(check_files([str(first), str(second)], Checker(load_rules(), TODAY)))
    assert verdicts(results) == ["accept", "accept", "reject", "accept", "accept"]
    assert [q.used_before for r in results for q in r.quota] == [0, 3000, 4500, 4500, 0]
    assert any(x.rule.endswith("type-approval.cap") for x in results[2].reasons)
