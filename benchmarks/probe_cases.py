"""The probes of `benchmarks/probe.py`, by class of the hostile-input issue (#14). Each builds its files,
runs one or more commands and returns (what is wrong or "", the run whose memory counts)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from benchmarks import probe_corpus as corpus
from benchmarks.probe_corpus import ESC, GOOD, HEADER, JP_CAR, RECORD
from benchmarks.probe_run import BIN, CHECK, Run, one_line_error, probe, records, run, sane, verdicts

# --- silent data loss or wrong numbers ------------------------------------------------------------------------


@probe("loss")
def xlsx_dimension_understated(where: Path) -> tuple[str, Run]:
    rows = [
        ["hts_code", "origin", "value", "entry_date"],
        *[["8479.89.94", "JP", 1000 + n, "2025-06-01"] for n in range(5)],
    ]
    r = run(where, *CHECK, corpus.xlsx(where, rows, "A1:B1"))
    return verdicts(r, 5), r


@probe("loss")
def xlsx_dimension_missing_columns(where: Path) -> tuple[str, Run]:
    rows = [
        ["hts_code", "origin", "value", "entry_date"],
        *[["8479.89.94", "JP", 1000 + n, "2025-06-01"] for n in range(3)],
    ]
    r = run(where, *CHECK, corpus.xlsx(where, rows, "A1:A4"))
    inputs = [y["rule"] for x in records(r) for y in x["reasons"] if y["rule"].startswith("input.")]
    return verdicts(r, 3) or (f"columns lost: {inputs}" if inputs else ""), r


@probe("loss")
def xlsx_dimension_huge_with_far_row(where: Path) -> tuple[str, Run]:
    r = run(where, *CHECK, corpus.xlsx_far_row(where, 1_048_000), timeout=60)
    return verdicts(r, 2, {2: "row"}) if not sane(r) else sane(r), r


@probe("loss")
def hts_export_cut_inside_a_quoted_field(where: Path) -> tuple[str, Run]:
    r = run(where, "hts", "import", corpus.hts_cut(where), "--edition", "cut", "--effective", "2026-01-01")
    return one_line_error(r), r


@probe("loss")
def hts_export_with_a_short_row(where: Path) -> tuple[str, Run]:
    path = corpus.hts_rows(where, [["8479.89.94", "2", "short row"]])
    r = run(where, "hts", "import", path, "--edition", "short", "--effective", "2026-01-01")
    return one_line_error(r), r


@probe("loss")
def file_rewritten_while_read_is_not_recorded_under_the_old_hash(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 20_000)
    old = hashlib.sha256(path.read_bytes()).hexdigest()
    db = where / "run.db"
    cmd = [str(BIN), "check", path, "--db", db, "--format", "none", "--workers", "1", "--chunk-size", "200", "-q"]
    proc = subprocess.Popen(list(map(str, cmd)), cwd=where, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _until_stored(db, 1)
    text = path.read_text().replace(",JP,", ",DE,")
    with open(path, "r+") as fh:  # rewritten in place, as an editor or a sync tool would
        fh.write(text)
    err = proc.communicate(timeout=300)[1].decode()
    r = Run(proc.returncode, "", err, 0, 0)
    with sqlite3.connect(db) as conn:
        status, sha = conn.execute("SELECT status, sha256 FROM runs JOIN run_files ON run_id = id").fetchone()
    if status == "finished" and sha == old:
        return "finished under the SHA-256 of the content before the rewrite", r
    return sane(r), r


def _until_stored(db: Path, lines: int, limit: float = 120) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with sqlite3.connect(db) as conn:
                row = conn.execute("SELECT lines FROM runs ORDER BY id DESC").fetchone()
            if row and row[0] >= lines:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.05)


@probe("loss")
def cap_counts_attribute_values_case_insensitively(where: Path) -> tuple[str, Run]:
    header = "destination,hts_code,origin,value,quantity,unit,entry_date,documents,attributes"
    path = corpus.lines_csv(where, "cars.csv", [JP_CAR.format(kind=k) for k in ("XYZ-2", "xyz-2", "Xyz-2")], header)
    r = run(where, *CHECK, path)
    capped = [x["row"] for x in records(r) if any(y["rule"].endswith(".cap") for y in x["reasons"])]
    return verdicts(r, 3) or ("" if capped == [2, 3] else f"9,000 units of one type: cap hit on rows {capped}"), r


@probe("loss")
def output_naming_an_input_file(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 3)
    before = path.read_bytes()
    r = run(where, *CHECK, path, "-o", path)
    return one_line_error(r) or ("" if path.read_bytes() == before else "the input file was overwritten"), r


@probe("loss")
def runs_export_naming_the_database(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 3)
    run(where, "check", path, "--format", "none", "-q", "--workers", "1")
    before = (where / "clearance.db").read_bytes()
    r = run(where, "runs", "export", "1", "-o", "clearance.db")
    return one_line_error(r) or ("" if (where / "clearance.db").read_bytes() == before else "database overwritten"), r


@probe("loss")
def internal_problem_column_in_csv(where: Path) -> tuple[str, Run]:
    path = corpus.lines_csv(
        where, "e.csv", [GOOD.format(n=1) + ",boom,value"], HEADER + ",__problem__,__problem_column__"
    )
    r = run(where, *CHECK, path)
    got = records(r)
    return verdicts(r, 1) or (
        "" if got[0]["verdict"] == "accept" else f"an input column made it {got[0]['verdict']}"
    ), r


@probe("loss")
def internal_problem_column_in_json(where: Path) -> tuple[str, Run]:
    path = where / "e.json"
    path.write_text(json.dumps([dict(RECORD, __problem__="injected\nline")]))
    r = run(where, *CHECK, path)
    got = records(r)
    return verdicts(r, 1) or (
        "" if got[0]["verdict"] == "accept" else f"an input column made it {got[0]['verdict']}"
    ), r


MONEY_CASES = {
    "value": ["1$000", "10¥00", "1000$", "€1000", "1 000", "１０００"],
    "origin": ["ſe", "\u0130t", "ｊｐ"],
    "transport_mode": ["truc\u212a"],
    "destination": ["uſ"],
    "currency": ["uſd"],
}


@probe("loss")
def money_and_codes_are_strict(where: Path) -> tuple[str, Run]:
    cases = [(c, v) for c, values in MONEY_CASES.items() for v in values]
    path = where / "e.jsonl"
    path.write_text("\n".join(json.dumps(dict(RECORD, **{c: v})) for c, v in cases) + "\n")
    r = run(where, *CHECK, path)
    return verdicts(r, len(cases), {n: c for n, (c, _) in enumerate(cases, start=1)}), r


@probe("loss")
def currency_symbol_of_another_currency(where: Path) -> tuple[str, Run]:
    lines = [
        dict(RECORD, value="¥1000"),
        dict(RECORD, destination="JP", hts_code="870323019", origin="US", value="$1000"),
    ]
    path = where / "e.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    r = run(where, *CHECK, path)
    return verdicts(r, 2, {1: "value", 2: "value"}), r


# --- whole-run crashes from one line ---------------------------------------------------------------------------

HUGE = "9" * 5000


@probe("crash")
def json_integer_past_the_int_limit(where: Path) -> tuple[str, Run]:
    path = where / "e.json"
    path.write_text(
        f'[{json.dumps(RECORD)}, {{"hts_code": "8479.89.94", "origin": "JP", "value": {HUGE}, '
        f'"entry_date": "2025-06-01"}}, {json.dumps(RECORD)}]'
    )
    r = run(where, *CHECK, path)
    return verdicts(r, 3, {2: "value"}), r


@probe("crash")
def jsonl_integer_past_the_int_limit_in_an_extra_column(where: Path) -> tuple[str, Run]:
    path = corpus.jsonl(where, "e.jsonl", [RECORD, json.dumps(RECORD)[:-1] + f', "note": {HUGE}}}', RECORD])
    r = run(where, *CHECK, path)
    return verdicts(r, 3), r


@probe("crash")
def explain_and_diff_on_an_integer_past_the_limit(where: Path) -> tuple[str, Run]:
    path = corpus.jsonl(where, "e.jsonl", [json.dumps(RECORD)[:-1] + f', "value": {HUGE}}}'])
    r = run(where, "explain", path, "--row", "1")
    if problem := sane(r):
        return "explain: " + problem, r
    r = run(where, "diff", path, "--law-as-of", "2025-01-01", "--law-as-of", "2026-01-01")
    return ("diff: " + sane(r)) if sane(r) else "", r


@probe("crash")
def csv_unclosed_quote(where: Path) -> tuple[str, Run]:
    rows = [GOOD.format(n=1), GOOD.format(n=2), '"' + GOOD.format(n=3), GOOD.format(n=4), GOOD.format(n=5)]
    r = run(where, *CHECK, corpus.lines_csv(where, "e.csv", rows))
    return verdicts(r, 5, {3: "row"}), r


@probe("crash")
def csv_stray_quote(where: Path) -> tuple[str, Run]:
    rows = [GOOD.format(n=1), '"E2"x,8479.89.94,JP,1000,2025-06-01,2.5%', GOOD.format(n=3)]
    r = run(where, *CHECK, corpus.lines_csv(where, "e.csv", rows))
    return verdicts(r, 3, {2: "row"}), r


@probe("crash")
def tsv_unclosed_quote(where: Path) -> tuple[str, Run]:
    rows = [x.replace(",", "\t") for x in (GOOD.format(n=1), '"' + GOOD.format(n=2), GOOD.format(n=3))]
    r = run(where, *CHECK, corpus.lines_csv(where, "e.tsv", rows, HEADER.replace(",", "\t")))
    return verdicts(r, 3, {2: "row"}), r


BIG_CELL = 150 << 20


@probe("crash")
def huge_pass_through_cell_csv(where: Path) -> tuple[str, Run]:
    path = where / "e.csv"
    with open(path, "w") as fh:
        fh.write(HEADER + ",note\n" + GOOD.format(n=1) + ",x\n" + GOOD.format(n=2) + ",")
        for _ in range(BIG_CELL >> 20):
            fh.write("x" * (1 << 20))
        fh.write("\n" + GOOD.format(n=3) + ",y\n")
    r = run(where, *CHECK, path)
    return verdicts(r, 3, {2: "*"}) or ("" if r.rss_mb < 400 else f"{r.rss_mb:.0f} MB for one cell"), r


@probe("crash")
def huge_pass_through_cell_jsonl(where: Path) -> tuple[str, Run]:
    path = where / "e.jsonl"
    with open(path, "w") as fh:
        fh.write(json.dumps(RECORD) + "\n" + json.dumps(RECORD)[:-1] + ', "note": "')
        for _ in range(BIG_CELL >> 20):
            fh.write("x" * (1 << 20))
        fh.write('"}\n' + json.dumps(RECORD) + "\n")
    r = run(where, *CHECK, path)
    return verdicts(r, 3, {2: "*"}) or ("" if r.rss_mb < 400 else f"{r.rss_mb:.0f} MB for one cell"), r


@probe("crash")
def ten_thousand_columns(where: Path) -> tuple[str, Run]:
    extra = [f"c{n}" for n in range(10_000)]
    rows = [GOOD.format(n=n) + "," + ",".join("v" * 50 for _ in extra) for n in range(200)]
    r = run(where, *CHECK, corpus.lines_csv(where, "e.csv", rows, HEADER + "," + ",".join(extra)))
    if r.code == 2:
        return one_line_error(r), r
    return verdicts(r, 200) or ("" if r.rss_mb < 400 else f"{r.rss_mb:.0f} MB"), r


@probe("crash")
def non_text_encodings(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 2)
    for codec in ("rot13", "hex", "base64", "zlib", "uu"):
        r = run(where, *CHECK, path, "--encoding", codec)
        if problem := one_line_error(r):
            return f"--encoding {codec}: {problem}", r
    return "", r


@probe("crash")
def huge_run_ids(where: Path) -> tuple[str, Run]:
    run(where, "check", corpus.good_csv(where, 2), "--format", "none", "-q", "--workers", "1")
    for args in (
        ("runs", "show", "1e20"),
        ("runs", "show", "99999999999999999999"),
        ("runs", "export", "99999999999999999999"),
        ("runs", "show", "-1"),
    ):
        r = run(where, *args)
        if problem := one_line_error(r):
            return f"{' '.join(args)}: {problem}", r
    return "", r


@probe("crash")
def explain_huge_row(where: Path) -> tuple[str, Run]:
    r = run(where, "explain", corpus.good_csv(where, 2), "--row", "99999999999999999999")
    return one_line_error(r), r


@probe("crash")
def hts_units_nested_and_long(where: Path) -> tuple[str, Run]:
    rows = [
        ["8479.89.94", "1", "nested", "[" * 5000 + "]" * 5000, "2.5%", "", "35%", "", ""],
        ["8479.89.95", "1", "long", "[" + "1" * 5000 + "]", "2.5%", "", "35%", "", ""],
    ]
    r = run(where, "hts", "import", corpus.hts_rows(where, rows), "--edition", "n", "--effective", "2026-01-01")
    if problem := sane(r):
        return problem, r
    r = run(where, "hts", "show", "8479.89.95", "--date", "2026-03-01")
    return sane(r), r


# --- leaks and hangs -------------------------------------------------------------------------------------------


def _secret(where: Path) -> Path:
    secret = where / "secret.txt"
    secret.write_text("root:SECRET-HASH-1234:19000:0:99999:7:::\n")  # as /etc/shadow reads
    return secret


@probe("leak")
def lint_follows_a_symlink_out_of_the_pack(where: Path) -> tuple[str, Run]:
    rules = corpus.pack_copy(where)
    secret = _secret(where)
    (rules / "us" / "x.test.yaml").symlink_to(secret)
    (rules / "us" / "y.yaml").symlink_to(secret)
    (rules / "us" / "lists" / "z.csv").symlink_to(secret)
    for fmt in ("text", "github", "json"):
        r = run(where, "rules", "lint", rules / "us", "--format", fmt)
        if "SECRET" in r.out + r.err:
            return f"lint --format {fmt} printed the symlink target's lines", r
        if problem := sane(r):
            return problem, r
    return "", r


@probe("leak")
def every_pack_command_refuses_a_symlink_out(where: Path) -> tuple[str, Run]:
    rules = corpus.pack_copy(where)
    (rules / "us" / "y.yaml").symlink_to(_secret(where))
    for args in (
        ("rules", "test", rules / "us"),
        ("rules", "list", "--rules", rules),
        ("rules", "show", "us.column-1.general", "--rules", rules),
        ("check", corpus.good_csv(where, 1), "--rules", rules, "--no-db"),
    ):
        r = run(where, *args)
        if "SECRET" in r.out + r.err:
            return f"{args[0]} {args[1]} printed the symlink target", r
        if problem := sane(r):
            return f"{args[0]} {args[1]}: {problem}", r
    return "", r


@probe("leak")
def fifo_in_a_pack(where: Path) -> tuple[str, Run]:
    rules = corpus.pack_copy(where)
    corpus.fifo(rules / "us" / "m.yaml")
    corpus.fifo(rules / "us" / "lists" / "f.csv")
    for args in (
        ("rules", "show", "us.column-1.general", "--rules", rules),
        ("rules", "lint", rules),
        ("rules", "list", "--rules", rules),
        ("check", corpus.good_csv(where, 1), "--rules", rules, "--no-db"),
    ):
        r = run(where, *args, timeout=20)
        if problem := sane(r):
            return f"{args[0]} {args[1]}: {problem}", r
    return "", r


@probe("leak")
def dev_zero_in_a_pack(where: Path) -> tuple[str, Run]:
    rules = corpus.pack_copy(where)
    (rules / "us" / "lists" / "zero.csv").symlink_to("/dev/zero")
    worst = None
    for args in (("rules", "show", "us.column-1.general", "--rules", rules), ("rules", "lint", rules)):
        r = run(where, *args, timeout=30)
        worst = r
        if problem := sane(r) or ("" if r.rss_mb < 400 else f"{r.rss_mb:.0f} MB"):
            return f"{args[0]} {args[1]}: {problem}", r
    return "", worst


@probe("leak")
def stdin_as_dev_stdin(where: Path) -> tuple[str, Run]:
    data = corpus.good_csv(where, 4).read_bytes()
    r = run(where, *CHECK, "/dev/stdin", stdin=data)
    if problem := verdicts(r, 4):
        return "/dev/stdin: " + problem, r
    r = run(where, *CHECK[:2], "--format", "jsonl", "--workers", "1", "-q", "/dev/stdin", stdin=data)
    return ("/dev/stdin with --db: " + verdicts(r, 4)) if verdicts(r, 4) else "", r


@probe("leak")
def fifo_input(where: Path) -> tuple[str, Run]:
    data = corpus.good_csv(where, 4).read_bytes()
    pipe = corpus.fifo(where / "in.csv")

    def writer() -> None:
        with open(pipe, "wb") as fh:
            fh.write(data)

    threading.Thread(target=writer, daemon=True).start()
    r = run(where, "check", pipe, "--format", "jsonl", "--workers", "1", "-q", timeout=30)
    if r.hung:  # free the writer, if it still waits
        os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))
    return verdicts(r, 4), r


@probe("leak")
def control_characters_in_terminal_output(where: Path) -> tuple[str, Run]:
    name = where / f"e{ESC}.csv"
    corpus.lines_csv(where, name.name, [f"E{ESC},8479.89.94,JP,1000,2025-06-01,2.5%"])
    run(where, "check", name, "--format", "none", "-q", "--workers", "1")
    for args in (("runs", "show", "1"), ("runs",), ("explain", name, "--row", "1"), ("check", name, "--no-db")):
        r = run(where, *args)
        if "\x1b" in r.out or "\x07" in r.out or "\x1b" in r.err:
            return f"{' '.join(map(str, args[:2]))} printed a terminal escape", r
    return "", r


@probe("leak")
def control_characters_from_packs_and_hts(where: Path) -> tuple[str, Run]:
    rules = corpus.pack_copy(where)
    corpus.retitle(rules / "us", "us.column-1.general", ESC)
    r = run(where, "rules", "show", "us.column-1.general", "--rules", rules)
    if "\x1b" in r.out:
        return "rules show printed a terminal escape", r
    rows = [["8479.89.94", "1", f"evil {ESC} description", "", "2.5%", "", "35%", "", ""]]
    run(where, "hts", "import", corpus.hts_rows(where, rows), "--edition", "e", "--effective", "2026-01-01")
    r = run(where, "hts", "show", "8479.89.94", "--date", "2026-03-01")
    return ("hts show printed a terminal escape" if "\x1b" in r.out else sane(r)), r


# --- database and output faults --------------------------------------------------------------------------------


@probe("database")
def database_stamped_but_foreign(where: Path) -> tuple[str, Run]:
    for tables in ("foreign", "missing"):
        db = corpus.foreign_db(where, tables)
        for args in (
            ("check", corpus.good_csv(where, 2), "--db", db, "--workers", "1"),
            ("runs", "--db", db),
            ("runs", "show", "1", "--db", db),
        ):
            r = run(where, *args)
            if problem := one_line_error(r):
                return f"{tables} tables, {args[0]}: {problem}", r
        db.unlink()
    return "", r


def _killed_run(where: Path, path: Path, given: str, kills: int = 1) -> None:
    cmd = [str(BIN), "check", given, "--format", "none", "--workers", "1", "--chunk-size", "200", "-q"]
    for n in range(kills):
        proc = subprocess.Popen(cmd + (["--resume"] if n else []), cwd=where, stderr=subprocess.DEVNULL)
        _until_stored(where / "clearance.db", 400 * (n + 1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def _stored(where: Path) -> tuple[int, int, str]:
    with sqlite3.connect(where / "clearance.db") as conn:
        rows, distinct = conn.execute("SELECT count(*), count(DISTINCT file || ':' || row) FROM results").fetchone()
        status = conn.execute("SELECT status FROM runs ORDER BY id").fetchone()[0]
    return rows, distinct, status


@probe("database")
def kill_9_three_times_then_resume(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 4000)
    _killed_run(where, path, "e.csv", kills=3)
    r = run(where, "check", "e.csv", "--format", "none", "--workers", "1", "-q", "--resume")
    rows, distinct, status = _stored(where)
    return sane(r) or (
        "" if (rows, distinct, status) == (4000, 4000, "finished") else f"{rows} rows, {distinct} distinct, {status}"
    ), r


@probe("database")
def resume_with_another_spelling_of_the_path(where: Path) -> tuple[str, Run]:
    corpus.good_csv(where, 4000)
    _killed_run(where, where / "e.csv", "./e.csv")
    r = run(where, "check", str(where / "e.csv"), "--format", "none", "--workers", "1", "-q", "--resume")
    rows, distinct, status = _stored(where)
    return sane(r) or ("" if (rows, distinct, status) == (4000, 4000, "finished") else f"{r.err.strip()[:100]}"), r


@probe("database")
def failed_resume_racing_the_live_run(where: Path) -> tuple[str, Run]:
    corpus.good_csv(where, 6000)
    cmd = [str(BIN), "check", "e.csv", "--format", "none", "--workers", "1", "--chunk-size", "200", "-q"]
    live = subprocess.Popen(cmd, cwd=where, stderr=subprocess.PIPE)
    _until_stored(where / "clearance.db", 400)
    r = run(where, "check", "e.csv", "--format", "none", "--workers", "1", "-q", "--resume")
    live.communicate(timeout=600)
    rows, distinct, status = _stored(where)
    if (rows, distinct, status) != (6000, 6000, "finished"):
        return f"the live run ended {status} with {rows} rows ({distinct} distinct)", r
    return ("the racing --resume ran instead of refusing" if r.code != 2 else one_line_error(r)), r


@probe("output")
def output_to_dev_full(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 50)
    for args in ((*CHECK, path, "-o", "/dev/full"), ("rules", "schema", "-o", "/dev/full")):
        r = run(where, *args)
        if problem := one_line_error(r):
            return f"{args[0]}: {problem}", r
    for args in (("rules", "list"), ("explain", path, "--row", "1"), ("runs",), (*CHECK, path)):
        r = run(where, *args, stdout="/dev/full")
        if problem := one_line_error(r):
            return f"{args[0]} > /dev/full: {problem}", r
    return "", r


@probe("output")
def output_into_a_missing_folder(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 5)
    for args in ((*CHECK, path, "-o", "no/such/out.jsonl"), ("rules", "schema", "-o", "no/such/s.json")):
        r = run(where, *args)
        if problem := one_line_error(r):
            return f"{args[0]}: {problem}", r
    return "", r


@probe("output")
def closed_pipe_ends_quietly(where: Path) -> tuple[str, Run]:
    path = corpus.good_csv(where, 3000)
    for args in ((*CHECK, path), ("check", path, "--no-db", "--workers", "1"), ("rules", "list")):
        proc = subprocess.Popen([str(BIN), *map(str, args)], cwd=where, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
        proc.wait(timeout=120)
        r = Run(proc.returncode, "", err, 0, 0)
        if proc.returncode != 0 or "Traceback" in err or "Error" in err:
            return f"{args[0]} | head: exit {proc.returncode} {err.strip()[-100:]}", r
    return "", r


# --- rule-pack robustness --------------------------------------------------------------------------------------


@probe("pack")
def lint_runs_the_loader(where: Path) -> tuple[str, Run]:
    root = corpus.tiny_pack(where, [corpus.duty(1, scope={"origins": [["JP"]]})])  # a list item that is a list
    checked = run(where, "check", corpus.good_csv(where, 1), "--rules", root, "--no-db")
    r = run(where, "rules", "lint", root)
    if checked.code == 2 and r.code == 0:
        return "lint passes a pack that check refuses: " + checked.err.strip()[:100], r
    return sane(r), r


@probe("pack")
def many_measures_matching_one_line(where: Path) -> tuple[str, Run]:
    root = corpus.stacked_pack(where, 2000)
    r = run(
        where, "check", corpus.good_csv(where, 1), "--rules", root, "--no-db", "--law-as-of", "2026-01-01", timeout=120
    )
    return sane(r), r


@probe("pack")
def sparse_two_gigabyte_list(where: Path) -> tuple[str, Run]:
    root = corpus.tiny_pack(where, [corpus.duty(1)])
    corpus.sparse(root / "lists" / "big.csv", 2 << 30)
    worst = None
    for args in (("check", corpus.good_csv(where, 1), "--rules", root, "--no-db"), ("rules", "lint", root)):
        r = run(where, *args, timeout=60)
        worst = r
        if problem := one_line_error(r) if args[0] == "check" else sane(r):
            return f"{args[0]}: {problem}", r
        if r.rss_mb > 400:
            return f"{args[0]}: {r.rss_mb:.0f} MB before its error", r
    return "", worst
