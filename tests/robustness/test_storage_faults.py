"""The run database under faults: a full disk, a read-only or unusable database, runs writing one database
at once, a run killed (SIGKILL) more than once, a crash while the database is created, and a durable-rules
error on one line. Each is a one-line error (exit 2) or a database that still holds whole chunks, matching
totals and no unfinished run counted as finished.

tests/cli/test_runs.py already kills one run with two workers and resumes it; tests/run/test_store.py holds
the all-or-nothing chunk write. How faults are made without root tricks:
- full disk, in process: `PRAGMA max_page_count` on the store's own connection (SQLITE_FULL);
- full disk, for real: a child process with RLIMIT_FSIZE (writes past it fail with EFBIG, SIGXFSZ ignored);
- read-only: root bypasses chmod (os.access says writable), so the file is opened as SQLite opens a file it
  cannot write: `mode=ro` (SQLITE_OPEN_READONLY);
- cannot create: a path under /proc, which no one (root included) can create files in."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner, Result

from clearance.cli.main import cli
from clearance.engine.match import matcher as match_module
from clearance.engine.run import store as store_module
from clearance.engine.run.store import Store, StoreError

from ..helpers import write_entries

LAW = "2026-11-25"
LINUX = sys.platform.startswith("linux")


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_entries(tmp_path_factory.mktemp("entries") / "entries.csv", 3000, seed=11)


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def check(rules: Path, entries: Path, db: Path, *args: object) -> Result:
    return invoke("check", entries, "--rules", rules, "--law-as-of", LAW, "--db", db, "--workers", 1, *args)


def one_line_error(result: Result | subprocess.CompletedProcess, *fragments: str) -> str:
    code = result.exit_code if isinstance(result, Result) else result.returncode
    assert code == 2, (result.stderr, getattr(result, "exception", None))
    lines = result.stderr.split("\n")
    assert len(lines) == 2 and not lines[1] and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def command(rules: Path, entries: Path, db: Path, *args: object) -> list[str]:
    base = ["check", entries, "--rules", rules, "--law-as-of", LAW, "--db", db, "--format", "none", "--quiet"]
    return [sys.executable, "-m", "clearance.cli.main", *map(str, base), "--workers", "1", *map(str, args)]


def consistent(db: Path) -> list[tuple]:
    """The database is sound and every run's totals match its stored lines; returns (id, finished, lines)."""
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    counts = "accept + review + reject + invalid"
    runs = con.execute(f"SELECT id, finished IS NOT NULL, status, lines, {counts} FROM runs").fetchall()
    for run_id, finished, status, lines, counted in runs:
        stored = con.execute(
            "SELECT count(*), count(DISTINCT file_id || ':' || row) FROM lines WHERE run_id = ?", [run_id]
        )
        assert stored.fetchone() == (lines, lines) and counted == lines
        per_file = con.execute("SELECT sum(lines) FROM run_files WHERE run_id = ?", [run_id]).fetchone()[0]
        assert per_file == lines
        assert finished == (status == "finished")
    con.close()
    return [(r[0], bool(r[1]), r[3]) for r in runs]


def input_lines(entries: Path) -> int:
    return len(entries.read_text().splitlines()) - 1


# a database that cannot be used at all ------------------------------------------------------------------------------


@pytest.mark.parametrize("db", ["/proc/clearance-test/runs.db", "/proc/self/runs.db", "/dev/full", "/dev/null"])
@pytest.mark.skipif(not LINUX, reason="Linux /proc and /dev")
def test_a_database_that_cannot_be_created_or_written_is_one_line_error(rules: Path, entries: Path, db: str) -> None:
    one_line_error(check(rules, entries, Path(db), "--format", "none"), db, "cannot use as a run database")


