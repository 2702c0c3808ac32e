"""`clearance hts`: load official HTSUS exports into the SQLite store and look tariff lines up.
Thin shells over `engine.hts`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from clearance.cli.options import (
    db_option,
    destination_option,
    format_option,
    law_as_of_option,
    old_date_option,
    output_option,
    parse_date,
    rules_option,
)
from clearance.cli.output import emit, fail, say
from clearance.engine import PackError, load_rules
from clearance.engine.duty.codes import format_code
from clearance.engine.packs.load import contract_of
from clearance.engine.reference import (
    HtsError,
    HtsReference,
    covering_measures,
    import_edition,
)
from clearance.engine.reference.show import HTS_EDITIONS, HTS_LINE, editions_record, line_record

DB_HELP = "The SQLite store (env CLEARANCE_DB)."


@click.group()
def hts() -> None:
    """The Harmonized Tariff Schedule: import USITC exports (editions chosen by entry date), show a line."""


@hts.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--edition", required=True, help="Name of the edition, e.g. 2026 or 2026-rev1.")
@click.option(
    "--effective",
    required=True,
    callback=parse_date,
    metavar="DATE",
    help="First entry date the edition applies to (it applies until the next edition's date).",
)
@db_option(DB_HELP)
def import_cmd(file: Path, edition: str, effective: dt.date, db: Path) -> None:
    """Load FILE, a USITC HTSUS export (CSV), as one edition. Re-importing a name replaces it."""
    try:
        report = import_edition(db, file, edition, effective)
    except HtsError as exc:
        fail(str(exc))
    say(
        f"imported {report.lines} lines of {file.name} as edition {report.edition} "
        f"(in force from {report.effective}) into {db} in {report.seconds:.2f} s"
    )


@hts.command("editions")
@db_option(DB_HELP)
@format_option(HTS_EDITIONS.names)
@output_option()
def editions_cmd(db: Path, fmt: str, output: str) -> None:
    """List the editions in the store with the date each is in force from."""
    emit(HTS_EDITIONS.emit(editions_record(_reference(db).editions), fmt), output, [db])


@hts.command("show")
@click.argument("code")
@law_as_of_option("The schedule in force and the measures known on DATE (default: today).")
@old_date_option("--date")
@db_option(DB_HELP)
@format_option(HTS_LINE.names)
@output_option()
@rules_option
@destination_option("The pack whose measures are listed (default: the default pack).")
def show_cmd(
    code: str,
    law_as_of: dt.date | None,
    old_date: dt.date | None,
    db: Path,
    fmt: str,
    output: str,
    rules_path: Path | None,
    destination: str | None,
) -> None:
    """Show CODE in the edition in force on --law-as-of: the line, its parents, its rates, and the measures
    of the rule pack that cover it on that date."""
    day = law_as_of or old_date or dt.date.today()
    ref = _reference(db)
    edition = ref.edition_for(day)
    if edition is None:
        fail(f"no HTS edition in force on {day} in {db}")
    line = ref.line(edition, code)
    if line is None:
        near = ", ".join(format_code(c) for c in ref.nearest(code, day))
        fail(f"{code}: not in the {edition.label()}; nearest: {near or 'none'}")
    problem = None
    try:
        packs = load_rules(rules_path)
        pack = packs.get((destination or contract_of([p.header for p in packs.values()]).default or "").upper())
    except PackError as exc:  # still show the line; say why the measures are missing
        pack, problem = None, f"measures not listed: {exc}"
    measures = covering_measures(pack, line.code, day) if pack is not None else []
    emit(HTS_LINE.emit(line_record(ref, line, measures, day), fmt), output, [db])
    if problem:
        fail(problem)


def _reference(db: Path) -> HtsReference:
    try:
        return HtsReference(db)
    except HtsError as exc:
        fail(str(exc))
