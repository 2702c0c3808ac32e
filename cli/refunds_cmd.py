"""`clearance refunds`: a thin shell over `engine.refunds.run.refunds`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from clearance.cli.options import date_order_option, db_option, parse_date, rules_option
from clearance.cli.output import fail, printable, say
from clearance.engine import PackError
from clearance.engine.entries.readers import FORMATS as INPUT_FORMATS
from clearance.engine.entries.readers import InputFileError
from clearance.engine.match.matcher import MatchError
from clearance.engine.refunds import run as library
from clearance.engine.refunds.declarations import Declaration, Sorted
from clearance.engine.refunds.entries import Entry
from clearance.engine.run.batch import BatchError, Settings
from clearance.engine.run.check import NoPackError
from clearance.engine.run.store import StoreError
from clearance.engine.run.workers import WorkerError, default_workers


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--as-of", callback=parse_date, metavar="DATE", help="Sort the entries on DATE (default: today).")
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the declaration CSVs and the summary (CSV and JSON) into this folder.",
)
@rules_option
@click.option("--input-format", type=click.Choice(list(INPUT_FORMATS)), default=None, help="Input format.")
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV/JSON.")
@click.option("--sheet", default=None, help="XLSX sheet to read (default: the first).")
@date_order_option
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@db_option("Record the run and its refunds in this SQLite database (and read HTSUS editions from it).")
@click.option("--no-db", is_flag=True, help="Do not record the run.")
def refunds(
    files: tuple[str, ...],
    as_of: dt.date | None,
    folder: Path | None,
    rules_path: Path | None,
    input_format: str | None,
    encoding: str | None,
    sheet: str | None,
    date_order: str | None,
    workers: int | None,
    db: Path,
    no_db: bool,
) -> None:
    """What each entry of FILES (an ACE ES-003 report or any entry file) can claim back of the IEEPA duties it
    paid: its status (claim, later, protest, excluded, review, none), the rule and reason, the deadline, and
    with -o the CAPE declaration files (at most 9,999 entries each) and a summary of what went into each and
    what was left out and why.

    Exit codes: 0 every line was read; 1 some line could not be read (its entry is `review`); 2 usage, file,
    rule-pack or database error."""
    day = as_of or dt.date.today()
    settings = Settings(
        rules=rules_path,
        input_format=input_format,
        encoding=encoding,
        sheet=sheet,
        date_order=date_order,
        workers=workers or default_workers(),
        reference_db=None if no_db else db,
    )
    try:
        run = library.refunds(list(files), settings, None if no_db else db, day, folder)
    except (PackError, InputFileError, MatchError, StoreError, BatchError, WorkerError, NoPackError) as exc:
        fail(str(exc))
        return
    except library.RefundError as exc:
        fail(str(exc))
        return
    except OSError as exc:  # the output folder cannot be made or written
        fail(str(exc))
        return
    if folder is None:
        _entries(run.sorted)
    _totals(run)
    if run.run_id is not None:
        click.echo(f"recorded as run {run.run_id} in {db}", err=True)
    sys.exit(1 if run.invalid else 0)


def _entries(result: Sorted) -> None:
    say(f"{'entry':<16} {'status':<9} {'phase':<8} {'refundable':>14} {'deadline':<10} {'left':>5}  reason")
    for entry, d, _ in result.entries:
        deadline = d.deadline.isoformat() if d.deadline else ""
        left = "" if d.days_left is None else str(d.days_left)
        reason = d.message + "".join(f"; check: {c}" for c in d.checks)
        say(
            f"{printable(entry.number or '-'):<16} {d.status:<9} {d.phase or '':<8} "
            f"{_amount(entry):>14} {deadline:<10} {left:>5}  {printable(reason)[:160]}"
        )


def _amount(entry: Entry) -> str:
    return f"{entry.refundable:,}" if entry.amount_known else "unknown"


def _whose(d: Declaration) -> str:
    """` (importer of record 00-0000001AA Name)`, or nothing when the file names no importer."""
    if not d.importer:
        return ""
    return f" (importer of record {printable(' '.join(filter(None, (d.importer, d.importer_name))))})"


def _totals(run: library.RefundRun) -> None:
    result = run.sorted
    entries, lines = len(result.entries), run.lines
    say(f"refunds as of {result.as_of} under {result.programme.id}: {entries:,} entries, {lines:,} lines")
    for status, t in result.totals().items():
        amounts = ", ".join(f"{v:,} {c}" for c, v in t["refundable"].items())
        if t["unknown"]:
            amounts += f"{'; ' if amounts else ''}{t['unknown']:,} with no amount (their duty cannot be split)"
        say(f"  {status:<9} {t['entries']:>9,} entries  {amounts}")
    for d in result.declarations:
        say(f"  declaration {d.name}{_whose(d)}: {len(d.numbers):,} entries, {d.refundable:,} refundable")
    if result.programme.interest is not None and any(e.refundable > 0 for e, _, _ in result.entries):
        say(f"  interest: not computed ({result.programme.interest.status}): {result.programme.interest.message}")
    if run.invalid:
        say(f"  {run.invalid:,} lines could not be read (their entries are `review`)")
    if run.other:
        say(f"  {run.other:,} lines of destinations no refund programme covers (left out)")
    for path in run.written:
        say(f"  wrote {printable(str(path))}")
