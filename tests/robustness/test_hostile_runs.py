"""The second round of faults around runs (#14): stream inputs read once, a file rewritten while it is read, a
database stamped with this schema version that holds other tables, `--resume` by another spelling of the
path, and a `--resume` racing the live run. Each test failed before its fix."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.entries.readers import InputFileError
from clearance.engine.run.batch import Batch, Settings
from clearance.engine.run.store import SCHEMA_VERSION, Store

from .test_hostile import FEATURES, GOOD, HEADER, one_line_error

LAW = "2026-01-01"


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def entries(where: Path, lines: int, name: str = "e.csv") -> Path:
    path = where / name
    path.write_text("\n".join([HEADER, *(GOOD.format(n=n) for n in range(lines))]) + "\n")
    return path


def clearance(*args: object, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "clearance.cli.main", *map(str, args)]
    return subprocess.run(cmd, input=stdin, capture_output=True, cwd=cwd, timeout=120)


CHECK = ("check", "--rules", FEATURES, "--law-as-of", LAW, "--workers", 1, "--format", "jsonl", "-q")


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_a_stream_input_is_read_once_and_recorded_by_what_was_read(tmp_path: Path, name: str) -> None:
    data = entries(tmp_path, 5).read_bytes()
    result = clearance(*CHECK, "--db", "runs.db", name, stdin=data, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 5
    with sqlite3.connect(tmp_path / "runs.db") as db:
        assert db.execute("SELECT sha256, bytes FROM run_files").fetchone() == (
            hashlib.sha256(data).hexdigest(),
            len(data),
        )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_input_is_read_once(tmp_path: Path) -> None:
    data = entries(tmp_path, 4).read_bytes()
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = clearance(*CHECK, "--no-db", fifo, cwd=tmp_path)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 4, result.stderr


def test_a_file_rewritten_while_it_is_read_is_never_a_finished_run(tmp_path: Path) -> None:
    path = entries(tmp_path, 30_000)  # far more than the readers' buffers hold
    settings = Settings(rules=FEATURES, chunk_size=100)
    batch = Batch([str(path)], settings, tmp_path / "runs.db")
    results = batch.results()
    next(results)
    path.write_text(path.read_text().replace(",JP,", ",DE,"))  # rewritten in place, as an editor or a sync would
    with pytest.raises(InputFileError, match="changed while it was being checked"):
        list(results)
    run = Store(tmp_path / "runs.db").run(batch.run_id)  # type: ignore[arg-type]
    assert run["finished"] is None and run["status"] == "failed"


def stamped(path: Path, tables: str) -> Path:
    """A database stamped with the schema version this clearance writes, holding other tables (or none)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE clearance_meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO clearance_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        if tables == "foreign":
            db.execute("CREATE TABLE runs (x TEXT)")
            db.execute("CREATE TABLE results (y TEXT)")
    return path


@pytest.mark.parametrize("tables", ["foreign", "missing"])
def test_a_database_stamped_with_this_schema_but_other_tables_is_refused(tmp_path: Path, tables: str) -> None:
    db = stamped(tmp_path / "foreign.db", tables)
    path = entries(tmp_path, 2)
    commands = [("check", path, "--rules", FEATURES, "--db", db), ("runs", "--db", db), ("runs", "show", 1, "--db", db)]
    for args in commands:
        one_line_error(CliRunner().invoke(cli, [str(a) for a in args]), "not a clearance run database")
    with sqlite3.connect(db) as conn:  # never "repaired" into a malformed one
        found = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert found == ({"clearance_meta", "runs", "results"} if tables == "foreign" else {"clearance_meta"})


def unfinished(tmp_path: Path, given: str, lines: int = 500) -> Batch:
    """A run over `given` stopped after its first chunk (as Ctrl-C leaves it)."""
    batch = Batch([given], Settings(rules=FEATURES, chunk_size=100), tmp_path / "runs.db")
    results = batch.results()
    next(results)
    results.close()
    return batch


@pytest.mark.parametrize("spelling", ["./e.csv", "e.csv", "{tmp}/e.csv", "sub/../e.csv"])
def test_resume_finds_the_run_by_the_file_not_by_the_spelling_of_its_path(tmp_path: Path, spelling: str) -> None:
    entries(tmp_path, 500)
    (tmp_path / "sub").mkdir()
    batch = unfinished(tmp_path, "e.csv" if spelling != "e.csv" else "./e.csv")
    given = spelling.format(tmp=tmp_path)
    args = ["check", given, "--rules", str(FEATURES), "--db", "runs.db", "--resume", "--format", "none", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, (result.stderr, result.exception)
    with sqlite3.connect(tmp_path / "runs.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT row) FROM results").fetchone() == (500, 500)
        assert db.execute("SELECT status FROM runs WHERE id = ?", [batch.run_id]).fetchone() == ("finished",)


def test_a_resume_racing_the_live_run_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    entries(tmp_path, 500)
    batch = unfinished(tmp_path, "e.csv")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # clearance check e.csv"])
    try:
        with sqlite3.connect(tmp_path / "runs.db") as db:
            db.execute("UPDATE runs SET status = 'running', pid = ? WHERE id = ?", [live.pid, batch.run_id])
        args = ["check", "e.csv", "--rules", str(FEATURES), "--db", "runs.db", "--resume", "--format", "none"]
        result = CliRunner().invoke(cli, args)
        one_line_error(result, "still being checked")
    finally:
        live.kill()
        live.wait()
    run = Store(tmp_path / "runs.db").run(batch.run_id)  # type: ignore[arg-type]
    assert (run["status"], run["finished"], run["lines"]) == ("running", None, 100)


def test_a_finished_run_stays_finished(tmp_path: Path) -> None:
    entries(tmp_path, 5)
    batch = Batch(["e.csv"], Settings(rules=FEATURES), tmp_path / "runs.db")
    list(batch.results())
    store = Store(tmp_path / "runs.db")
    store.finish(batch.run_id, "failed")  # type: ignore[arg-type]
    assert store.run(batch.run_id)["status"] == "finished"  # type: ignore[arg-type]
