"""Declaration files and the summary of what went into each and what was left out, and why.

A declaration is a CSV of the programme's single column (CAPE: `Entry Number`), at most `max_entries` entries,
no entry twice across the files of a run (two spellings of one number are one entry). Only entries claimable on
the as-of date (`claim`) go in; every other entry is in the summary with its status and reason."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..duty.expression import ZERO
from ..packs.programme import STATUSES, RefundProgramme
from .eligibility import Decision
from .entries import Entry


@dataclass
class Declaration:
    name: str
    numbers: list[str] = field(default_factory=list)
    refundable: Decimal = ZERO


@dataclass
class Sorted:
    """The entries of a run, sorted: each with its decision and the declaration it went into (if any)."""

    as_of: dt.date
    programme: RefundProgramme
    entries: list[tuple[Entry, Decision, str]]  # entry, decision, declaration file name ("" if none)
    declarations: list[Declaration]

    def totals(self) -> dict[str, dict]:
        """Entries and refundable amount per status (and currency), in the order of `STATUSES`."""
        out: dict[str, dict] = {s: {"entries": 0, "refundable": {}, "unknown": 0} for s in STATUSES}
        for entry, decision, _ in self.entries:
            row = out[decision.status]
            row["entries"] += 1
            if not entry.amount_known:  # no number: the entry says why
                row["unknown"] += 1
                continue
            row["refundable"][entry.currency] = row["refundable"].get(entry.currency, ZERO) + entry.refundable
        return {s: row for s, row in out.items() if row["entries"]}


def sort_entries(programme: RefundProgramme, entries: list[tuple[Entry, Decision]], as_of: dt.date) -> Sorted:
    """Claims into declarations in input order, `max_entries` each; a number already declared is left out."""
    limit, name = programme.declaration.max_entries, programme.declaration.file_name
    files: list[Declaration] = []
    seen: dict[str, str] = {}
    out = []
    for entry, decision in entries:
        target = ""
        number = decision.entry_number
        if decision.status == "claim" and number is not None:
            if number in seen:
                decision.status, decision.rule = "review", "declared-twice"
                decision.message = f"the same entry as {seen[number]} (already declared): left out"
            else:
                if not files or len(files[-1].numbers) >= limit:
                    files.append(Declaration(name.format(n=len(files) + 1)))
                files[-1].numbers.append(number)
                files[-1].refundable += entry.refundable
                seen[number] = entry.number
                target = files[-1].name
        out.append((entry, decision, target))
    return Sorted(as_of, programme, out, files)


SUMMARY_COLUMNS = (
    "entry_number",
    "declared_as",
    "importer_number",
    "entry_type",
    "entry_date",
    "liquidation_status",
    "liquidation_date",
    "status",
    "phase",
    "rule",
    "refundable",
    "ieepa_duty",
    "other_duty",
    "deposited",
    "currency",
    "deadline",
    "days_left",
    "declaration",
    "lines",
    "reason",
    "checks",
    "citations",
)


def summary_row(entry: Entry, decision: Decision, declaration: str) -> dict[str, str]:
    f = entry.fields
    values = (
        entry.number or f"(no entry number: {entry.first_row})",
        decision.entry_number or "",
        f.get("importer_number", ""),
        f.get("entry_type", ""),
        entry.entry_date or "",
        f.get("liquidation_status", ""),
        f.get("liquidation_date", ""),
        decision.status,
        decision.phase or "",
        decision.rule,
        *((str(entry.refundable), str(entry.family_duty), str(entry.other_duty)) if entry.amount_known else ("",) * 3),
        str(entry.declared) if entry.lines > entry.estimated else "",
        entry.currency,
        decision.deadline.isoformat() if decision.deadline else "",
        "" if decision.days_left is None else str(decision.days_left),
        declaration,
        str(entry.lines),
        decision.message,
        " | ".join(decision.checks),
        "; ".join(decision.citations),
    )
    return dict(zip(SUMMARY_COLUMNS, values, strict=True))


def write_declarations(result: Sorted, folder: Path) -> list[Path]:
    """The declaration CSVs (the programme's one column), then the summary as CSV and JSON. Returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    column = result.programme.declaration.column
    for declaration in result.declarations:
        path = folder / declaration.name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow([column])
            writer.writerows([n] for n in declaration.numbers)
        written.append(path)
    rows = [summary_row(*item) for item in result.entries]
    path = folder / "refunds-summary.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    written.append(path)
    path = folder / "refunds-summary.json"
    path.write_text(json.dumps(summary_json(result, rows), indent=2) + "\n", encoding="utf-8")
    written.append(path)
    return written


def summary_json(result: Sorted, rows: list[dict[str, str]]) -> dict:
    p = result.programme
    return {
        "as_of": result.as_of.isoformat(),
        "programme": {"id": p.id, "title": p.title, "citations": p.citations, "notes": p.notes},
        "totals": {
            status: {
                "entries": t["entries"],
                "refundable": {c: str(v) for c, v in t["refundable"].items()},
                **({"amount_unknown": t["unknown"]} if t["unknown"] else {}),  # entries with no number (review)
            }
            for status, t in result.totals().items()
        },
        "declarations": [
            {
                "file": d.name,
                "entries": len(d.numbers),
                "refundable": str(d.refundable),
                "lines": [r for r in rows if r["declaration"] == d.name],
            }
            for d in result.declarations
        ],
        "left_out": [r for r in rows if not r["declaration"]],
    }