@pytest.mark.parametrize(
    "content", [b"entry_number,hts_code\n", b"\x00" * 4096, b"SQLite format 3\x00" + b"\xff" * 200]
)
def test_a_file_that_is_not_a_run_database_is_one_line_error(
    rules: Path, entries: Path, tmp_path: Path, content: bytes
) -> None:
    db = tmp_path / "runs.db"
    db.write_bytes(content)
    one_line_error(check(rules, entries, db, "--format", "none"), "cannot use as a run database")
    assert db.read_bytes() == content  # left as it was
    one_line_error(invoke("runs", "--db", db), "cannot use as a run database")


def test_a_database_of_an_older_schema_is_one_line_error(rules: Path, entries: Path, tmp_path: Path) -> None:
    """A run database written by a clearance before the normalised store (schema 1) is refused, and left as it was."""
    db = tmp_path / "runs.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE clearance_meta (key TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO clearance_meta VALUES ('schema_version', '1')")
    con.execute("CREATE TABLE results (id INTEGER PRIMARY KEY, run_id INTEGER, reasons TEXT)")
    con.commit()
    con.close()
    before = db.read_bytes()
    one_line_error(check(rules, entries, db, "--format", "none"), "run database schema 1", "schema 6")
    one_line_error(invoke("runs", "--db", db), "run database schema 1")
    one_line_error(invoke("runs", "export", 1, "--db", db), "run database schema 1")
    assert db.read_bytes() == before


# a full disk -------------------------------------------------------------------------------------------------------


class _SmallDisk(sqlite_utils.Database):
    """The store's own connection, limited to a few pages: the database is "full" after a few chunks."""

    def __init__(self, path: str, *args: object, **kw: object) -> None:
        super().__init__(path, *args, **kw)
        self.execute("PRAGMA max_page_count = 60")


def test_a_full_disk_is_one_line_error(
    rules: Path, entries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.sqlite_utils, "Database", _SmallDisk)
    one_line_error(check(rules, entries, tmp_path / "runs.db", "--format", "none", "--chunk-size", 100), "full")


def _file_size_limit(limit: int):  # type: ignore[no-untyped-def]
    def limited() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limited


