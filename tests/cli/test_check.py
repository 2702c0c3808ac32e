"""`clearance check` through click's CliRunner: every option, exit codes 0/1/2, one clean line on stderr
for file and rule-pack errors, one output record per input line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clearance.cli.main import cli

from ..conftest import PACKS

FEATURES = PACKS / "features"
HEADER = "entry_number,line_number,hts_code,origin,value,entry_date,declared_duty"
LINES = [
    "E1,1,0101.21.00.00,JP,1000,2025-06-01,",  # 10%: accept, 100.00
    "E1,2,0101.21.00.00,JP,1000,2025-06-01,100.01",  # over-declared: review, 100.00
    "E1,3,0101.21.00.00,JP,lots,2025-06-01,",  # invalid: value
    "E2,1,0301.10.00.00,JP,1000,2025-03-01,",  # 5% published 2025-07-01: 50.00 under today's law
]


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # a default ./clearance.db would land here, never in the repository


def entries(tmp_path: Path, lines: list[str] = LINES, header: str = HEADER, name: str = "entries.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run(*args: object, rules: Path | None = FEATURES, law: str | None = "2026-01-01") -> Result:
    opts = ["--no-db", "--workers", "1"]
    opts += ["--rules", str(rules)] if rules else []
    opts += ["--law-as-of", law] if law else []
    return CliRunner().invoke(cli, ["check", *opts, *map(str, args)])


def records(result: Result) -> list[dict]:
    return json.loads(result.stdout)


def one_clean_error(result: Result, *fragments: str, output: bool = False) -> None:
    """Exit 2, one `Error:` line on stderr, no traceback; no output unless the error is found while
    reading (`output`: a table header or an opening `[` may already be out, see the xfail below)."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    if not output:
        assert result.stdout == ""


# formats and the summary ------------------------------------------------------------------------------------


def test_table_ends_with_the_summary_line(tmp_path: Path) -> None:
    result = run(entries(tmp_path))
    assert result.exit_code == 1  # a line is invalid
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 4 + 1
    assert lines[-1] == "4 lines: 2 accept, 1 review, 0 reject; 1 invalid (not checked); total duty 250.00 USD"
    assert " invalid " in lines[3] and lines[3].endswith("value: 'lots' is not a number")  # no duty amount


def test_table_of_several_files_names_each_line_s_file_and_fits_120_columns(tmp_path: Path) -> None:
    long_entry = "ENTRY-2025-000000123456/17"
    a = entries(tmp_path, [*LINES, f"{long_entry.split('/')[0]},17,0101.21.00.00,JP,1000,2025-06-01,1"], name="a.csv")
    b = entries(tmp_path, LINES[:1], name="second-file-with-a-long-name.csv")
    lines = run(a, b).stdout.splitlines()
    assert lines[0].startswith("file ") and lines[1].startswith("a.csv ")
    assert lines[-2].startswith("second-file-w… ")
    assert long_entry in lines[5]  # never cut: the column widens
    assert all(len(line) <= 120 for line in lines[:-1] if long_entry not in line)
    assert "under-declared" in lines[5]  # the error first, not the headings


def test_the_table_colours_verdicts_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from clearance.cli.check_cmd import _options

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _options("reject", ("a",), Terminal()).color
    assert not _options("reject", ("a",), io.StringIO()).color  # a file or a pipe: never
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _options("reject", ("a",), Terminal()).color


def test_json_keeps_decimals_as_strings(tmp_path: Path) -> None:
    result = run(entries(tmp_path), "--format", "json")
    out = records(result)
    assert [r["verdict"] for r in out] == ["accept", "review", "invalid", "accept"]
    assert [r["total_duty"] for r in out] == ["100.00", "100.00", None, "50.00"]
    assert out[0]["duties"] == [
        {
            "measure": "feat.adval",
            "heading": "9901.00.01",
            "rate": "10%",
            "basis": "value",
            "basis_value": "1000",
            "amount": "100.00",
        }
    ]
    assert [r["row"] for r in out] == [1, 2, 3, 4] and {r["file"] for r in out} == {str(tmp_path / "entries.csv")}
    assert result.stderr.splitlines()[-1] == (
        "4 lines: 2 accept, 1 review, 0 reject; 1 invalid (not checked); total duty 250.00 USD"
    )


def test_jsonl_and_csv_have_one_record_per_line(tmp_path: Path) -> None:
    path = entries(tmp_path)
    jsonl = run(path, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["row"] for x in jsonl] == [1, 2, 3, 4]
    rows = list(csv.DictReader(io.StringIO(run(path, "--format", "csv").stdout, newline="")))
    assert [(r["row"], r["verdict"], r["total_duty"]) for r in rows] == [
        ("1", "accept", "100.00"),
        ("2", "review", "100.00"),
        ("3", "invalid", ""),
        ("4", "accept", "50.00"),
    ]


