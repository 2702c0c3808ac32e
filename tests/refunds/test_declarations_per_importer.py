"""CAPE declarations per importer of record: when the entries name their importer, each importer's claims go into
files of their own (at most the limit each, no entry twice), named by the importer, and the summary says whose
each file is; a claim with no importer among named ones is left out (review); without the column, as before."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.cli.main import cli
from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.refunds.declarations import sort_entries
from clearance.engine.refunds.eligibility import decide
from clearance.engine.refunds.entries import Entry

PROGRAMME = load_rules(BUNDLED_RULES)["US"].programmes[0]
AS_OF = dt.date(2026, 12, 3)


def _programme(limit: int):  # type: ignore[no-untyped-def]
    return PROGRAMME.model_copy(update={"declaration": PROGRAMME.declaration.model_copy(update={"max_entries": limit})})


def _entry(k: int, importer: str) -> Entry:
    entry = Entry(f"SYN-{k:07d}-{k % 10}", "USD", f"f:{k}", lines=1, refundable=1)  # type: ignore[arg-type]
    entry.fields = {"entry_type": "01", "reconciliation_indicator": "N", "liquidation_status": "Unliquidated"}
    entry.fields["importer_number"] = importer
    return entry


def _sorted(programme, entries: list[Entry]):  # type: ignore[no-untyped-def]
    return sort_entries(programme, [(e, decide(programme, e, AS_OF)) for e in entries], AS_OF)


def test_claims_split_per_importer_named_by_it() -> None:
    importers = ["00-0000001AA", "11-2222222BB", "00-0000001AA", "00-0000001AA", "11-2222222BB", ""]
    result = _sorted(_programme(2), [_entry(k, i) for k, i in enumerate(importers)])
    files = [(d.name, d.importer, len(d.numbers)) for d in result.declarations]
    assert files == [
        ("cape-declaration-00-0000001AA-1.csv", "00-0000001AA", 2),
        ("cape-declaration-11-2222222BB-1.csv", "11-2222222BB", 2),
        ("cape-declaration-00-0000001AA-2.csv", "00-0000001AA", 1),
    ]
    *_, (_, left_out, target) = result.entries
    assert (left_out.status, left_out.rule, target) == ("review", "no-importer", "")
    assert "give its importer_number" in left_out.message


def test_without_importers_the_files_are_as_before() -> None:
    result = _sorted(_programme(2), [_entry(k, "") for k in range(3)])
    assert [(d.name, d.importer) for d in result.declarations] == [
        ("cape-declaration-1.csv", ""),
        ("cape-declaration-2.csv", ""),
    ]


def test_importers_that_would_write_the_same_file_name_are_told_apart() -> None:
    result = _sorted(_programme(5), [_entry(0, "AB/12"), _entry(1, "AB 12"), _entry(2, "AB/12")])
    assert [(d.name, len(d.numbers)) for d in result.declarations] == [
        ("cape-declaration-AB_12-1.csv", 2),
        ("cape-declaration-AB_12-2-1.csv", 1),
    ]


@settings(max_examples=40, deadline=None)
@given(
    importers=st.lists(st.sampled_from(["00-0000001AA", "11-2222222BB", "22-3333333CC"]), min_size=1, max_size=40),
    limit=st.integers(1, 6),
    repeats=st.lists(st.integers(0, 39), max_size=5),
)
def test_per_importer_files_hold_one_importer_at_most_the_limit_no_entry_twice(
    importers: list[str], limit: int, repeats: list[int]
) -> None:
    entries = [_entry(k, i) for k, i in enumerate(importers)]
    entries += [_entry(k, importers[-1 - k % len(importers)]) for k in repeats if k < len(importers)]
    result = _sorted(_programme(limit), entries)
    declared = [n for d in result.declarations for n in d.numbers]
    assert len(declared) == len(set(declared)) == len(importers)
    for d in result.declarations:
        assert 1 <= len(d.numbers) <= limit and d.importer in d.name
        assert {e.fields["importer_number"] for e, _, f in result.entries if f == d.name} == {d.importer}
    for importer in set(importers):  # every file of an importer but its last is full
        sizes = [len(d.numbers) for d in result.declarations if d.importer == importer]
        assert all(s == limit for s in sizes[:-1])


def test_clearance_refunds_writes_a_declaration_per_importer(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    header = "entry_number,hts_code,origin,value,mfn_rate,entry_date,declared_duty,entry_type,liquidation_status,"
    header += "reconciliation_indicator,importer_number,importer_name"
    line = "8479.89.94,JP,100000,2.5%,2025-09-10,15000,01,Unliquidated,N"
    rows = [
        f"SYN-0000501-1,{line},00-0000001AA,Kanto Machines Inc",
        f"SYN-0000502-9,{line},11-2222222BB,Osaka Tools LLC",
        f"SYN-0000503-7,{line},00-0000001AA,Kanto Machines Inc",
    ]
    path = tmp_path / "entries.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "cape"
    args = ["refunds", str(path), "--as-of", "2026-12-03", "--no-db", "-o", str(out), "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "cape-declaration-00-0000001AA-1.csv (importer of record 00-0000001AA Kanto Machines Inc)" in result.stdout
    files = {f.name: list(csv.reader(f.open(newline=""))) for f in out.glob("cape-declaration-*.csv")}
    assert files == {
        "cape-declaration-00-0000001AA-1.csv": [["Entry Number"], ["SYN00005011"], ["SYN00005037"]],
        "cape-declaration-11-2222222BB-1.csv": [["Entry Number"], ["SYN00005029"]],
    }
    summary = json.loads((out / "refunds-summary.json").read_text())
    whose = [(d["file"], d["importer_number"], d["importer_name"], d["entries"]) for d in summary["declarations"]]
    assert whose == [
        ("cape-declaration-00-0000001AA-1.csv", "00-0000001AA", "Kanto Machines Inc", 2),
        ("cape-declaration-11-2222222BB-1.csv", "11-2222222BB", "Osaka Tools LLC", 1),
    ]
    with (out / "refunds-summary.csv").open(newline="", encoding="utf-8") as fh:
        rows_out = list(csv.DictReader(fh))
    assert [(r["importer_number"], r["importer_name"], r["declaration"]) for r in rows_out][1] == (
        "11-2222222BB",
        "Osaka Tools LLC",
        "cape-declaration-11-2222222BB-1.csv",
    )
