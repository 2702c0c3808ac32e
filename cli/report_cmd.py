"""`clearance report RUN_ID`: a stored run as one self-contained HTML page. A thin shell over
`engine.report.html_report.report`; `clearance check --report FILE` writes the same page at the end of a run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from clearance.cli.options import ID, RUNS_DB_HELP, db_option, open_store, output_option
from clearance.cli.output import fail, opened
from clearance.engine.report import html_report
from clearance.engine.report.run_queries import RunFigures

LINES_HELP = "Lines listed (with their calculation) per verdict review, reject and invalid; the rest via `runs export`."
lines_option = click.option(
    "--lines", type=click.IntRange(min=0), default=html_report.LINES, show_default=True, help=LINES_HELP
)


@click.command()
@click.argument("run_id", type=ID)
@output_option("Write the HTML page here, e.g. report.html.")
@lines_option
@db_option(RUNS_DB_HELP)
def report(run_id: int, output: str, lines: int, db: Path) -> None:
    """Write run RUN_ID as one HTML page that needs no network: what was checked, verdicts, duty by measure,
    heading and month (charts), declared against computed, top reasons, and the review, reject and invalid
    lines with their calculations."""
    write_report(db, run_id, output, lines)


def write_report(db: Path, run_id: int, output: str, lines: int, inputs: tuple[str, ...] = ()) -> None:
    """The page of run `run_id` of database `db`, written to `output` (never one of `inputs`, nor the database);
    any problem is one line and exit 2."""
    store = open_store(db)
    try:
        figures = RunFigures(store.db, run_id)
    except LookupError:
        fail(f"{db}: no run {run_id}")
    try:
        page = html_report.report(figures, lines, db_name=str(db))
    except (ValueError, sqlite3.Error) as exc:
        fail(f"{db}: cannot report run {run_id}: {exc}")
    with opened(output, [db, *inputs]) as out:
        out.write(page)
