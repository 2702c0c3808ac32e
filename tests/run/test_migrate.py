"""A run database of schema 3 (one JSON row per line) or 2 is upgraded in place to the normalised store: every run,
file and line is kept, and `runs export` gives the very records it gave before."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.packs.load import load_rules
from clearance.engine.report.result import Result
from clearance.engine.run.check import Checker, check_files
from clearance.engine.run.store import SCHEMA_VERSION, Store

from ..helpers import write_entries
from .schema3 import write_schema3

UNITS = {"USD": 2, "JPY": 0}


@pytest.fixture(scope="module")
def checked(rules: Path, tmp_path_factory: pytest.TempPathFactory) -> list[list[Result]]:
    """Two files' settled results: accepts, rejects, invalid lines, caps, exclusions, extra columns."""
    folder = tmp_path_factory.mktemp("entries")
    checker = Checker(load_rules(rules), dt.date(2026, 11, 25))
    files = [str(write_entries(folder / f"e{n}.csv", 150, seed=n)) for n in (3, 4)]
    results = list(check_files(files, checker))
    return [[r.model_copy(update={"line": None}) for r in results if r.file == f] for f in files]


def old_database(path: Path, checked: list[list[Result]]) -> Path:
    write_schema3(path, [("2026-12-01T10:01:00+00:00", checked), (None, [checked[0][:40]])], UNITS)
    return path


def test_a_schema_3_database_is_upgraded_and_exports_the_same_records(tmp_path: Path, checked) -> None:  # type: ignore[no-untyped-def]
    lines = [r for f in checked for r in f]
    verdicts = {r.verdict for r in lines}
    assert {"accept", "reject", "invalid"} <= verdicts
    assert any(r.quota for r in lines) and any(r.excluded for r in lines)
    db = old_database(tmp_path / "old.db", checked)
    store = Store(db)
    assert store._version() == str(SCHEMA_VERSION) == "5"
    assert list(store.records(1)) == lines and list(store.records(2)) == checked[0][:40]
    exported = CliRunner().invoke(cli, ["runs", "export", "1", "--db", str(db)])
    assert exported.exit_code == 0 and exported.stdout == "".join(r.record_json() + "\n" for r in lines)
    assert [f["lines"] for f in store.files(1)] == [150, 150] and store.run(2)["finished"] is None
    assert len(list(store.quota_claims(1))) == sum(len(r.quota) for r in lines)
    tables = {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not tables & {"results_3", "duties_3", "run_files_3", "duties"} and "results" in store.db.view_names()
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    shown = CliRunner().invoke(cli, ["runs", "show", "1", "--db", str(db)])
    assert shown.exit_code == 0 and "300 lines" in shown.stdout


def test_a_schema_2_database_is_upgraded_through_3(tmp_path: Path, checked) -> None:  # type: ignore[no-untyped-def]
    db = old_database(tmp_path / "old.db", checked)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE runs DROP COLUMN invalid")  # as schema 2 made it
    con.execute("UPDATE clearance_meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    store = Store(db)
    assert store._version() == "5" and store.run(1)["invalid"] == 0  # schema 2 counted none apart
    assert list(store.records(1)) == [r for f in checked for r in f]


def test_a_failed_upgrade_leaves_the_old_database_as_it_was(
    tmp_path: Path, checked, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from clearance.engine.run import store_migrate

    db = old_database(tmp_path / "old.db", checked)
    before = sqlite3.connect(db).execute("SELECT count(*) FROM results").fetchone()

    def crash(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies half-way (kill -9 leaves the same committed state)

    monkeypatch.setattr(store_migrate, "write_lines", crash)
    with pytest.raises(KeyboardInterrupt):
        Store(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM clearance_meta").fetchone() == ("3",)
    assert con.execute("SELECT count(*) FROM results").fetchone() == before
    monkeypatch.undo()
    assert list(Store(db).records(1)) == [r for f in checked for r in f]
