"""The HTS reference on the two official USITC exports (../shared/data/hts): import, hierarchy and inherited
rates, lookups, nearest codes, special rates, `reference_check`, the lint helper, the CLI, and the US sample
entries checked without their `mfn_rate` column. Skipped, saying so, where the shared folder is absent."""

from __future__ import annotations

import csv
import datetime as dt
import json
import pickle
import random
import shutil
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.entries.line import Line, parse_line
from clearance.engine.reference import (
    HtsError,
    HtsReference,
    covering_measures,
    import_edition,
    reference_check,
)
from clearance.engine.run.check import Checker

from ..conftest import ROOT, SHARED

HTS_DIR = SHARED / "data" / "hts"
EXPORT = {year: HTS_DIR / f"hts_{year}_basic_edition_csv.csv" for year in ("2025", "2026")}
pytestmark = pytest.mark.skipif(
    not all(p.is_file() for p in EXPORT.values()),
    reason=f"the official HTSUS exports are not in {HTS_DIR} (shared test data absent)",
)
D2025 = dt.date(2025, 9, 20)
D2026 = dt.date(2026, 3, 1)


@pytest.fixture(scope="session")
def hts_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both editions, each imported once per session: 2025 from 2025-01-01, 2026 from 2026-01-01."""
    db = tmp_path_factory.mktemp("hts") / "clearance.db"
    for year in EXPORT:
        report = import_edition(db, EXPORT[year], year, dt.date(int(year), 1, 1))
        print(f"\nimported HTSUS {year}: {report.lines} lines in {report.seconds:.2f} s")
    return db


@pytest.fixture(scope="session")
def ref(hts_db: Path) -> HtsReference:
    return HtsReference(hts_db)


def line(**columns: str) -> Line:
    raw = {"origin": "JP", "value": "10000", "entry_date": D2026.isoformat(), **columns}
    parsed = parse_line(1, raw)
    assert isinstance(parsed, Line), parsed
    return parsed


def rules(reasons: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {r.rule: r.severity for r in reasons}


# --- import ------------------------------------------------------------------------------------------------


def test_import_keeps_every_row_and_the_file_hash(hts_db: Path) -> None:
    conn = sqlite3.connect(hts_db)
    for year, path in EXPORT.items():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            expected = sum(1 for _ in csv.DictReader(fh))
        count = conn.execute("SELECT count(*) FROM hts_lines WHERE edition = ?", (year,)).fetchone()[0]
        lines, sha = conn.execute("SELECT lines, sha256 FROM hts_editions WHERE name = ?", (year,)).fetchone()
        assert count == lines == expected
        assert len(sha) == 64
    units = conn.execute("SELECT units FROM hts_lines WHERE edition = '2026' AND code = '0102292011'").fetchone()[0]
    assert json.loads(units) == ["No.", "kg"]
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(hts_lines)")}
    assert any("edition" in name and "code" in name for name in indexes)


def test_import_is_one_transaction_and_replaces_an_edition(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    head = EXPORT["2026"].read_text(encoding="utf-8-sig").splitlines(keepends=True)
    good = tmp_path / "head.csv"
    good.write_text("".join(head[:301]), encoding="utf-8")
    assert import_edition(db, good, "2026", dt.date(2026, 1, 1)).lines == 300
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(head[:201]) + '"0101.XX","1","broken","","","","","",""\n', encoding="utf-8")
    with pytest.raises(HtsError, match="row 202"):
        import_edition(db, bad, "2026", dt.date(2026, 1, 1))
    assert import_edition(db, good, "2026", dt.date(2026, 1, 1)).lines == 300  # replaced, not added
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM hts_lines").fetchone()[0] == 300
    with pytest.raises(HtsError, match="already in force from 2026-01-01"):
        import_edition(db, good, "other", dt.date(2026, 1, 1))
    with pytest.raises(HtsError, match="not an HTSUS export"):
        import_edition(db, ROOT / "examples" / "entries.csv", "x", dt.date(2027, 1, 1))


def test_reference_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(HtsError, match="no such HTS database"):
        HtsReference(tmp_path / "missing.db")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(HtsError, match="not an HTS database"):
        HtsReference(empty)


# --- how the export carries rates (the facts HtsReference.lookup relies on) ------------------------------


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_rates_live_on_the_8_digit_line_and_statistical_lines_are_below_it(ref: HtsReference, year: str) -> None:
    edition = ref.edition(year)
    assert edition is not None
    index = ref._index(edition)
    assert not [r.code for r in index.rows if len(r.code) < 8 and (r.general or r.special or r.column2)]
    orphans = []
    for row in index.rows:
        if len(row.code) == 10 and not row.general:
            codes = []
            parent = row.parent
            while parent is not None:
                codes.append(index.rows[parent].code)
                parent = index.rows[parent].parent
            if row.code[:8] not in codes:
                orphans.append(row.code)
    assert orphans == ["9802009100"]  # a special-only line of Chapter 98 with no 8-digit line above it


# --- editions, lookups, nearest codes ----------------------------------------------------------------------


def test_edition_in_force_by_entry_date(ref: HtsReference) -> None:
    assert ref.edition_for(dt.date(2024, 12, 31)) is None
    assert ref.edition_for(dt.date(2025, 1, 1)).name == "2025"  # type: ignore[union-attr]
    assert ref.edition_for(dt.date(2025, 12, 31)).name == "2025"  # type: ignore[union-attr]
    assert ref.edition_for(dt.date(2026, 1, 1)).name == "2026"  # type: ignore[union-attr]
    copy = pickle.loads(pickle.dumps(ref))  # worker processes get their own copy
    assert copy.lookup("8703230140", D2026).general == "2.5%"


def test_lookup_8_and_10_digits_with_inheritance(ref: HtsReference) -> None:
    sub = ref.lookup("8703.23.01", D2026)
    stat = ref.lookup("8703230140", D2026)
    assert sub is not None and stat is not None
    assert (sub.general, sub.column2) == (stat.general, stat.column2) == ("2.5%", "10%")
    assert stat.general_from == "87032301" and stat.units == ("No.",)
    assert stat.special == sub.special and "B" in stat.programs()
    asses = ref.lookup("0101.30.00", D2026)  # no 8-digit row: the subheading is its single 10-digit line
    assert asses is not None and asses.code == "0101300000" and asses.general == "6.8%"
    flash = ref.lookup("9006.59.15.20", D2026)  # its own Column 2 rate, the General rate inherited
    assert flash is not None and (flash.general, flash.column2, flash.general_from) == ("Free", "20%", "90065915")
    veal = ref.lookup("0201.30.50", D2025)
    assert veal is not None and veal.general == "4.4¢/kg" and veal.units == ("kg",)
    parents = [r.code for r in ref.ancestors(stat)]
    assert parents[0] == "8703" and "87032301" in parents


def test_exists_and_nearest(ref: HtsReference) -> None:
    assert ref.exists("8703.23.01.40", D2026) and ref.exists("8703.23.01", D2026)
    assert ref.exists("0101.30.00", D2026)
    assert not ref.exists("8703.23.01.99", D2026)
    assert not ref.exists("8703.23.01.00", D2026)  # a subdivided subheading has no .00 line
    assert not ref.exists("8479.89.94", D2026)
    assert not ref.exists("8703.23.01.40", dt.date(2024, 6, 1))  # no edition in force
    assert ref.nearest("8703.23.01.99", D2026) == ["8703230190"]
    assert ref.nearest("8479.89.94", D2026) == ["84798992", "84798995"]
    near = ref.nearest("8479.89.94.99", D2026)
    assert len(near) == 3 and all(c.startswith("84798995") for c in near)


def test_special_rates_jp_and_civil_aircraft(ref: HtsReference) -> None:
    orchids = ref.lookup("0603.13.00.50", D2026)
    assert orchids is not None and orchids.general == "6.4%"
    assert ref.special_rate(orchids, {"JP"}) == ("JP", "3.2%")
    assert ref.special_rate(orchids, {"KR", "JP"}) == ("JP", "3.2%")
    machine = ref.lookup("8479.89.65.00", D2026)
    assert machine is not None and ref.special_rate(machine, {"C"}) == ("C", "Free")
    assert ref.special_rate(machine, {"ZZ"}) is None
    palms = ref.lookup("0602.90.30.10", D2026)  # listed as A*: a claim of A finds it
    assert palms is not None and ref.special_rate(palms, {"A"}) == ("A*", "Free")


def test_lookup_throughput(ref: HtsReference) -> None:
    index = ref._index(ref.edition("2026"))  # type: ignore[arg-type]
    codes = [r.code for r in index.rows if len(r.code) in (8, 10)]
    rng = random.Random(7)
    sample = [rng.choice(codes) for _ in range(20000)] + [c[:8] + "99" for c in rng.sample(codes, 5000)]
    started = time.perf_counter()
    found = sum(ref.lookup(c, D2026) is not None for c in sample)
    rate = len(sample) / (time.perf_counter() - started)
    checks = [line(hts_code=c) for c in rng.sample([c for c in codes if len(c) == 10], 2000)]
    started = time.perf_counter()
    for item in checks:
        reference_check(item, ref)
    check_rate = len(checks) / (time.perf_counter() - started)
    print(f"\nlookups: {rate:,.0f}/s ({found} of {len(sample)} found); reference_check: {check_rate:,.0f} lines/s")
    assert found >= 20000 and rate > 5000 and check_rate > 1000


# --- reference_check ---------------------------------------------------------------------------------------


def test_missing_mfn_rate_is_filled_from_the_8_digit_line(ref: HtsReference) -> None:
    mfn, reasons = reference_check(line(hts_code="8703.23.01.40"), ref)
    assert mfn == "2.5%" and rules(reasons) == {"hts.mfn-filled": "info"}
    assert "8703.23.01" in reasons[0].message and "statistical line 8703.23.01.40 inherits" in reasons[0].message
    assert "2026" in reasons[0].citation


def test_declared_rate_equal_or_different(ref: HtsReference) -> None:
    assert reference_check(line(hts_code="8703.23.01", mfn_rate="2.50%"), ref) == ("2.50%", [])
    mfn, reasons = reference_check(line(hts_code="8703.23.01", mfn_rate="3%"), ref)
    assert mfn == "3%" and rules(reasons) == {"hts.mfn-differs": "warning"}
    assert "3%" in reasons[0].message and "2.5%" in reasons[0].message


def test_unknown_codes(ref: HtsReference) -> None:
    mfn, reasons = reference_check(line(hts_code="8703.23.01.99"), ref)
    assert mfn is None and rules(reasons) == {"hts.unknown-code": "error"}
    assert "unknown HTS code 8703.23.01.99" in reasons[0].message and "8703.23.01.90" in reasons[0].message
    mfn, reasons = reference_check(line(hts_code="8479.89.94", mfn_rate="2.5%"), ref)
    assert mfn == "2.5%" and rules(reasons) == {"hts.unknown-subheading": "warning"}
    assert "8479.89.92, 8479.89.95" in reasons[0].message


def test_preferences(ref: HtsReference) -> None:
    mfn, reasons = reference_check(line(hts_code="0603.13.00.50", spi="JP"), ref)
    assert mfn == "3.2%" and rules(reasons) == {"hts.preference": "info", "hts.mfn-filled": "info"}
    assert "6.4%" in reasons[0].message and "3.2%" in reasons[0].message
    mfn, reasons = reference_check(line(hts_code="8479.89.65.00", spi="C"), ref)
    assert mfn == "Free" and "hts.preference" in rules(reasons)
    mfn, reasons = reference_check(line(hts_code="8479.89.65.00", spi="C", mfn_rate="2.8%"), ref)
    assert mfn == "2.8%" and rules(reasons) == {"hts.preference": "info", "hts.mfn-differs": "warning"}
    mfn, reasons = reference_check(line(hts_code="8703.23.01.40", spi="JP"), ref)
    assert mfn == "2.5%" and rules(reasons) == {"hts.preference-not-listed": "info", "hts.mfn-filled": "info"}
    mfn, reasons = reference_check(line(hts_code="8703.23.01.40", spi="C", mfn_rate="2.5%"), ref)
    assert mfn == "2.5%" and rules(reasons) == {"hts.preference-not-listed": "info"}
    assert reference_check(line(hts_code="7208.10.15", spi="C"), ref)[1][0].rule == "hts.mfn-filled"  # Free
    mfn, reasons = reference_check(line(hts_code="0602.90.30.10", spi="A"), ref)
    assert mfn == "Free" and rules(reasons)["hts.preference-restricted"] == "warning"
    mfn, reasons = reference_check(line(hts_code="0201.30.80.90", spi="AU", entry_date="2025-09-20"), ref)
    assert mfn is None and rules(reasons) == {"hts.preference-text": "warning", "hts.mfn-unavailable": "warning"}


def test_text_only_general_rate_needs_a_declared_rate(ref: HtsReference) -> None:
    mfn, reasons = reference_check(line(hts_code="6103.22.00"), ref)
    assert mfn is None and rules(reasons) == {"hts.mfn-unavailable": "warning"}
    assert "ensemble" in reasons[0].message
    assert reference_check(line(hts_code="6103.22.00", mfn_rate="10%"), ref) == ("10%", [])


def test_no_edition_in_force(ref: HtsReference) -> None:
    assert reference_check(line(hts_code="8703.23.01", entry_date="2024-06-01", mfn_rate="2.5%"), ref) == (
        "2.5%",
        [],
    )
    mfn, reasons = reference_check(line(hts_code="8703.23.01", entry_date="2024-06-01"), ref)
    assert mfn is None and rules(reasons) == {"hts.no-edition": "info"}


# --- through the pipeline ----------------------------------------------------------------------------------


def check_records(records: list[dict], ref: HtsReference | None, packs: dict) -> list:  # type: ignore[type-arg]
    """The integration the lead wires into the pipeline, done here on the input records: each parsed line's
    mfn_rate comes from reference_check, then the unchanged Checker runs."""
    filled, extra = [], []
    for row, raw in enumerate(records, 1):
        parsed = parse_line(row, raw)
        reasons: list = []  # type: ignore[type-arg]
        if ref is not None and isinstance(parsed, Line):
            mfn, reasons = reference_check(parsed, ref)
            raw = {**raw, "mfn_rate": mfn or ""}
        filled.append(raw)
        extra.append(reasons)
    results = list(Checker(packs, dt.date(2026, 11, 25)).check(filled))
    return list(zip(results, extra, strict=True))


def duties(result) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return {d.heading: d.amount for d in result.duties}


def sample_records() -> list[dict]:  # type: ignore[type-arg]
    with (ROOT / "examples" / "entries.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_specific_rate_filled_and_computed(ref: HtsReference, packs: dict) -> None:  # type: ignore[type-arg]
    base = {"hts_code": "0201.30.50.15", "origin": "JP", "value": "10000", "entry_date": "2025-09-20"}
    [(with_qty, reasons)] = check_records([{**base, "quantity": "1000", "unit": "kg"}], ref, packs)
    assert rules(reasons) == {"hts.mfn-filled": "info"}
    assert duties(with_qty)["0201.30.50.15"] == Decimal("44.00")  # 4.4¢/kg x 1,000 kg
    [(without, _)] = check_records([base], ref, packs)
    assert without.verdict == "review"
    assert any("kg" in r.message for r in without.reasons if r.severity == "warning")


def test_sample_entries_give_the_same_duties_without_mfn_rate(tmp_path: Path, packs: dict) -> None:  # type: ignore[type-arg]
    """The done criterion: the US lines of examples/entries.csv (real HTSUS codes) drop their mfn_rate column
    and give the same duties through the pipeline with the 2026 edition loaded. The sample's dates are in 2025,
    so the edition is loaded as in force from 2025-01-01."""
    db = tmp_path / "only-2026.db"
    import_edition(db, EXPORT["2026"], "2026", dt.date(2025, 1, 1))
    reference = {"htsus": HtsReference(db)}
    records = [r for r in sample_records() if r["destination"] == "US"]
    dropped = [{k: v for k, v in r.items() if k != "mfn_rate"} for r in records]
    before = list(Checker(packs, dt.date(2026, 11, 25)).check(records))
    after = list(Checker(packs, dt.date(2026, 11, 25), references=reference).check(dropped))
    assert len(before) == len(after) >= 9
    for b, a in zip(before, after, strict=True):
        assert (a.verdict, a.total_duty, duties(a)) == (b.verdict, b.total_duty, duties(b))
        if b.verdict not in ("reject", "invalid"):
            assert {r.rule for r in a.reasons if r.rule.startswith("hts.")} == {"hts.mfn-filled"}


# --- rule packs: lint helper and covering measures ---------------------------------------------------------


def test_covering_measures(packs: dict) -> None:  # type: ignore[type-arg]
    us = packs["US"]
    car = {m.id for m in covering_measures(us, "8703.23.01.40", dt.date(2025, 10, 1))}
    assert {"us.column-1.general", "us.232.autos.vehicles"} <= car
    steel = {m.id for m in covering_measures(us, "7208.10.15", dt.date(2025, 10, 1))}
    assert "us.232.autos.vehicles" not in steel and "us.column-1.general" in steel


# --- CLI ---------------------------------------------------------------------------------------------------


def test_cli_import_editions_and_show(tmp_path: Path, hts_db: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "cli.db"
    out = runner.invoke(
        cli, ["hts", "import", str(EXPORT["2026"]), "--edition", "2026", "--effective", "2026-01-01", "--db", str(db)]
    )
    assert out.exit_code == 0, out.output
    assert "imported 35571 lines" in out.output and "in force from 2026-01-01" in out.output
    out = runner.invoke(cli, ["hts", "editions", "--db", str(db)])
    assert out.exit_code == 0 and out.output.startswith("2026\tfrom 2026-01-01")
    out = runner.invoke(cli, ["hts", "editions", "--db", str(db), "--format", "json", "-o", str(tmp_path / "e.json")])
    assert out.exit_code == 0 and out.output == ""
    (edition,) = json.loads((tmp_path / "e.json").read_text())
    assert edition["name"] == "2026" and edition["effective"] == "2026-01-01" and edition["lines"] == 35571
    out = runner.invoke(cli, ["hts", "show", "8703.23.01.40", "--law-as-of", "2026-03-01", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "general: 2.5% (from 8703.23.01)" in out.output and "measures covering it on 2026-03-01" in out.output
    old = runner.invoke(cli, ["hts", "show", "8703.23.01.40", "--date", "2026-03-01", "--db", str(db)])
    assert old.output == out.output  # --date: the old name of --law-as-of, still taken
    out = runner.invoke(
        cli, ["hts", "show", "87032301", "--date", "2025-10-01", "--db", str(hts_db), "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    record = json.loads(out.output)
    assert record["edition"]["name"] == "2025" and record["rates"]["general"] == "2.5%"
    assert record["parents"][0]["code"] == "8703"
    assert "us.232.autos.vehicles" in {m["id"] for m in record["measures"]}


def test_cli_errors_are_one_line(tmp_path: Path, hts_db: Path) -> None:
    runner = CliRunner()
    copy = tmp_path / "copy.db"
    shutil.copy(hts_db, copy)
    out = runner.invoke(cli, ["hts", "show", "8703.23.01.99", "--date", "2026-03-01", "--db", str(copy)])
    assert out.exit_code == 2 and "nearest: 8703.23.01.90" in out.output
    out = runner.invoke(cli, ["hts", "show", "8703.23.01", "--date", "2024-01-01", "--db", str(copy)])
    assert out.exit_code == 2 and "no HTS edition in force on 2024-01-01" in out.output
    out = runner.invoke(cli, ["hts", "show", "8703.23.01", "--db", str(tmp_path / "none.db")])
    assert out.exit_code == 2 and "no such HTS database" in out.output
    out = runner.invoke(cli, ["hts", "show", "8703.23.01", "--db", str(copy), "--rules", str(tmp_path / "no-rules")])
    assert out.exit_code == 2 and "general: 2.5%" in out.output and "measures not listed" in out.output
    missing = tmp_path / "missing.csv"
    args = ["hts", "import", str(missing), "--edition", "x", "--db", str(copy)]
    out = runner.invoke(cli, [*args, "--effective", "2026-06-01"])
    assert out.exit_code == 2 and "cannot read" in out.output
    out = runner.invoke(cli, [*args, "--effective", "2026-13-01"])
    assert out.exit_code == 2 and "not a date" in out.output