def test_csv_neutralises_formula_injection_while_json_keeps_the_raw_value(tmp_path: Path) -> None:
    path = entries(tmp_path, ['=HYPERLINK("http://x"),@1,0101.21.00.00,JP,1000,2025-06-01,'])
    [row] = list(csv.DictReader(io.StringIO(run(path, "--format", "csv").stdout, newline="")))
    assert (row["entry_number"], row["line_number"]) == ('\'=HYPERLINK("http://x")', "'@1")
    [record] = records(run(path, "--format", "json"))
    assert (record["entry_number"], record["line_number"]) == ('=HYPERLINK("http://x")', "@1")


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run(entries(tmp_path), "--format", "jsonl", "-o", out, "--quiet")
    assert result.exit_code == 1 and result.stdout == "" and result.stderr == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


# options ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("law", "duty"), [("2025-06-30", "0.00"), ("2025-07-01", "50.00"), ("2025-07-02", "50.00")])
def test_law_as_of(tmp_path: Path, law: str, duty: str) -> None:
    out = records(run(entries(tmp_path, LINES[3:]), "--format", "json", law=law))
    assert out[0]["total_duty"] == duty


def test_law_as_of_must_be_a_date(tmp_path: Path) -> None:
    result = run(entries(tmp_path), law="2025-13-01")
    assert result.exit_code == 2 and "'2025-13-01' is not a date YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


def test_destination_applies_to_lines_without_one(tmp_path: Path) -> None:
    path = entries(tmp_path, LINES[:1])
    assert records(run(path, "--format", "json", "--destination", "us"))[0]["verdict"] == "accept"
    jp_line = entries(tmp_path, ["E1,1,0101.21.000,JP,1000,2025-06-01,"], name="jp.csv")
    jp = run(jp_line, "--format", "json", "--destination", "JP")  # the features pack is US only: a usage error
    one_clean_error(jp, "no rule pack for destination 'JP' (packs: US)")
    jp_column = entries(tmp_path, ["JP,0101.21.000,JP,1000,2025-06-01"], "destination,hts_code,origin,value,entry_date")
    [record] = records(jp := run(jp_column, "--format", "json"))  # a line naming a destination no pack covers
    assert (jp.exit_code, record["destination"], record["verdict"], record["total_duty"]) == (1, "JP", "invalid", None)
    assert record["reasons"][0]["message"] == "destination: no rule pack for destination JP"
    with_column = entries(
        tmp_path, ["US,0101210000,JP,1000,2025-06-01"], "destination,hts_code,origin,value,entry_date"
    )
    assert records(run(with_column, "--format", "json", "--destination", "JP", rules=None))[0]["destination"] == "US"


@pytest.mark.parametrize(
    ("lines", "fail_on", "code"),
    [
        (LINES[:1], "reject", 0),
        (LINES[:2], "reject", 0),  # a review does not fail by default
        (LINES[:2], "review", 1),
        (LINES[:1], "review", 0),
        (LINES, "reject", 1),
        (LINES, "review", 1),
    ],
)
def test_exit_codes_and_fail_on(tmp_path: Path, lines: list[str], fail_on: str, code: int) -> None:
    result = run(entries(tmp_path, lines), "--fail-on", fail_on, "--quiet")
    assert result.exit_code == code, result.stderr


def test_input_format_overrides_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "entries.txt"
    rec = {"hts_code": "0101.21.00.00", "origin": "JP", "value": "1000", "entry_date": "2025-06-01"}
    path.write_text(json.dumps([rec, rec | {"value": "2000"}]), encoding="utf-8")
    out = records(run(path, "--format", "json", "--input-format", "json"))
    assert [r["total_duty"] for r in out] == ["100.00", "200.00"]
    jsonl = tmp_path / "entries.data"
    jsonl.write_text(json.dumps(rec) + "\n" + json.dumps(rec | {"origin": "XX"}) + "\n", encoding="utf-8")
    assert [r["verdict"] for r in records(run(jsonl, "--format", "json", "--input-format", "jsonl"))] == [
        "accept",
        "invalid",
    ]
    one_clean_error(run(path, "--format", "json", "--input-format", "csv"), str(path), output=True)


def test_bundled_rules_by_default(tmp_path: Path) -> None:
    path = entries(tmp_path, ["E9,1,8479.89.94,JP,100000,2025-04-15,"])
    [record] = records(run(path, "--format", "json", rules=None, law="2026-01-01"))
    assert record["duties"] and all(d["measure"].startswith("us.") for d in record["duties"])


# malformed input: one record per input line --------------------------------------------------------------------


