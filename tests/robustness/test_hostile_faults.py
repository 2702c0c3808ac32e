"""The second round of faults and abuse (#14) outside the entry files: output errors, rule packs that reach
outside their folder or are too big, packs that lint passed and check refused, stacking that was cubic, HTSUS
exports cut short, and control characters from packs, HTS descriptions and inputs reaching a terminal. Each
test failed before its fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine import BUNDLED_RULES, Checker, load_pack
from clearance.engine.reference.importer import HtsError, read_export
from clearance.engine.resolve.plan import topological

from ..conftest import SHARED
from .test_hostile import FEATURES, GOOD, HEADER, one_line_error

ESC = "\x1b]0;pwned\x07\x1b[2J"
HTS_2026 = SHARED / "data" / "hts" / "hts_2026_basic_edition_csv.csv"
needs_hts_export = pytest.mark.skipif(not HTS_2026.is_file(), reason=f"shared test data absent: {HTS_2026}")
LINUX = sys.platform.startswith("linux")


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def entries(where: Path, lines: int = 3) -> Path:
    path = where / "e.csv"
    path.write_text("\n".join([HEADER, *(GOOD.format(n=n) for n in range(lines))]) + "\n")
    return path


def invoke(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


LINE = {"hts_code": "8479899400", "origin": "JP", "value": "1000", "entry_date": "2025-06-01"}
CHECK = ("check", "--no-db", "--workers", "1", "--rules", FEATURES, "--format", "jsonl")


# output errors: one place, every command ------------------------------------------------------------------------


def test_output_naming_an_input_or_the_database_is_refused_and_nothing_is_overwritten(tmp_path: Path) -> None:
    path = entries(tmp_path)
    before = path.read_bytes()
    one_line_error(invoke(*CHECK, path, "-o", f"./{path.name}"), "is an input")
    assert path.read_bytes() == before
    db = tmp_path / "runs.db"
    assert invoke("check", path, "--rules", FEATURES, "--db", db, "--workers", 1, "-o", "out.csv").exit_code == 0
    stored = db.read_bytes()
    one_line_error(invoke("check", path, "--rules", FEATURES, "--db", db, "-o", db), "is an input")
    one_line_error(invoke("runs", "export", 1, "--db", db, "-o", db), "is an input")
    assert db.read_bytes() == stored


@pytest.mark.skipif(not LINUX, reason="/dev/full is Linux")
@pytest.mark.parametrize(
    "args",
    [
        (*CHECK, "e.csv", "-o", "/dev/full"),
        ("rules", "schema", "-o", "/dev/full"),
        (*CHECK, "e.csv", "-o", "no/such/folder/out.jsonl"),
        ("rules", "schema", "-o", "no/such/folder/s.json"),
    ],
)
def test_an_output_that_cannot_be_written_is_one_line_error(tmp_path: Path, args: tuple) -> None:
    entries(tmp_path)
    one_line_error(invoke(*args), "cannot write")


def command(args: list[object]) -> list[str]:
    return [sys.executable, "-m", "clearance.cli.main", *map(str, args)]


@pytest.mark.skipif(not LINUX, reason="/dev/full is Linux")
@pytest.mark.parametrize(
    "args", [["rules", "list"], [*CHECK, "e.csv"], ["explain", "e.csv", "--row", 1, "--rules", FEATURES]]
)
def test_a_full_standard_output_is_one_line_error(tmp_path: Path, args: list[str]) -> None:
    entries(tmp_path)
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            command(args), stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=120
        )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args", [[*CHECK, "e.csv"], ["check", "e.csv", "--no-db", "--rules", FEATURES], ["rules", "list"]]
)
def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path, args: list[str]) -> None:
    entries(tmp_path, 3000)
    cmd = [sys.executable, "-m", "clearance.cli.main", *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Error" not in err and "Traceback" not in err, err


# rule packs ---------------------------------------------------------------------------------------------------


def pack_copy(where: Path) -> Path:
    root = where / "us"
    shutil.copytree(BUNDLED_RULES / "us", root)
    return root


@pytest.mark.parametrize("name", ["x.test.yaml", "y.yaml", "lists/z.csv", "lists/z.yaml"])
@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_lint_never_reads_a_file_outside_the_pack(tmp_path: Path, name: str, fmt: str) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:SECRET-HASH-1234:19000:0:99999:7:::\n")
    root = pack_copy(tmp_path)
    (root / name).symlink_to(secret)
    result = invoke("rules", "lint", root, "--format", fmt)
    assert "SECRET" not in result.stdout + result.stderr and "points outside" in result.stdout
    assert result.exit_code == 1


@pytest.mark.parametrize("args", [("rules", "lint"), ("rules", "test"), ("rules", "list", "--rules")])
def test_a_huge_pack_file_is_refused_before_it_is_read(tmp_path: Path, args: tuple) -> None:
    root = pack_copy(tmp_path)
    with open(root / "lists" / "big.csv", "wb") as fh:
        fh.truncate(2 << 30)  # sparse: 2 GB that the loader used to read whole (10 GB of memory)
    started = time.monotonic()
    result = invoke(*args, root)
    assert result.exit_code in (1, 2) and "holds at most" in result.stdout + result.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "scope", [{"origins": [["JP"]]}, {"codes": {"prefixes": [["8479"]]}}, {"attributes": {"purpose": [["sale"]]}}]
)
def test_lint_runs_the_loader_check_uses(tmp_path: Path, scope: dict) -> None:
    """A list item that is itself a list: check refused the pack while lint called it clean."""
    root = tmp_path / "t"
    root.mkdir()
    (root / "pack.yaml").write_text("id: t\ntitle: t\njurisdiction: US\ncurrency: USD\nminor_unit: 2\n")
    measure = {"id": "t.m", "title": "m", "kind": "duty", "heading": "9903.01.25", "rate": "1%",
               "scope": scope, "dates": {"from": "2025-01-01"}}  # fmt: skip
    (root / "m.yaml").write_text(yaml.safe_dump({"instrument": "T", "citations": ["T"], "measures": [measure]}))
    assert invoke("check", entries(tmp_path), "--rules", root, "--no-db").exit_code == 2
    linted = invoke("rules", "lint", root)
    assert linted.exit_code == 1 and "CL001" in linted.stdout, linted.stdout


def test_the_stacking_order_of_many_measures_is_not_quadratic() -> None:
    """10,000 measures that all match one line, each excluding the next: Kahn's algorithm scanned every edge
    for every measure and re-sorted by list.index (over 300 s for that line); now O((V + E) log V)."""
    n = 10_000
    ids = [f"m{i}" for i in range(n)]
    edges = [(ids[i], ids[i + 1]) for i in range(n - 1)] + [(ids[0], ids[i]) for i in range(2, n)]
    started = time.monotonic()
    order, cycle = topological(ids, edges)
    assert time.monotonic() - started < 2
    assert order == ids and cycle == []
    assert topological(["a", "b", "c"], [("c", "a"), ("b", "a")]) == (["b", "c", "a"], [])  # pack order when free


def test_a_line_with_too_many_stacking_edges_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    n = 400  # each excludes its whole group: 400 x 399 = 159,600 edges, past the 100,000 bound
    measures = [
        {"id": f"t.m{i}", "title": f"m{i}", "kind": "duty", "heading": "9903.01.25", "rate": "1%",
         "scope": {"origins": ["JP"]}, "dates": {"from": "2025-01-01"},
         "stacking": {"group": "g", "excludes": [{"target": "group:g", "when": "applies"}]}}
        for i in range(n)
    ]  # fmt: skip
    root = tmp_path / "t"
    root.mkdir()
    (root / "pack.yaml").write_text("id: t\ntitle: t\njurisdiction: US\ncurrency: USD\nminor_unit: 2\n")
    (root / "m.yaml").write_text(json.dumps({"instrument": "T", "citations": ["T"], "measures": measures}))
    [result] = Checker({"US": load_pack(root)}).check([LINE])
    assert result.verdict == "invalid" and "stacking rules" in result.reasons[0].message


# HTSUS exports --------------------------------------------------------------------------------------------------


@needs_hts_export
def test_an_hts_export_cut_inside_a_quoted_field_is_refused() -> None:
    data = HTS_2026.read_bytes()
    cut = data[: data.index(b'","', len(data) // 3) + 5]
    with pytest.raises(HtsError, match="cut short"):
        read_export(cut, "cut.csv")


@needs_hts_export
@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ('"8479.89.94","1","short row"', "fields"),
        ('"8479.89.94","1","x","' + "[" * 5000 + "]" * 5000 + '","2.5%","","35%","",""', "not a list of units"),
        ('"8479.89.94","1","x","[' + "1" * 5000 + ']","2.5%","","35%","",""', "not a list of units"),
    ],
)
def test_a_malformed_hts_row_is_refused_naming_it(row: str, fragment: str) -> None:
    head = HTS_2026.read_text(encoding="utf-8-sig").splitlines()[:10]
    with pytest.raises(HtsError, match=fragment):
        read_export(("\n".join([*head, row]) + "\n").encode(), "bad.csv")


@needs_hts_export
def test_an_export_cut_between_rows_is_refused() -> None:
    data = HTS_2026.read_bytes()
    with pytest.raises(HtsError, match="cut short"):
        read_export(data[: data.index(b"\n", len(data) // 2)], "cut.csv")


# terminal output ------------------------------------------------------------------------------------------------


def test_text_from_packs_hts_and_inputs_reaches_no_terminal_raw(tmp_path: Path) -> None:
    root = tmp_path / "features"
    shutil.copytree(FEATURES, root)
    first = next(p for p in sorted(root.glob("*.yaml")) if p.name != "pack.yaml" and not p.name.endswith(".test.yaml"))
    data = yaml.safe_load(first.read_text())
    data["measures"][0]["title"] = ESC + data["measures"][0]["title"]
    first.write_text(yaml.safe_dump(data, allow_unicode=False))
    mid = data["measures"][0]["id"]
    path = tmp_path / "e.csv"
    path.write_text(f"{HEADER}\nE{ESC},0101.21.00,JP,1000,2025-06-01\n")
    invoke("check", path, "--rules", root, "--workers", 1, "--format", "none")
    outputs = [
        invoke("rules", "show", mid, "--rules", root),
        invoke("rules", "list", "--rules", root),
        invoke("explain", path, "--row", 1, "--rules", root, "-v"),
        invoke("runs", "show", 1),
    ]
    for result in outputs:
        assert result.exit_code == 0, (result.stderr, result.exception)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
