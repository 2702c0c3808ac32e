"""The `clearance` command. Each command is a thin shell over a library function of the same name."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import TextIO

import click

from clearance.cli.output import OutputGuard, opened, output_option
from clearance.cli.runs_cmd import interrupt_on_sigterm, run_batch, runs
from clearance.cli.shared import fail, parse_date, rules_option
from clearance.engine import PackError
from clearance.engine.entries.readers import FORMATS as INPUT_FORMATS
from clearance.engine.entries.readers import InputFileError
from clearance.engine.match.matcher import MatchError
from clearance.engine.report.formats import FORMATS
from clearance.engine.report.options import FAIL_ON, Options, OutputError
from clearance.engine.run.batch import CHUNK, Batch, BatchError, Progress, Settings, default_workers
from clearance.engine.run.check import NoPackError
from clearance.engine.run.store import StoreError


@click.group(cls=OutputGuard, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance")
def cli() -> None:
    """Check customs entry lines against dated, cited rule packs: a verdict (accept, review,
    reject), the duties measure by measure, and the reasons with their legal citations."""


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*sorted(FORMATS), "none"]),
    default="table",
    show_default=True,
    help="Output format; none prints only the summary (the results are in --db).",
)
@click.option(
    "--law-as-of",
    callback=parse_date,
    metavar="DATE",
    help="Apply only measures published on or before DATE (default: today).",
)
@click.option(
    "--destination",
    type=str,
    help="Importing country (ISO alpha-2) of lines without a destination column (default: the default pack, US).",
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
@output_option("Write results here (not an input file or the database).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option("--chunk-size", type=click.IntRange(min=1), default=CHUNK, show_default=True, help="Lines per work unit.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default="clearance.db",
    show_default=True,
    envvar="CLEARANCE_DB",
    help="Record the run and every line's result in this SQLite database (env CLEARANCE_DB).",
)
@click.option("--no-db", is_flag=True, help="Do not record the run.")
@click.option("--resume", is_flag=True, help="Continue the unfinished run over the same files in --db.")
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
    output: str,
    workers: int | None,
    chunk_size: int,
    db: Path,
    no_db: bool,
    resume: bool,
    quiet: bool,
) -> None:  # type: ignore[no-untyped-def]
    """Check entry FILES (CSV, TSV, JSON array, JSONL or XLSX) and print one result per input line.
    Every run is recorded in --db (see `clearance runs`).

    Exit codes: 0 no line fails; 1 a line fails (reject, or review with --fail-on review);
    2 usage, file or rule-pack error; 130 interrupted (continue with --resume)."""
    settings = Settings(
        rules=rules_path,
        law_as_of=law_as_of,
        destination=destination.upper() if destination else None,
        input_format=input_format,
        encoding=encoding,
        sheet=sheet,
        workers=workers or default_workers(),
        chunk_size=chunk_size,
        reference_db=None if no_db else Path(db),  # HTSUS editions imported into it (`clearance hts import`)
    )
    batch = None
    try:
        with opened(output, [*files, None if no_db else db]) as out:
            batch = Batch(list(files), settings, None if no_db else db, resume=resume, keep_results=fmt != "none")
            if not quiet and sys.stderr.isatty():
                batch.progress = Progress(sum(f.size or 0 for f in batch.files))
            with interrupt_on_sigterm():
                summary = run_batch(batch, fmt, out, _options(fail_on, files, out))
    except (PackError, InputFileError, MatchError, StoreError, BatchError, OutputError, NoPackError) as exc:
        fail(str(exc))
        return
    except KeyboardInterrupt:
        run = batch.run_id if batch else None
        click.echo(
            f"Interrupted: run {run} in {db} is unfinished; continue it with --resume" if run else "Interrupted",
            err=True,
        )
        sys.exit(130)
    if not quiet:
        if fmt != "table":
            click.echo(summary.line(), err=True)
        if batch.run_id is not None:
            click.echo(f"recorded as run {batch.run_id} in {db}", err=True)
    failing = sum(summary.counts.get(v, 0) for v in FAIL_ON[fail_on])
    sys.exit(1 if failing else 0)


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


cli.add_command(runs)


# Commands of their own modules (rule-pack tools), registered here so that `clearance` has them all.
from clearance.cli.explain_cmd import diff, explain  # noqa: E402
from clearance.cli.rules_cmd import rules  # noqa: E402

cli.add_command(rules)
cli.add_command(explain)
cli.add_command(diff)


from clearance.cli.hts_cmd import hts  # noqa: E402

cli.add_command(hts)


if __name__ == "__main__":  # pragma: no cover
    cli()
