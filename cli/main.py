"""The `clearance` command. Each command is a thin shell over a library function of the same name."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from clearance.engine import Checker, PackError, load_rules
from clearance.engine.check import check_files
from clearance.engine.formats import FORMATS, write
from clearance.engine.match import MatchError
from clearance.engine.readers import InputFileError

FAIL_ON = {"reject": ("reject",), "review": ("reject", "review")}


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def fail(message: str) -> None:
    """One clear line on stderr and exit code 2: never a traceback."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance")
def cli() -> None:
    """Check customs entry lines against dated, cited rule packs: a verdict (accept, review,
    reject), the duties measure by measure, and the reasons with their legal citations."""


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--law-as-of",
    callback=_date,
    metavar="DATE",
    help="Apply only measures published on or before DATE (default: today).",
)
@click.option(
    "--destination",
    type=click.Choice(["US", "JP"], case_sensitive=False),
    help="Importing country for lines without a destination column (default US).",
)
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_ON)),
    default="reject",
    show_default=True,
    help="Exit 1 when a line gets this verdict (review also fails on reject).",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Rules folder (default: the packs shipped with clearance).",
)
@click.option(
    "--input-format",
    type=click.Choice(["csv", "json", "jsonl"]),
    default=None,
    help="Input format (default: from the file name; standard input '-' is CSV).",
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write results here (default: standard output).",
)
def check(
    files: tuple[str, ...],
    fmt: str,
    law_as_of: dt.date | None,
    destination: str | None,
    fail_on: str,
    rules_path: Path | None,
    input_format: str | None,
    output,
) -> None:  # type: ignore[no-untyped-def]
    """Check entry FILES (CSV, JSON array or JSONL) and print one result per input line.

    Exit codes: 0 no line fails; 1 a line fails (reject, or review with --fail-on review);
    2 usage, file or rule-pack error."""
    try:
        checker = Checker(load_rules(rules_path), law_as_of, destination.upper() if destination else None)
        summary = write(fmt, check_files(files, checker, input_format), output)
    except (PackError, InputFileError, MatchError) as exc:
        fail(str(exc))
        return
    if fmt != "table":
        click.echo(summary.line(), err=True)
    failing = sum(summary.counts[v] for v in FAIL_ON[fail_on])
    sys.exit(1 if failing else 0)


# Commands of their own modules (rule-pack tools), registered here so that `clearance` has them all.
from clearance.cli.explain_cmd import diff, explain  # noqa: E402
from clearance.cli.rules_cmd import rules  # noqa: E402

cli.add_command(rules)
cli.add_command(explain)
cli.add_command(diff)


if __name__ == "__main__":  # pragma: no cover
    cli()
