"""The pipeline with HTSUS reference data: missing MFN rates are filled from the edition in force, and a
10-digit code that does not exist is refused. Reads the official export from ../shared (skips without it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clearance.engine import Checker
from clearance.engine.reference import HtsReference, import_edition

from ..conftest import SHARED, TODAY

EXPORT = SHARED / "data" / "hts" / "hts_2026_basic_edition_csv.csv"
pytestmark = pytest.mark.skipif(not EXPORT.exists(), reason=f"HTSUS export not found at {EXPORT}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> HtsReference:
    db = Path(tmp_path_factory.mktemp("hts")) / "hts.db"
    import_edition(db, EXPORT, "2026", dt.date(2026, 1, 1))
    return HtsReference(db)


def check(packs, reference, **cols: str):
    line = {"hts_code": "8703.23.01", "origin": "JP", "value": "30000", "entry_date": "2026-03-02", **cols}
    return next(iter(Checker(packs, TODAY, references={"htsus": reference}).check([line])))


def test_missing_mfn_rate_is_filled_from_the_edition(packs, reference) -> None:
    with_rate = check(packs, reference, mfn_rate="2.5%")
    without = check(packs, reference)
    assert without.total_duty == with_rate.total_duty
    assert without.duties == with_rate.duties
    assert any(r.rule == "hts.mfn-filled" for r in without.reasons)


def test_a_declared_rate_that_differs_is_review(packs, reference) -> None:
    result = check(packs, reference, mfn_rate="3%")
    assert result.verdict == "review"
    assert any(r.rule == "hts.mfn-differs" for r in result.reasons)


def test_an_unknown_ten_digit_code_is_rejected_with_hints(packs, reference) -> None:
    result = check(packs, reference, hts_code="8703.23.01.99", mfn_rate="2.5%")
    assert result.verdict == "reject"
    error = next(r for r in result.reasons if r.rule == "hts.unknown-code")
    assert "8703.23.01" in error.message


def test_a_line_before_any_edition_keeps_its_own_rate(packs, reference) -> None:
    result = check(packs, reference, mfn_rate="2.5%", entry_date="2025-06-01")
    assert result.verdict == "accept" and result.total_duty == 8250


def test_check_uses_the_editions_imported_into_its_database(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from clearance.cli.main import cli

    db = tmp_path / "clearance.db"
    import_edition(db, EXPORT, "2026", dt.date(2026, 1, 1))
    entries = tmp_path / "e.csv"
    entries.write_text(
        "hts_code,origin,value,entry_date\n8703.23.01,JP,30000,2026-03-02\n8703.23.01.99,JP,1,2026-03-02\n"
    )
    result = CliRunner().invoke(cli, ["check", str(entries), "--db", str(db), "--format", "jsonl", "--workers", "2"])
    car, unknown = (json.loads(line) for line in result.stdout.splitlines())
    assert {r["rule"] for r in car["reasons"]} >= {"hts.mfn-filled"}
    assert car["duties"][0] == {
        "measure": "us.column-1.general",
        "heading": "8703.23.01",
        "rate": "2.5%",
        "basis": "value",
        "basis_value": "30000",
        "amount": "750.00",
    }
    assert unknown["verdict"] == "reject" and any(r["rule"] == "hts.unknown-code" for r in unknown["reasons"])
