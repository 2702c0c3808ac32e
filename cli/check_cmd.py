"""`clearance check`: a thin shell over the library function of the same name, `clearance.engine.check`
(engine/run/batch.py: worker processes, the run database, the results in the format asked for)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from clearance.cli.options import (
    Choice,
    columns_option,
    connect_timeout_option,
    date_order_option,
    db_option,
    destination_option,
    executor_option,
    law_as_of_option,
    output_dir_option,
    output_option,
    rules_option,
    scheduler_option,
)
from clearance.cli.output import fail, opened
from clearance.cli.progress import Progress
from clearance.cli.report_cmd import write_report
from clearance.engine import PackError
from clearance.engine.entries.headers import ColumnMapError, user_map
from clearance.engine.entries.readers import FORMATS as INPUT_FORMATS
from clearance.engine.entries.readers import InputFileError
from clearance.engine.match.matcher import MatchError
from clearance.engine.report.formats import FORMATS
from clearance.engine.report.html_report import LINES
from clearance.engine.report.options import FAIL_ON, Options, OutputError
from clearance.engine.run.batch import CHUNK, BatchError, Interrupted, Settings
from clearance.engine.run.batch import check as check_entries
from clearance.engine.run.check import NoPackError
from clearance.engine.run.dataset import RunDataset
from clearance.engine.run.store import StoreError
from clearance.engine.run.workers import default_workers


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=Choice([*FORMATS, "none"], aliases={"table": "text"}),
    default="text",
    show_default=True,
    help="Output format; none prints only the summary (the results are in --db).",
)
@law_as_of_option("Apply only measures published on or before DATE (default: today).")
@destination_option(
    "Importing country (ISO alpha-2) of lines without a destination column (default: the default pack, US)."
)
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_ON)),
    default="reject",
    show_default=True,
    help="Exit 1 when a line gets this verdict (review also fails on reject).",
)
@rules_option
@click.option(
    "--input-format",
    type=click.Choice(list(INPUT_FORMATS)),
    default=None,
    help="Input format (default: from the file name; standard input '-' is CSV).",
)
@click.option("--encoding", default=None, help="Text encoding of CSV/TSV/JSON (default: UTF-8 or Shift-JIS, detected).")
@click.option("--sheet", default=None, help="XLSX sheet to read (default: the first).")
@date_order_option
@columns_option
@output_option("Write results here (not an input file or the database).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores); with --executor dask, of the local cluster.",
)
@click.option("--chunk-size", type=click.IntRange(min=1), default=CHUNK, show_default=True, help="Lines per work unit.")
@executor_option
@scheduler_option
@connect_timeout_option
@output_dir_option
@db_option("Record the run and every line's result in this SQLite database (env CLEARANCE_DB).")
@click.option("--no-db", is_flag=True, help="Do not record the run.")
@click.option("--resume", is_flag=True, help="Continue the unfinished run over the same files in --db.")
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Also write the run's HTML page here (as `clearance report RUN_ID -o FILE`).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on standard error.")
def check(
    files: tuple[str, ...],
    fmt: str,
    law_as_of: dt.date | None,
    destination: str | None,
    fail_on: str,
    rules_path: Path | None,
    input_format: str | None,
    encoding: str | None,
    sheet: str | None,
    date_order: str | None,
    columns_file: Path | None,
    column_pairs: tuple[str, ...],
    output: str,
    workers: int | None,
    chunk_size: int,
    executor: str,
    scheduler: str | None,
    connect_timeout: float,
    output_dir: Path | None,
    db: Path,
    no_db: bool,
    resume: bool,
    report_file: str | None,
    quiet: bool,
) -> None:
    """Check entry FILES (CSV, TSV, JSON array, JSONL, XLSX, or an ACE ES-003 report) and print one result
    per input line (an ES-003 entry line). Every run is recorded in --db (see `clearance runs`).

    Exit codes: 0 no line fails; 1 a line fails (reject or invalid, or review with --fail-on review);
    2 usage, file or rule-pack error; 130 interrupted (continue with --resume)."""
    if scheduler is not None and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    if output_dir is not None and resume:
        raise click.UsageError("--resume continues a run in --db, not one written to --output-dir")
    try:
        columns = user_map(column_pairs, columns_file)
    except ColumnMapError as exc:
        fail(str(exc))
    settings = Settings(
        rules=rules_path,
        law_as_of=law_as_of,
        destination=destination.upper() if destination else None,
        input_format=input_format,
        encoding=encoding,
        sheet=sheet,
        columns=columns.user or None,
        date_order=date_order,
        workers=workers or default_workers(),
        chunk_size=chunk_size,
        reference_db=None if no_db else Path(db),  # HTSUS editions imported into it (`clearance hts import`)
        executor=executor,
        scheduler=scheduler,
        connect_timeout=connect_timeout,
    )
    if report_file is not None and no_db:
        fail("--report needs the run database: drop --no-db")
    if report_file is not None and output_dir is not None:
        fail("--report needs the run database: import the --output-dir run first (clearance runs import)")
    try:
        store = RunDataset(output_dir) if output_dir is not None else None if no_db else db
        with opened(output, [*files, None if no_db else db]) as out, interrupt_on_sigterm():
            run = check_entries(
                list(files),
                settings,
                out,
                fmt,
                _options(fail_on, files, out),
                db=store,
                resume=resume,
                progress=Progress if not quiet and sys.stderr.isatty() else None,
            )
    except (PackError, InputFileError, MatchError, StoreError, BatchError, OutputError, NoPackError) as exc:
        fail(str(exc))
    except Interrupted as exc:
        click.echo(_interrupted(exc.run_id, db, output_dir), err=True)
        sys.exit(130)
    if not quiet:
        if fmt != "text":
            click.echo(run.summary.line(), err=True)
        if output_dir is not None:
            click.echo(f"written to {output_dir} (load it with: clearance runs import {output_dir})", err=True)
        elif run.run_id is not None:
            click.echo(f"recorded as run {run.run_id} in {db}", err=True)
    if report_file is not None and run.run_id is not None:
        write_report(Path(db), run.run_id, report_file, LINES, files)
    failing = sum(run.summary.counts.get(v, 0) for v in FAIL_ON[fail_on])
    sys.exit(1 if failing else 0)


def _interrupted(run: int | None, db: Path, output_dir: Path | None) -> str:
    if run is None:
        return "Interrupted"
    if output_dir is not None:
        return f"Interrupted: the run written to {output_dir} is unfinished"
    return f"Interrupted: run {run} in {db} is unfinished; continue it with --resume"


def _options(fail_on: str, files: tuple[str, ...], output: TextIO) -> Options:
    """Colours and the terminal's width on a terminal (colours not with NO_COLOR); 120 columns elsewhere."""
    terminal = bool(getattr(output, "isatty", lambda: False)())  # a file opened by -o is never a terminal
    return Options(
        failing=FAIL_ON[fail_on],
        files=len(files),
        color=terminal and not os.environ.get("NO_COLOR"),
        width=max(80, shutil.get_terminal_size((120, 24)).columns) if terminal else 120,
        step_summary=os.environ.get("GITHUB_STEP_SUMMARY"),
    )


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM stops a run like Ctrl-C does: the run is marked interrupted and can be resumed."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
