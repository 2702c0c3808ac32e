"""`clearance rules ...`: tools for the people who maintain the rule packs. Each subcommand is a thin shell
over a library function of the same name (`lint`, `golden_test`, `list_measures`, `show`, `schema`)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from clearance.cli.options import format_option, law_as_of_option, old_date_option, output_option, rules_option
from clearance.cli.output import emit, fail, opened, say
from clearance.engine import PackError, load_rules
from clearance.engine.authoring.catalog import MEASURE_LIST, MEASURE_SHOW, SCHEMA_KINDS, list_measures, schema, show
from clearance.engine.authoring.golden_report import GOLDEN_REPORT, golden_test
from clearance.engine.authoring.lint import LINT_REPORT, LintError, lint
from clearance.engine.authoring.lint_codes import CODES, describe
from clearance.engine.match.matcher import MatchError


@click.group()
def rules() -> None:
    """Lint, test and document the rule packs."""


def _explain(code: str) -> None:
    try:
        say(describe(code).render())
    except KeyError:
        fail(f"unknown finding code {code!r} (codes: {', '.join(CODES)})")


@rules.command("lint")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@format_option(LINT_REPORT.names, "text for people, json for programs, github for GitHub Actions annotations.")
@output_option()
@click.option("--select", metavar="CODES", help="Report only these codes, comma-separated (e.g. CL002,CL004).")
@click.option("--explain", "explain_code", metavar="CODE", help="Print the documentation of a finding code.")
@click.option(
    "--max-age",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="CL014: a pack whose newest published date is older than this is stale (default: the pack's "
    "`stale_after_days`).",
)
def lint_cmd(
    path: Path | None, fmt: str, output: str, select: str | None, explain_code: str | None, max_age: int | None
) -> None:
    """Lint PATH (a rules folder, a pack folder or one file of a pack; default: the shipped rules).

    Every problem with its file, line and code: schema errors, overlapping measures with nothing to decide
    between them, windows that end before they start, unknown lists, measures, documents, origins and
    attributes, tariff-code list entries that are not digits, measures without a citation, unconfirmed
    measures (warnings) and durable-rules limits. Exit codes: 0 clean (warnings allowed), 1 errors,
    2 usage or unreadable path."""
    if explain_code:
        _explain(explain_code)
        return
    codes = {c.strip().upper() for c in select.split(",") if c.strip()} if select else None
    unknown = sorted((codes or set()) - set(CODES))
    if unknown:
        fail(f"unknown finding code(s) {', '.join(unknown)}")
    try:
        report = lint(path, codes, max_age=max_age)
    except LintError as exc:
        fail(str(exc))
    text = LINT_REPORT.emit(report, fmt)
    if text:
        emit(text, output)
    sys.exit(report.exit_code)


@rules.command("rule")
@click.argument("code", required=False)
def rule_cmd(code: str | None) -> None:
    """Document a lint finding CODE (like `ruff rule`), or list every code."""
    if code:
        _explain(code)
        return
    for c in CODES.values():
        say(f"{c.code}  {c.name:<24} {c.severity:<8} {c.summary}")


@rules.command("test")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@law_as_of_option("Law date for cases that name none.")
@click.option("-k", "select", metavar="TEXT", help="Run only the cases whose file::name contains TEXT.")
@format_option(GOLDEN_REPORT.names)
@output_option()
def test_cmd(path: Path | None, law_as_of: dt.date | None, select: str | None, fmt: str, output: str) -> None:
    """Run the golden cases (*.test.yaml) under PATH (default: the shipped rules) and show each failure as
    a diff of expected against got. Exit codes: 0 all pass, 1 a case fails, 2 no cases or a pack error."""
    try:
        outcomes = golden_test(path, law_as_of, select)
    except (PackError, MatchError) as exc:
        fail(str(exc))
    if not outcomes:
        fail(f"no golden case matches {select!r}")
    emit(GOLDEN_REPORT.emit(outcomes, fmt), output)
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


def _packs(rules_path: Path | None) -> dict:
    try:
        return load_rules(rules_path)
    except PackError as exc:
        fail(str(exc))


@rules.command("list")
@rules_option
@law_as_of_option("Only measures in force on DATE (law as of it).")
@old_date_option("--on")
@click.option("--origin", metavar="CODE", help="Only measures whose scope takes in goods of this origin (ISO code).")
@format_option(MEASURE_LIST.names)
@output_option()
def list_cmd(
    rules_path: Path | None,
    law_as_of: dt.date | None,
    old_date: dt.date | None,
    origin: str | None,
    fmt: str,
    output: str,
) -> None:
    """List the measures of the packs: id, kind, heading, rate, dates and status."""
    rows = list_measures(_packs(rules_path), law_as_of or old_date, origin.upper() if origin else None)
    emit(MEASURE_LIST.emit(rows, fmt), output)


@rules.command("show")
@click.argument("measure_id")
@rules_option
@format_option(MEASURE_SHOW.names)
@output_option()
def show_cmd(measure_id: str, rules_path: Path | None, fmt: str, output: str) -> None:
    """Document the measure MEASURE_ID: title, citations, dates, scope, rate, what it excludes and is excluded by."""
    packs = _packs(rules_path)
    try:
        info = show(packs, measure_id)
    except KeyError:
        fail(f"no measure {measure_id!r} (see `clearance rules list`)")
    emit(MEASURE_SHOW.emit(info, fmt), output)


@rules.command("schema")
@click.option("--kind", type=click.Choice(SCHEMA_KINDS), default="all", show_default=True, help="Which file kind.")
@output_option("Write the schema here.")
def schema_cmd(kind: str, output: str) -> None:
    """The JSON Schema of the pack files (from the pydantic models), for editors: pack.yaml, measure files,
    lists/*.yaml and *.test.yaml (`--kind all`, the default, accepts any of them)."""
    with opened(output) as out:
        out.write(json.dumps(schema(kind), indent=2) + "\n")
