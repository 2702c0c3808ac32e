"""A run database of schema 3 (one JSON row per line) or 2 is upgraded in place to the normalised store: every run,
file and line is kept, and `runs export` gives the very records it gave before."""

from __future__ import annotations

import datetime as dt
import json
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
    assert store._version() == str(SCHEMA_VERSION) == "6"
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
    assert store._version() == "6" and store.run(1)["invalid"] == 0  # schema 2 counted none apart
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


def as_schema_5(db: Path) -> int:
    """Turn a schema-6 database back into schema 5's layout: each line reason's whole text in its own row, every
    charge line's basis written out."""
    from clearance.engine.run.store_lines import numbers_filled

    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT o.line_id, o.position, o.after, x.severity, x.rule, x.message, o.args, x.citation_id "
        "FROM line_reasons o JOIN reasons x ON x.id = o.reason_id"
    ).fetchall()
    for view in ("results", "line_reasons_all"):
        con.execute(f"DROP VIEW {view}")
    con.execute("DROP TABLE line_reasons")
    con.execute(
        "CREATE TABLE line_reasons (line_id INTEGER NOT NULL REFERENCES lines(id), position INTEGER NOT NULL, "
        "after INTEGER NOT NULL, severity TEXT NOT NULL, rule TEXT NOT NULL, message TEXT NOT NULL, "
        "citation_id INTEGER REFERENCES citations(id), PRIMARY KEY (line_id, position)) WITHOUT ROWID"
    )
    con.executemany(
        "INSERT INTO line_reasons VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(*row[:5], numbers_filled(row[5], row[6]), row[7]) for row in rows],
    )
    con.execute("DROP VIEW duty_lines")
    con.execute("ALTER TABLE line_duties RENAME TO line_duties_5")
    con.execute(
        "CREATE TABLE line_duties (line_id INTEGER NOT NULL REFERENCES lines(id), position INTEGER NOT NULL, "
        "component_id INTEGER NOT NULL REFERENCES duty_components(id), basis_value TEXT NOT NULL, "
        "amount INTEGER NOT NULL, PRIMARY KEY (line_id, position)) WITHOUT ROWID"
    )
    con.execute(
        "INSERT INTO line_duties SELECT d.line_id, d.position, d.component_id, coalesce(d.basis_value, "
        "(SELECT f.basis_value FROM line_duties_5 f WHERE f.line_id = d.line_id AND f.position = 0)), d.amount "
        "FROM line_duties_5 d"
    )
    con.execute("DROP TABLE line_duties_5")
    con.execute("UPDATE clearance_meta SET value = '5' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    return len(rows)


def test_a_schema_5_database_gets_line_reasons_as_templates_with_the_same_records(tmp_path: Path, checked) -> None:  # type: ignore[no-untyped-def]
    db = old_database(tmp_path / "old.db", checked)
    Store(db).db.conn.close()
    assert as_schema_5(db) > 0
    store = Store(db)
    assert store._version() == "6"
    lines = [r for f in checked for r in f]
    assert list(store.records(1)) == lines
    exported = CliRunner().invoke(cli, ["runs", "export", "1", "--db", str(db)])
    assert exported.stdout == "".join(r.record_json() + "\n" for r in lines)
    view = [row["reasons"] for row in store.db.query("SELECT reasons FROM results WHERE run_id = 1 ORDER BY id")]
    assert view == [
        json.dumps([x.model_dump() for x in r.reasons], separators=(",", ":"), ensure_ascii=False) for r in lines
    ]
    assert "message" not in {c.name for c in store.db["line_reasons"].columns}
    assert store.db.execute("SELECT count(*) FROM line_duties WHERE basis_value IS NULL").fetchone()[0] > 0
    duty_lines = "SELECT count(*) FROM duty_lines WHERE run_id = 1 AND basis_value IS NOT NULL"
    assert store.db.execute(duty_lines).fetchone()[0] == sum(len(r.duties) + len(r.taxes) + len(r.fees) for r in lines)
