"""`clearance check --db` and `clearance runs`: recording, list, show, export, every input format, and a
run killed mid-way then resumed with `--resume`."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from clearance.cli.main import cli

from ..helpers import write_entries

LAW = "2026-11-25"


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_entries(tmp_path_factory.mktemp("entries") / "entries.csv", 300, seed=3)


@pytest.fixture(autouse=True)
def no_default_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # a default ./clearance.db lands in the test's folder, never the repository


def invoke(*args: object, code: int | None = None) -> object:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if code is not None:
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def check(rules: Path, *args: object, code: int = 1) -> object:
    return invoke("check", "--rules", rules, "--law-as-of", LAW, "--quiet", *args, code=code)


def test_check_records_the_run_and_runs_commands_read_it(rules: Path, entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    jsonl = check(rules, entries, "--db", db, "--format", "jsonl", "--workers", 2, "--chunk-size", 40).stdout
    csv_out = check(rules, entries, "--db", db, "--format", "csv").stdout
    assert len(jsonl.splitlines()) == 300
    assert invoke("runs", "export", 1, "--db", db, code=0).stdout == jsonl
    assert invoke("runs", "export", 2, "--db", db, "--format", "csv", code=0).stdout == csv_out
    listing = invoke("runs", "--db", db, code=0).stdout
    assert listing.count("finished") == 2 and str(entries) in listing
    assert invoke("runs", "list", "--db", db, code=0).stdout == listing
    show = invoke("runs", "show", 1, "--db", db, code=0).stdout
    counts = {v: sum(json.loads(line)["verdict"] == v for line in jsonl.splitlines()) for v in ("accept", "review")}
    assert f"{counts['accept']:,} accept, {counts['review']:,} review" in show
    assert "t.steel" in show and "9903.81.87" in show and "input.value" in show and "t.vehicles.certification" in show
    store = sqlite3.connect(db)
    run = store.execute("SELECT finished, law_as_of, rule_packs, lines FROM runs WHERE id = 1").fetchone()
    assert run[0] and run[1] == LAW and {p["id"] for p in json.loads(run[2])} == {"tus", "tjp"} and run[3] == 300
    digest = store.execute("SELECT sha256 FROM run_files WHERE run_id = 1").fetchone()[0]
    import hashlib

    assert digest == hashlib.sha256(entries.read_bytes()).hexdigest()


def test_format_none_prints_only_the_summary(rules: Path, entries: Path, tmp_path: Path) -> None:
    result = invoke(
        "check", "--rules", rules, "--law-as-of", LAW, entries, "--db", tmp_path / "r.db", "--format", "none"
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("300 lines: ") and "recorded as run 1 in " in result.stderr


def test_default_db_is_in_the_current_folder_and_no_db_records_nothing(rules: Path, entries: Path) -> None:
    check(rules, entries, "--no-db", "--format", "none")
    assert not Path("clearance.db").exists()
    check(rules, entries, "--format", "none")
    assert Path("clearance.db").is_file()
    assert "finished" in invoke("runs", code=0).stdout


def test_every_input_format_gives_the_same_results(rules: Path, entries: Path, tmp_path: Path) -> None:
    lines = entries.read_text().splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    rows = [[f"東京-{n}", *r[1:]] for n, r in enumerate(rows)]  # Japanese entry numbers
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    inputs = {"sjis.csv": text.encode("cp932"), "bom.csv": text.encode("utf-8-sig")}
    inputs["tab.tsv"] = text.replace(",", "\t").encode()
    objects = [dict(zip(header, r, strict=True)) for r in rows]
    inputs["array.json"] = json.dumps(objects, ensure_ascii=False).encode()
    inputs["lines.jsonl"] = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()
    for name, data in inputs.items():
        (tmp_path / name).write_bytes(data)
    book = openpyxl.Workbook()
    book.active.title = "notes"
    sheet = book.create_sheet("entries")
    for r in [header, *rows]:
        sheet.append(r)
    book.save(tmp_path / "book.xlsx")
    outputs = {}
    for name in [*inputs, "book.xlsx"]:
        extra = ["--sheet", "entries"] if name.endswith("xlsx") else []
        out = check(rules, tmp_path / name, "--no-db", "--format", "jsonl", *extra).stdout
        outputs[name] = [dict(json.loads(line), file=None) for line in out.splitlines()]
    first = outputs["sjis.csv"]
    assert len(first) == 300 and first[0]["entry_number"] == "東京-0"
    assert all(out == first for out in outputs.values())


def test_usage_errors_are_one_line(rules: Path, entries: Path, tmp_path: Path) -> None:
    assert "no run database" in invoke("runs", "--db", tmp_path / "none.db", code=2).stderr
    db = tmp_path / "r.db"
    check(rules, entries, "--db", db, "--format", "none")
    assert "no run 9" in invoke("runs", "show", 9, "--db", db, code=2).stderr
    assert "no run 9" in invoke("runs", "export", 9, "--db", db, code=2).stderr
    resumed = check(rules, entries, "--db", db, "--resume", code=2).stderr
    assert resumed.startswith("Error: ") and "no unfinished run" in resumed and resumed.count("\n") == 1
    assert "unknown encoding" in check(rules, entries, "--no-db", "--encoding", "nope", code=2).stderr
    book = openpyxl.Workbook()
    book.save(tmp_path / "x.xlsx")
    assert "no sheet 'entries'" in check(rules, tmp_path / "x.xlsx", "--no-db", "--sheet", "entries", code=2).stderr
    assert "no such file" in check(rules, tmp_path / "missing.csv", "--db", db, code=2).stderr


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT count(*) FROM lines").fetchone()[0]
    except sqlite3.Error:
        return 0


def start(rules: Path, entries: Path, db: Path) -> subprocess.Popen:
    args = ["check", entries, "--rules", rules, "--law-as-of", LAW, "--db", db, "--format", "none", "--quiet"]
    cmd = [sys.executable, "-m", "clearance.cli.main", *map(str, args), "--workers", "2", "--chunk-size", "100"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_lines(proc: subprocess.Popen, db: Path, lines: int) -> None:
    deadline = time.monotonic() + 60
    while stored(db) < lines:
        assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and SIGKILL")
def test_killed_run_resumes_with_exactly_one_result_per_line(rules: Path, tmp_path: Path) -> None:
    entries = write_entries(tmp_path / "big.csv", 12_000, seed=4)
    db = tmp_path / "runs.db"
    proc = start(rules, entries, db)
    wait_for_lines(proc, db, 1000)
    workers = children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    finished, status, lines = con.execute("SELECT finished, status, lines FROM runs").fetchone()
    assert finished is None and status == "running" and 1000 <= lines < 12_000
    assert con.execute("SELECT count(*) FROM lines").fetchone()[0] == lines
    assert con.execute("SELECT sum(lines) FROM run_files").fetchone()[0] == lines
    assert "running*" in invoke("runs", "--db", db, code=0).stdout
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers and not any(Path(f"/proc/{w}").exists() for w in workers)  # no orphaned workers

    check(rules, entries, "--db", db, "--resume", "--workers", 2, "--format", "none")
    check(rules, entries, "--db", tmp_path / "whole.db", "--format", "none", "--workers", 1)
    assert con.execute("SELECT count(*), count(DISTINCT row), max(row) FROM lines").fetchone() == (12_000,) * 3
    assert con.execute("SELECT finished IS NOT NULL, status, lines FROM runs").fetchone() == (1, "finished", 12_000)
    resumed = invoke("runs", "export", 1, "--db", db, code=0).stdout
    assert resumed == invoke("runs", "export", 1, "--db", tmp_path / "whole.db", code=0).stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses SIGTERM")
def test_terminated_run_is_marked_interrupted(rules: Path, tmp_path: Path) -> None:
    entries = write_entries(tmp_path / "big.csv", 12_000, seed=5)
    db = tmp_path / "runs.db"
    proc = start(rules, entries, db)
    wait_for_lines(proc, db, 500)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and b"continue it with --resume" in err and b"Traceback" not in err
    con = sqlite3.connect(db)
    assert con.execute("SELECT finished, status FROM runs").fetchone() == (None, "interrupted")
    assert (
        con.execute("SELECT count(*) FROM lines").fetchone()[0] == con.execute("SELECT lines FROM runs").fetchone()[0]
    )


def test_progress_display(tmp_path: Path) -> None:
    import io

    from clearance.cli.progress import Progress

    out = io.StringIO()
    progress = Progress(1000, out, every=0)
    time.sleep(0.01)
    progress.update(50, 250)
    assert "50 lines" in out.getvalue() and "25% read" in out.getvalue()
    progress.close()
    assert out.getvalue().endswith("\r" + " " * 70 + "\r")
    quiet = io.StringIO()
    Progress(None, quiet, every=60).update(1, 1)  # throttled: nothing yet
    assert quiet.getvalue() == ""


def test_clearance_db_environment_variable(rules: Path, entries: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLEARANCE_DB", str(tmp_path / "env.db"))
    check(rules, entries, "--format", "none")
    assert (tmp_path / "env.db").is_file() and not Path("clearance.db").exists()
    assert "finished" in invoke("runs", code=0).stdout
    assert "300 lines" in invoke("runs", "show", 1, code=0).stdout


def test_check_with_no_db_opens_and_creates_no_file(
    rules: Path, entries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clearance.engine.run.batch as batch

    opened: list[object] = []
    monkeypatch.setattr(batch, "references_in", lambda path: opened.append(path) or {})
    (tmp_path / "clearance.db").write_bytes(b"")  # a database where --db would look: never opened
    before = sorted(p.name for p in tmp_path.iterdir())
    check(rules, entries, "--no-db", "--format", "none", "--workers", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert opened == [None]


def test_runs_delete_and_prune(rules: Path, entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    for _ in range(4):
        check(rules, entries, "--db", db, "--format", "none")
    assert "deleted run 2 from" in invoke("runs", "delete", 2, "--db", db, code=0).stdout
    ids = [r["id"] for r in json.loads(invoke("runs", "list", "--db", db, "--format", "json", code=0).stdout)]
    assert ids == [1, 3, 4]
    assert "no run 9" in invoke("runs", "delete", 3, 9, "--db", db, code=2).stderr  # nothing deleted
    assert "runs 1, 3" in invoke("runs", "prune", "--keep", 1, "--db", db, code=0).stdout
    with sqlite3.connect(db) as conn:  # nothing of a deleted run is left in any table
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info([{table}])")]
            if "run_id" in columns:
                assert {str(r) for (r,) in conn.execute(f"SELECT DISTINCT run_id FROM [{table}]")} <= {"4"}, table
    assert "no run to delete" in invoke("runs", "prune", "--before", "2000-01-01", "--db", db, code=0).stdout
    assert "deleted run 4" in invoke("runs", "prune", "--before", "2999-01-01", "--db", db, code=0).stdout
    assert "no run 4" in invoke("runs", "delete", 4, "--db", db, code=2).stderr
    assert "give one of --before DATE or --keep N" in invoke("runs", "prune", "--db", db, code=2).stderr
    assert invoke("runs", "prune", "--keep", 1, "--before", "2026-01-01", "--db", db, code=2).stderr


def test_prune_never_deletes_a_run_still_marked_running(rules: Path, entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    check(rules, entries, "--db", db, "--format", "none")
    check(rules, entries, "--db", db, "--format", "none")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET status = 'running', finished = NULL WHERE id = 1")
    assert "deleted run 2" in invoke("runs", "prune", "--keep", 0, "--db", db, code=0).stdout
    assert [r["id"] for r in json.loads(invoke("runs", "list", "--db", db, "--format", "json", code=0).stdout)] == [1]


def test_runs_list_and_show_as_json_and_to_a_file(rules: Path, entries: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    check(rules, entries, "--db", db, "--format", "none")
    (run,) = json.loads(invoke("runs", "list", "--db", db, "--format", "json", code=0).stdout)
    assert run["id"] == 1 and run["lines"] == 300 and run["files"][0]["path"] == str(entries)
    assert sum(run[v] for v in ("accept", "review", "reject", "invalid")) == 300
    shown = json.loads(invoke("runs", "show", 1, "--db", db, "--format", "json", code=0).stdout)
    assert shown["id"] == 1 and shown["duty_by_measure"] and shown["top_reasons"] is not None
    assert all(isinstance(d["amount"], str) for d in shown["duty_by_measure"])  # money as decimal text
    out = tmp_path / "show.txt"
    text = invoke("runs", "show", 1, "--db", db, code=0).stdout
    assert invoke("runs", "show", 1, "--db", db, "-o", out, code=0).stdout == ""
    assert out.read_text() == text and text.startswith("run 1: finished")
    assert invoke("runs", "list", "--db", db, "--format", "text", code=0).stdout == invoke("runs", "--db", db).stdout
    assert "is an input of this command" in invoke("runs", "list", "--db", db, "-o", db, code=2).stderr