@pytest.fixture(scope="module")
def disk_full_run(rules: Path, entries: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A run in a child process whose files may not grow past 1 MiB: the disk fills up part-way."""
    db = tmp_path_factory.mktemp("full") / "runs.db"
    proc = subprocess.run(
        command(rules, entries, db, "--chunk-size", 100),
        preexec_fn=_file_size_limit(1 << 20),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return db, proc


@pytest.mark.skipif(not LINUX, reason="RLIMIT_FSIZE and SIGXFSZ")
def test_a_full_disk_mid_run_leaves_whole_chunks_and_the_run_resumes(
    rules: Path, entries: Path, disk_full_run: tuple[Path, subprocess.CompletedProcess]
) -> None:
    db, proc = disk_full_run
    assert proc.returncode != 0
    [(run_id, finished, lines)] = consistent(db)
    assert not finished and 0 < lines < input_lines(entries), (lines, proc.stderr[-300:])
    assert lines % 100 == 0  # whole chunks only
    resumed = check(rules, entries, db, "--resume", "--format", "none")
    assert resumed.exit_code == 1, resumed.stderr  # the file has rejected lines
    assert consistent(db) == [(run_id, True, input_lines(entries))]


@pytest.mark.skipif(not LINUX, reason="RLIMIT_FSIZE and SIGXFSZ")
def test_a_full_disk_mid_run_is_one_line_error(disk_full_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    one_line_error(disk_full_run[1], "runs.db")


# a read-only database ------------------------------------------------------------------------------------------------


class _ReadOnly(sqlite_utils.Database):
    def __init__(self, path: str, *args: object, **kw: object) -> None:
        super().__init__(sqlite3.connect(f"file:{path}?mode=ro", uri=True))


@pytest.fixture
def recorded(rules: Path, entries: Path, tmp_path: Path) -> Path:
    db = tmp_path / "runs.db"
    assert check(rules, entries, db, "--format", "none").exit_code == 1
    return db


def _read_only(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db.chmod(0o444)
    if os.access(db, os.W_OK):  # root: chmod does not stop the writes
        monkeypatch.setattr(store_module.sqlite_utils, "Database", _ReadOnly)


def test_a_read_only_database_is_one_line_error(
    rules: Path, entries: Path, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _read_only(recorded, monkeypatch)
    one_line_error(check(rules, entries, recorded, "--format", "none"), "runs.db")


def test_a_read_only_database_can_still_be_read(recorded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _read_only(recorded, monkeypatch)
    assert "finished" in invoke("runs", "--db", recorded).stdout
    assert invoke("runs", "show", 1, "--db", recorded).exit_code == 0
    exported = invoke("runs", "export", 1, "--db", recorded)
    assert exported.exit_code == 0 and len(exported.stdout.splitlines()) == 3000


# runs writing one database at once ---------------------------------------------------------------------------------


def test_two_runs_writing_one_database_at_once(rules: Path, entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    Store(db).close()  # an existing database (a fresh one: see the xfail below)
    procs = [
        subprocess.Popen(command(rules, entries, db, "--chunk-size", 50), stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    listed = 0
    while any(p.poll() is None for p in procs):
        listing = invoke("runs", "--db", db)  # reading while both write
        assert listing.exit_code == 0, listing.stderr
        listed += 1
        time.sleep(0.1)
    for p in procs:
        assert p.wait() == 1, p.stderr.read()  # type: ignore[union-attr]
    assert consistent(db) == [(1, True, 3000), (2, True, 3000)] and listed
    one, two = (invoke("runs", "export", n, "--db", db).stdout for n in (1, 2))
    assert one == two and len(one.splitlines()) == 3000


def _open_at_once(path: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    try:
        Store(path).close()
        results.put("ok")
    except StoreError as exc:
        results.put(str(exc))


@pytest.mark.skipif(not LINUX, reason="fork start method")
def test_runs_creating_one_new_database_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    failures = []
    for trial in range(8):
        path = str(tmp_path / f"new-{trial}.db")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_open_at_once, args=(path, barrier, results)) for _ in range(4)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join()
        failures += [o for o in outcomes if o != "ok"]
    assert not failures, failures[:3]


def test_a_crash_while_the_database_is_created_leaves_it_usable(
    rules: Path, entries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = sqlite_utils.db.Table.create

    def crash_on_runs(self, *args, **kw):  # type: ignore[no-untyped-def]
        if self.name == "runs":
            raise KeyboardInterrupt  # the process dies here (kill -9 leaves the same committed state)
        return real_create(self, *args, **kw)

    monkeypatch.setattr(sqlite_utils.db.Table, "create", crash_on_runs)
    with pytest.raises((KeyboardInterrupt, StoreError)):
        Store(tmp_path / "runs.db")
    monkeypatch.setattr(sqlite_utils.db.Table, "create", real_create)
    result = check(rules, entries, tmp_path / "runs.db", "--format", "none")
    assert result.exit_code == 1, (result.stderr, result.exception)  # clearance_meta says schema 1, no results table
    assert consistent(tmp_path / "runs.db") == [(1, True, 3000)]


# killed, resumed, killed again ---------------------------------------------------------------------------------------


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT lines FROM runs WHERE id = 1").fetchone()[0]
    except (sqlite3.Error, TypeError):
        return 0


def _kill_after(proc: subprocess.Popen, db: Path, lines: int) -> None:
    deadline = time.monotonic() + 60
    while _stored(db) < lines:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.skipif(not LINUX, reason="SIGKILL")
def test_a_run_killed_twice_resumes_to_one_result_per_line(rules: Path, tmp_path: Path) -> None:
    entries = write_entries(tmp_path / "big.csv", 6000, seed=12)
    db = tmp_path / "runs.db"
    for resume, at_least in ((False, 500), (True, 3000)):
        extra = ["--resume"] if resume else []
        proc = subprocess.Popen(command(rules, entries, db, "--chunk-size", 100, *extra), stderr=subprocess.PIPE)
        _kill_after(proc, db, at_least)
        [(run_id, finished, lines)] = consistent(db)
        assert (run_id, finished) == (1, False) and at_least <= lines < 6000
        assert "running*" in invoke("runs", "--db", db).stdout  # never shown as finished
        shown = invoke("runs", "show", 1, "--db", db).stdout
        assert f"{lines:,} lines" in shown
    assert check(rules, entries, db, "--resume", "--format", "none").exit_code == 1
    assert consistent(db) == [(1, True, 6000)]
    whole = tmp_path / "whole.db"
    check(rules, entries, whole, "--format", "none")
    assert invoke("runs", "export", 1, "--db", db).stdout == invoke("runs", "export", 1, "--db", whole).stdout


# durable-rules failing on one line -----------------------------------------------------------------------------------


def test_an_engine_error_on_one_line_is_stored_as_its_invalid_and_the_chunk_is_kept(
    rules: Path, entries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """durable-rules refusing a fact (here every fact of origin JP,
    which the test US pack names, in the batch and one by one) rejects those
    lines only; every other line of their chunks is matched, stored and counted."""
    real_facts, real_fact = match_module._Host.assert_facts, match_module._Host.assert_fact

    def facts(self, name, batch, complete=None):  # type: ignore[no-untyped-def]
        if any(f.get("o") == "JP" for f in batch):
            raise RuntimeError("Could not assert facts, error code: 303")
        return real_facts(self, name, batch, complete)

    def fact(self, name, one, complete=None):  # type: ignore[no-untyped-def]
        if one.get("o") == "JP":
            raise RuntimeError("Could not assert fact, error code: 303")
        return real_fact(self, name, one, complete)

    db = tmp_path / "runs.db"
    good = check(rules, entries, tmp_path / "good.db", "--format", "none")
    monkeypatch.setattr(match_module._Host, "assert_facts", facts)
    monkeypatch.setattr(match_module._Host, "assert_fact", fact)
    broken = check(rules, entries, db, "--format", "jsonl", "--chunk-size", 500)
    assert broken.exit_code == 1 and "Traceback" not in broken.stderr
    out = [json.loads(line) for line in broken.stdout.splitlines()]
    assert len(out) == 3000 and consistent(db) == [(1, True, 3000)]
    readable = [r for r in out if not any(x["rule"] == "input.value" for x in r["reasons"])]
    hit = [r for r in readable if r["origin"] == "JP" and r["destination"] == "US"]
    assert hit and all(r["verdict"] == "invalid" and r["reasons"][0]["rule"] == "input.*" for r in hit)
    assert all("rule engine error on this line" in r["reasons"][0]["message"] for r in hit)
    monkeypatch.undo()
    expected = [
        json.loads(line) for line in invoke("runs", "export", 1, "--db", tmp_path / "good.db").stdout.splitlines()
    ]
    for mine, theirs in zip(out, expected, strict=True):
        if mine not in hit:
            assert {k: v for k, v in mine.items() if k != "file"} == {k: v for k, v in theirs.items() if k != "file"}
    assert good.exit_code == 1


# names printed by `clearance runs` -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command_", [("runs",), ("runs", "show", "1")])
def test_odd_file_names_are_printed_safely_by_runs(rules: Path, tmp_path: Path, command_: tuple[str, ...]) -> None:
    odd = tmp_path / "odd\n\x1b[31mname\r.csv"
    odd.write_text("hts_code,origin,value,entry_date\n8479.89.94,JP,100,2025-06-01\n")
    db = tmp_path / "runs.db"
    check(rules, odd, db, "--format", "none")
    result = CliRunner().invoke(cli, [*command_, "--db", str(db)], color=True)
    assert result.exit_code == 0
    assert not any(ch in result.stdout for ch in "\x1b\r"), repr(result.stdout)
    assert not any(line.startswith("\x1b[31mname") or line.startswith("name") for line in result.stdout.splitlines())
