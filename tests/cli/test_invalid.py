"""The `invalid` verdict: a line that cannot be read is not checked, has no duty (empty, not 0.00), names each
bad column, fails the run (exit 1) and is counted apart; a `--destination` no pack covers is a usage error;
the run store counts invalid lines (and upgrades a schema-2 database in place)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.run.store import SCHEMA_VERSION, Store

from ..conftest import ROOT
from ..run.schema3 import write_schema3

FEATURES = ROOT / "tests" / "fixtures" / "packs" / "features"
HEADER = "entry_number,line_number,hts_code,origin,value,entry_date"
LINES = [
    "E1,1,0101.21.00.00,JP,1000,2025-06-01",  # accept, 100.00
    "E1,2,0101.21.00,XX,lots,2025-02-30",  # invalid: origin, value and entry_date
    "E1,3,0101.21.00.00,JP,1000,2025-06-01",
]


@pytest.fixture
def entries(tmp_path: Path) -> Path:
    path = tmp_path / "entries.csv"
    path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
    return path


def check(*args: object) -> object:
    opts = ["--rules", str(FEATURES), "--law-as-of", "2026-01-01", "--workers", "1"]
    return CliRunner().invoke(cli, ["check", *opts, *map(str, args)])


def test_an_unreadable_line_is_invalid_with_no_duty_and_a_reason_per_column(entries: Path) -> None:
    result = check(entries, "--format", "json", "--no-db")
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert [r["verdict"] for r in records] == ["accept", "invalid", "accept"]
    bad = records[1]
    assert bad["total_duty"] is None and bad["duties"] == [] and bad["currency"] == "USD"
    assert [(x["severity"], x["rule"]) for x in bad["reasons"]] == [
        ("error", "input.origin"),
        ("error", "input.value"),
        ("error", "input.entry_date"),
    ]
    assert (bad["origin"], bad["entry_date"]) == ("XX", "2025-02-30")  # echoed as given
    assert result.stderr.splitlines()[0] == (
        "3 lines: 2 accept, 0 review, 0 reject; 1 invalid (not checked); total duty 200.00 USD"
    )


def test_invalid_duty_is_empty_in_csv_and_table(entries: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(check(entries, "--format", "csv", "--no-db").stdout, newline="")))
    duties = [(r["verdict"], r["total_duty"]) for r in rows]
    assert duties == [("accept", "100.00"), ("invalid", ""), ("accept", "100.00")]
    table = check(entries, "--no-db").stdout.splitlines()
    assert " invalid " in table[2] and "0.00" not in table[2] and "origin: 'XX'" in table[2]


@pytest.mark.parametrize("fail_on", ["reject", "review"])
def test_an_invalid_line_fails_the_run_whatever_fail_on(tmp_path: Path, fail_on: str) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"{HEADER}\n{LINES[1]}\n", encoding="utf-8")
    assert check(path, "--fail-on", fail_on, "--no-db", "-q").exit_code == 1


def test_the_run_store_counts_invalid_lines_apart(entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    assert check(entries, "--format", "none", "--db", db).exit_code == 1
    run = Store(db).run(1)
    assert (run["lines"], run["accept"], run["reject"], run["invalid"]) == (3, 2, 0, 1)
    stored = sqlite3.connect(db).execute("SELECT verdict, total_duty FROM results ORDER BY row").fetchall()
    assert stored == [("accept", "100.00"), ("invalid", None), ("accept", "100.00")]
    shown = CliRunner().invoke(cli, ["runs", "show", "1", "--db", str(db)]).stdout
    assert "3 lines: 2 accept, 0 review, 0 reject; 1 invalid; total duty 200.00 USD" in shown


def test_a_schema_2_run_database_is_upgraded_in_place(entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    write_schema3(db, [], {})
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE runs DROP COLUMN invalid")  # as schema 2 made it
    conn.execute("UPDATE clearance_meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    assert check(entries, "--format", "none", "--db", db).exit_code == 1
    store = Store(db)
    assert store._version() == str(SCHEMA_VERSION) and store.run(1)["invalid"] == 1


@pytest.mark.parametrize("command", ["check", "explain"])
def test_a_destination_no_pack_covers_is_a_usage_error(entries: Path, command: str) -> None:
    args = [command, str(entries), "--rules", str(FEATURES), "--destination", "xx"]
    result = CliRunner().invoke(cli, [*args, "--row", "1"] if command == "explain" else [*args, "--no-db"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == "Error: no rule pack for destination 'XX' (packs: US)"
