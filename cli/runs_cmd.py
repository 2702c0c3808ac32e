"""`clearance runs`: the runs recorded by `clearance check` (list, show, export). A thin shell over
`engine.run.store`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click

from clearance.cli.options import DB_FILE, ID, db_option, output_option
from clearance.cli.output import fail, opened, printable, say
from clearance.engine.report.formats import FORMATS
from clearance.engine.report.options import Options
from clearance.engine.report.summary import CHECKED, Summary
from clearance.engine.run.store import Store, StoreError


def _open(db: Path) -> Store:
    if not db.is_file():
        fail(f"{db}: no run database (run `clearance check` first, or give --db)")
    try:
        return Store(db)
    except StoreError as exc:
        fail(str(exc))
        raise  # unreachable: _fail exits


DB_HELP = "The run database (env CLEARANCE_DB)."


def _store(db: Path | None) -> Store:
    """The database named on the subcommand, else on `runs`, else CLEARANCE_DB, else ./clearance.db."""
    ctx = click.get_current_context()
    parent = ctx.parent.params.get("db") if ctx.parent is not None else None
    return _open(db or parent or Path(DB_FILE))


@click.group(invoke_without_command=True)
@db_option(DB_HELP)
@click.pass_context
def runs(ctx: click.Context, db: Path | None) -> None:
    """The runs recorded by `clearance check`: list them (no subcommand), show one, export one."""
    if ctx.invoked_subcommand is None:
        _list(_open(db))


@runs.command("list")
@db_option(DB_HELP, inherit=True)
def list_runs(db: Path | None) -> None:
    """List the runs: id, status, lines per verdict, total duty, files."""
    _list(_store(db))


def _list(store: Store) -> None:
    say(
        f"{'id':>4}  {'started':<25} {'status':<11} {'law as of':<10} {'lines':>9} {'accept':>9} "
        f"{'review':>9} {'reject':>9} {'invalid':>9}  duty / files"
    )
    for run in store.runs():
        files = store.files(run["id"])
        names = ", ".join(printable(f["path"]) for f in files[:2]) + (f" (+{len(files) - 2})" if len(files) > 2 else "")
        duty = ", ".join(f"{v} {k}" for k, v in json.loads(run["duty"]).items()) or "0"
        say(
            f"{run['id']:>4}  {run['started']:<25} {_status(run):<11} {run['law_as_of']:<10} {run['lines']:>9,} "
            f"{run['accept']:>9,} {run['review']:>9,} {run['reject']:>9,} {run['invalid']:>9,}  {duty}; {names}"
        )


def _status(run: dict) -> str:
    return "finished" if run["finished"] else f"{run['status']}*" if run["status"] == "running" else run["status"]


@runs.command()
@click.argument("run_id", type=ID)
@db_option(DB_HELP, inherit=True)
def show(run_id: int, db: Path | None) -> None:
    """A run's summary: files, rule packs, verdict counts, duty by measure and heading, top reasons."""
    store = _store(db)
    try:
        run = store.run(run_id)
    except StoreError as exc:
        fail(str(exc))
        return
    say(f"run {run_id}: {_status(run)}; started {run['started']}, finished {run['finished'] or '-'}")
    say(f"law as of {run['law_as_of']}; clearance {run['version']}; rules {printable(run['rules'])}")
    for pack in json.loads(run["rule_packs"]):
        say(f"  pack {pack['id']} ({pack['jurisdiction']}) content sha256 {pack['content_hash']}")
    for f in store.files(run_id):
        say(f"  file {printable(f['path'])}: {f['lines']:,} lines stored; sha256 {f['sha256'] or '-'}")
    counts = ", ".join(f"{run[v]:,} {v}" for v in CHECKED) + (f"; {run['invalid']:,} invalid" if run["invalid"] else "")
    duty = ", ".join(f"{v} {k}" for k, v in json.loads(run["duty"]).items()) or "0"
    others = "".join(
        f"; total {kind} " + ", ".join(f"{v} {k}" for k, v in sums.items())
        for kind in ("taxes", "fees")
        if (sums := json.loads(run[kind]))
    )
    say(f"{run['lines']:,} lines: {counts}; total duty {duty}{others}")
    rows = store.duty_by_measure(run_id)
    say(f"\nduty by measure and heading ({len(rows)}):")
    for r in _top_by_measure(rows):
        say(f"  {r['measure']:<44} {r['heading']:<14} {r['lines']:>9,} lines {r['amount']:>18} {r['currency']}")
    say("\ntop reasons (errors and warnings):")
    for r in store.top_reasons(run_id):
        say(f"  {r['lines']:>9,}  {r['severity']:<7} {r['rule']:<32} e.g. {printable(r['example'])[:100]}")


def _top_by_measure(rows: list[dict]) -> list[dict]:
    """Every measure with its most frequent headings (a measure charged under each line's own code,
    like the general rate, would otherwise list every code), then one total line per measure."""
    out: list[dict] = []
    by_measure: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_measure.setdefault((r["measure"], r["currency"]), []).append(r)
    for (measure, currency), group in by_measure.items():
        out.extend(group[:3])
        if len(group) > 3:
            rest = group[3:]
            amount = sum((r["amount"] for r in rest), start=Decimal(0))
            out.append(
                {
                    "measure": measure,
                    "heading": f"+{len(rest)} more",
                    "currency": currency,
                    "amount": amount,
                    "lines": sum(r["lines"] for r in rest),
                }
            )
    return out


@runs.command()
@click.argument("run_id", type=ID)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True)
@output_option("Write the lines here (not the database).")
@db_option(DB_HELP, inherit=True)
def export(run_id: int, fmt: str, output: str, db: Path | None) -> None:
    """Every stored line of a run, in input order, in the output format of `clearance check`."""
    store = _store(db)
    try:
        store.run(run_id)
    except StoreError as exc:
        fail(str(exc))
        return
    with opened(output, [store.path]) as out:
        FORMATS[fmt](store.records(run_id), out, Summary(), Options())
