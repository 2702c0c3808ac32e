"""`clearance diff`: a thin shell over `engine.authoring.diff.diff`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clearance.cli.options import RULES_PATH, destination_option, format_option, output_option, parse_date
from clearance.cli.output import emit, fail
from clearance.engine import Checker, PackError, load_rules
from clearance.engine.authoring.diff import DIFF_REPORT
from clearance.engine.authoring.diff import diff as diff_lines
from clearance.engine.entries.readers import FORMATS as INPUT_FORMATS
from clearance.engine.entries.readers import InputFileError
from clearance.engine.match.matcher import MatchError
from clearance.engine.run.check import NoPackError


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--law-as-of", "laws", multiple=True, metavar="DATE", help="Give twice: the law as of A, then B.")
@click.option("--rules", "rules", multiple=True, type=RULES_PATH, help="Give twice: rules A, then B.")
@destination_option("Importing country.")
@click.option("--input-format", type=click.Choice(list(INPUT_FORMATS)), help="Input format of the FILES.")
@format_option(DIFF_REPORT.names)
@output_option()
@click.option("--exit-code", is_flag=True, help="Exit 1 when some line changes (like git diff --exit-code).")
def diff(
    files: tuple[str, ...],
    laws: tuple[str, ...],
    rules: tuple[Path, ...],
    destination: str | None,
    input_format: str | None,
    fmt: str,
    output: str,
    exit_code: bool,
) -> None:
    """What changes for the lines of FILES between two states of the law, per line and in total: duty
    deltas (refunds and extra liability), verdict changes, and the measures responsible, with citations.
    The two states are two --law-as-of dates, two --rules folders, or both (one of each applies to both sides).

    Exit codes: 0 (with --exit-code: no line changed); 1 with --exit-code, some line changed; 2 usage,
    file or rule-pack error."""
    if len(laws) > 2 or len(rules) > 2 or (len(laws) < 2 and len(rules) < 2):
        fail("give two states: --law-as-of A --law-as-of B, and/or --rules A --rules B")
    dates = [parse_date(None, None, x) for x in laws] or [None]
    folders = list(rules) or [None]
    dest = destination.upper() if destination else None
    states = [(dates[0], folders[0]), (dates[-1], folders[-1])]
    labels = tuple(f"law as of {law or 'today'}" + (f", rules {folder}" if folder else "") for law, folder in states)
    try:
        checkers = [Checker(load_rules(folder), law, dest) for law, folder in states]
        report = diff_lines(files, checkers[0], checkers[1], input_format, labels)  # type: ignore[arg-type]
    except (PackError, InputFileError, MatchError, NoPackError) as exc:
        fail(str(exc))
    emit(DIFF_REPORT.emit(report, fmt), output, files)
    sys.exit(1 if exit_code and report.lines else 0)