def test_malformed_lines_each_get_an_invalid_naming_the_column(tmp_path: Path) -> None:
    lines = [
        "E1,1,0101.21.00.00,JP,1000,2025-06-01,",
        "E1,2,0101.21.00.00,XX,1000,2025-06-01,",
        "E1,3,0101.21.00.00,JP,1000,2025-02-30,",
        "E1,4,,JP,1000,2025-06-01,",
        "E1,5,0101.21.00.00,JP,1000",  # a ragged row
        "E1,6,0101.21.00.00,JP,1000,2025-06-01,12;3",
        "E1,7,0101.21.00.00,JP,1000,2025-06-01,",
    ]
    out = records(run(entries(tmp_path, lines), "--format", "json"))
    assert len(out) == len(lines)
    assert [r["verdict"] for r in out] == ["accept", "invalid", "invalid", "invalid", "invalid", "invalid", "accept"]
    assert [r["total_duty"] for r in out] == ["100.00", None, None, None, None, None, "100.00"]  # no duty, not 0
    errors = [[x["rule"] for x in r["reasons"] if x["severity"] == "error"] for r in out]
    assert errors[1:6] == [
        ["input.origin"],
        ["input.entry_date"],
        ["input.hts_code"],
        ["input.row"],
        ["input.declared_duty"],
    ]
    assert out[1]["reasons"][0]["message"] == "origin: 'XX' is not an ISO 3166 alpha-2 country code"


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_lone_surrogates_in_json_input_do_not_crash_the_output(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "entries.jsonl"
    line = '{"entry_number": "\\ud800x", "hts_code": "0101210000", "origin": "JP", "value": "1", '
    path.write_text(line + '"entry_date": "2025-06-01", "note": "\\udfff"}\n', encoding="utf-8")
    result = run(path, "--format", fmt)
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "\ufffdx" in result.stdout


def test_json_numbers_reach_money_without_floats(tmp_path: Path) -> None:
    path = tmp_path / "entries.json"
    path.write_text(
        '[{"hts_code": "0101210000", "origin": "JP", "value": 12345678901234.567, "entry_date": "2025-06-01"}]',
        encoding="utf-8",
    )
    [record] = records(run(path, "--format", "json"))
    assert record["duties"][0]["basis_value"] == "12345678901234.567"


# file and rule-pack errors: exit 2, one line, no traceback ---------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    one_clean_error(run(tmp_path / "nope.csv"), "nope.csv", "no such file")


def test_a_directory(tmp_path: Path) -> None:
    one_clean_error(run(tmp_path), "is a directory")


def test_a_missing_file_after_a_good_one_stops_before_any_output(tmp_path: Path) -> None:
    one_clean_error(run(entries(tmp_path), tmp_path / "nope.csv"), "no such file")


def test_a_file_without_the_hts_code_column(tmp_path: Path) -> None:
    one_clean_error(run(entries(tmp_path, ["a,b"], header="x,y")), "hts_code", output=True)


def _pack(tmp_path: Path, measure: str) -> Path:
    root = tmp_path / "rules"
    root.mkdir()
    (root / "pack.yaml").write_text(
        "id: t\ntitle: t\njurisdiction: US\ncurrency: USD\nminor_unit: 2\n", encoding="utf-8"
    )
    (root / "m.yaml").write_text(f"instrument: T\ncitations: [T]\nmeasures:\n  - {measure}\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("measure", "fragments"),
    [
        ("{id: t.m, title: m, kind: duty, rate: 10%, dates: {from: 2025-01-01}, colour: red}", ["m.yaml", "colour"]),
        ("{id: t.m, title: m, kind: duty, rate: ten, dates: {from: 2025-01-01}}", ["m.yaml", "rate 'ten'"]),
        ("{id: t.m, title: m, kind: duty, rate: 10%, dates: {from: 2025-01-01", ["m.yaml", "invalid YAML"]),
    ],
)
def test_a_broken_rule_pack(tmp_path: Path, measure: str, fragments: list[str]) -> None:
    one_clean_error(run(entries(tmp_path), rules=_pack(tmp_path, measure)), *fragments)


def test_a_rule_pack_durable_rules_cannot_hold(tmp_path: Path) -> None:
    prefixes = ", ".join(f'"{1000 + i}"' for i in range(80))
    rules = _pack(
        tmp_path,
        f"{{id: t.wide, title: w, kind: duty, rate: 1%, dates: {{from: 2025-01-01}}, "
        f"scope: {{codes: {{prefixes: [{prefixes}]}}}}}}",
    )
    one_clean_error(run(entries(tmp_path), rules=rules), "t.wide", "paths", output=True)


def test_a_rule_pack_error_writes_no_partial_output(tmp_path: Path) -> None:
    prefixes = ", ".join(f'"{1000 + i}"' for i in range(80))
    scope = f"scope: {{codes: {{prefixes: [{prefixes}]}}}}"
    measure = f"{{id: t.wide, title: w, kind: duty, rate: 1%, dates: {{from: 2025-01-01}}, {scope}}}"
    result = run(entries(tmp_path), "--format", "json", rules=_pack(tmp_path, measure))
    assert (result.exit_code, result.stdout) == (2, "")


def test_a_missing_rules_folder(tmp_path: Path) -> None:
    one_clean_error(run(entries(tmp_path), rules=tmp_path / "no-rules"), "no-rules")
