"""`clearance hts`: load official HTSUS exports into the SQLite store and look tariff lines up.
Thin shells over `engine.hts`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from clearance.cli.options import db_option, destination_option, parse_date, rules_option
from clearance.cli.output import fail, say
from clearance.engine import PackError, load_rules
from clearance.engine.duty.codes import format_code
from clearance.engine.packs.load import contract_of
from clearance.engine.reference import (
    HtsError,
    HtsLine,
    HtsReference,
    covering_measures,
    import_edition,
)

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
def editions_cmd(db: Path) -> None:
    """List the editions in the store with the date each is in force from."""
    ref = _reference(db)
    for e in ref.editions:
        say(f"{e.name}\tfrom {e.effective}\t{e.lines} lines\t{e.source}\tsha256 {e.sha256[:12]}")


@hts.command("show")
@click.argument("code")
@click.option("--date", "date", callback=parse_date, metavar="DATE", help="Entry date (default: today).")
@db_option(DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@rules_option
@destination_option("The pack whose measures are listed (default: the default pack).")
def show_cmd(
    code: str, date: dt.date | None, db: Path, fmt: str, rules_path: Path | None, destination: str | None
) -> None:
    """Show CODE in the edition in force on --date: the line, its parents, its rates, and the measures of
    the rule pack that cover it on that date."""
    day = date or dt.date.today()
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
    record = _record(ref, line, measures, day)
    if fmt == "json":
        say(json.dumps(record, indent=2))
    else:
        say(_text(record))
    if problem:
        fail(problem)


def _reference(db: Path) -> HtsReference:
    try:
        return HtsReference(db)
    except HtsError as exc:
        fail(str(exc))


def _record(ref: HtsReference, line: HtsLine, measures: list, day: dt.date) -> dict:
    return {
        "code": line.dotted,
        "description": line.description,
        "edition": {"name": line.edition.name, "effective": line.edition.effective.isoformat(), "date": str(day)},
        "parents": [
            {"code": format_code(r.code), "indent": r.indent, "description": r.description} for r in ref.ancestors(line)
        ],
        "units": list(line.units),
        "rates": {
            "general": line.general,
            "general_from": format_code(line.general_from),
            "special": line.special,
            "column2": line.column2,
        },
        "special_programs": line.programs(),
        "quota": line.row.quota,
        "additional": line.row.additional,
        "measures": [
            {
                "id": m.id,
                "kind": m.kind,
                "heading": m.heading,
                "rate": m.rate,
                "origins": m.scope.origins,
                "status": m.status,
                "from": m.dates.from_.isoformat(),
                "until": m.dates.until.isoformat() if m.dates.until else None,
                "title": m.title,
            }
            for m in measures
        ],
    }


def _text(rec: dict) -> str:
    ed = rec["edition"]
    out = [f"{rec['code']}  {rec['description']}", f"  HTSUS {ed['name']} edition (in force from {ed['effective']})"]
    for p in rec["parents"]:
        out.append(f"  {'  ' * p['indent']}{p['code'] or '-'}  {p['description']}")
    r = rec["rates"]
    inherited = f" (from {r['general_from']})" if r["general_from"] != rec["code"] else ""
    out.append(f"unit of quantity: {', '.join(rec['units']) or '-'}")
    out.append(f"general: {r['general'] or '-'}{inherited}")
    out.append(f"special: {r['special'] or '-'}")
    out.append(f"column 2: {r['column2'] or '-'}")
    for label, key in (("quota", "quota"), ("additional duties", "additional")):
        if rec[key]:
            out.append(f"{label}: {rec[key]}")
    out.append(f"measures covering it on {ed['date']}: {len(rec['measures'])}")
    for m in rec["measures"]:
        where = ",".join(m["origins"])
        out.append(f"  {m['id']}  {m['heading'] or '-'}  {m['rate'] or m['kind']}  origins {where}  ({m['title']})")
    return "\n".join(out)
