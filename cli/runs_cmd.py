"""`clearance runs`: the runs recorded by `clearance check` (list, show, export, import, delete, prune). A thin shell
over `engine.run.store` and `engine.run.history`; the records are printed by `engine.report.runs_report`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import click

from clearance.cli.options import (
    DB_FILE,
    ID,
    RUNS_DB_HELP,
    db_option,
    format_option,
    open_store,
    output_option,
    parse_date,
)
from clearance.cli.output import emit, fail, opened, say
from clearance.engine.report import jsonl_format
from clearance.engine.report.formats import FORMATS
from clearance.engine.report.options import Options
from clearance.engine.report.runs_report import RUN_LIST, RUN_SHOW
from clearance.engine.report.summary import Summary
from clearance.engine.run.dataset import import_dataset
from clearance.engine.run.history import delete_runs, listing, prunable, run_record
from clearance.engine.run.store import Store, StoreError


def _db_path(db: Path | None) -> Path:
    """The database named on the subcommand, else on `runs`, else CLEARANCE_DB, else ./clearance.db."""
    ctx = click.get_current_context()
    parent = ctx.parent.params.get("db") if ctx.parent is not None else None
    return db or parent or Path(DB_FILE)


def _store(db: Path | None) -> Store:
    return open_store(_db_path(db))


@click.group(invoke_without_command=True)
@db_option(RUNS_DB_HELP)
@click.pass_context
def runs(ctx: click.Context, db: Path | None) -> None:
    """The runs recorded by `clearance check`: list them (no subcommand), show, export, import, delete, prune."""
    if ctx.invoked_subcommand is None:
        emit(RUN_LIST.emit(listing(open_store(db)), "text"))


@runs.command("list")
@format_option(RUN_LIST.names)
@output_option()
@db_option(RUNS_DB_HELP, inherit=True)
def list_runs(fmt: str, output: str, db: Path | None) -> None:
    """List the runs: id, status, lines per verdict, total duty, files."""
    store = _store(db)
    emit(RUN_LIST.emit(listing(store), fmt), output, [store.path])


@runs.command()
@click.argument("run_id", type=ID)
@format_option(RUN_SHOW.names)
@output_option()
@db_option(RUNS_DB_HELP, inherit=True)
def show(run_id: int, fmt: str, output: str, db: Path | None) -> None:
    """The summary of run RUN_ID: files, rule packs, verdict counts, duty by measure and heading, top reasons."""
    store = _store(db)
    try:
        run = run_record(store, run_id)
    except StoreError as exc:
        fail(str(exc))
    emit(RUN_SHOW.emit(run, fmt), output, [store.path])


@runs.command()
@click.argument("run_id", type=ID)
@format_option(["jsonl", "json", "csv"], "The output format of `clearance check`.", default="jsonl")
@output_option("Write the lines here (not the database).")
@db_option(RUNS_DB_HELP, inherit=True)
def export(run_id: int, fmt: str, output: str, db: Path | None) -> None:
    """Every stored line of run RUN_ID, in input order, in the output format of `clearance check`."""
    store = _store(db)
    try:
        store.run(run_id)
    except StoreError as exc:
        fail(str(exc))
    with opened(output, [store.path]) as out:
        if fmt == "jsonl":  # rendered from the stored columns, as `check --format jsonl` renders them
            jsonl_format.write_batches(store.batches(run_id), out)
        else:
            FORMATS[fmt](store.records(run_id), out, Summary(), Options())


@runs.command("import")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@db_option("The run database to load it into (created if need be; env CLEARANCE_DB).", inherit=True)
def import_(folder: Path, db: Path | None) -> None:
    """Load a run written with `clearance check --output-dir FOLDER` (a Parquet dataset) into the database as a
    new run, every line and its duty lines, as if the run had been checked with --db."""
    target = _db_path(db)
    try:
        run_id = import_dataset(folder, Store(target))
    except StoreError as exc:
        fail(str(exc))
    say(f"imported {folder} as run {run_id} in {target}")


@runs.command()
@click.argument("run_ids", metavar="ID...", type=ID, nargs=-1, required=True)
@db_option(RUNS_DB_HELP, inherit=True)
def delete(run_ids: tuple[int, ...], db: Path | None) -> None:
    """Delete the runs ID... and every line stored for them (nothing is deleted if one of them is not there)."""
    store = _store(db)
    try:
        delete_runs(store, run_ids)
    except StoreError as exc:
        fail(str(exc))
    say(f"deleted {_runs_named(run_ids)} from {store.path}")


@runs.command()
@click.option("--before", callback=parse_date, metavar="DATE", help="Delete the runs started before DATE.")
@click.option("--keep", type=click.IntRange(min=0), metavar="N", help="Delete all but the newest N runs.")
@db_option(RUNS_DB_HELP, inherit=True)
def prune(before: dt.date | None, keep: int | None, db: Path | None) -> None:
    """Delete old runs: those started before --before DATE, or all but the newest --keep N (never a run
    still marked running). SQLite keeps the freed pages for reuse (VACUUM gives them back to the disk)."""
    if (before is None) == (keep is None):
        fail("give one of --before DATE or --keep N")
    store = _store(db)
    try:
        run_ids = prunable(store, before, keep)
        delete_runs(store, run_ids)
    except StoreError as exc:
        fail(str(exc))
    say(f"deleted {_runs_named(run_ids)} from {store.path}" if run_ids else "no run to delete")


def _runs_named(run_ids: Sequence[int]) -> str:
    return ("run " if len(run_ids) == 1 else "runs ") + ", ".join(map(str, run_ids))
