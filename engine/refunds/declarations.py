"""Declaration files and the summary of what went into each and what was left out, and why.

A declaration is a CSV of the programme's single column (CAPE: `Entry Number`), at most `max_entries` entries,
no entry twice across the files of a run (two spellings of one number are one entry). Only entries claimable on
the as-of date (`claim`) go in; every other entry is in the summary with its status and reason."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
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
    importer: str = ""  # the importer of record whose entries it holds ("" when the file names none)
    importer_name: str = ""
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
    """Claims into declarations in input order, `max_entries` each; a number already declared is left out.
    When the programme files a declaration per importer and the entries name their importer (`importer_number`),
    each importer's claims go into files of their own; a claim that names none among them is left out (review)."""
    spec = programme.declaration
    per_importer = spec.importer_file_name is not None and any(e.fields.get("importer_number") for e, _ in entries)
    files: list[Declaration] = []
    by_importer: dict[str, list[Declaration]] = {}
    names = _FileNames()
    seen: dict[str, str] = {}
    out = []
    for entry, decision in entries:
        target = ""
        number = decision.entry_number
        importer = entry.fields.get("importer_number", "") if per_importer else ""
        if decision.status == "claim" and number is not None:
            if number in seen:
                decision.status, decision.rule = "review", "declared-twice"
                decision.message = f"the same entry as {seen[number]} (already declared): left out"
            elif per_importer and not importer:
                decision.status, decision.rule = "review", "no-importer"
                decision.message = (
                    "the file names other entries' importer of record but not this one's; a declaration is filed "
                    "for one importer: left out (give its importer_number)"
                )
            else:
                own = by_importer.setdefault(importer, [])
                if not own or len(own[-1].numbers) >= spec.max_entries:
                    name = names.name(spec.importer_file_name if importer else spec.file_name, importer, len(own) + 1)
                    own.append(Declaration(name, importer, entry.fields.get("importer_name", "")))
                    files.append(own[-1])
                own[-1].numbers.append(number)
                own[-1].refundable += entry.refundable
                seen[number] = entry.number
                target = own[-1].name
        out.append((entry, decision, target))
    return Sorted(as_of, programme, out, files)


class _FileNames:
    """File names from the programme's pattern: the importer written as a file name can (letters, digits, `-`),
    two importers that would write the same name told apart."""

    def __init__(self) -> None:
        self.written: dict[str, str] = {}  # importer -> as written in names

    def name(self, pattern: str | None, importer: str, n: int) -> str:
        assert pattern is not None
        if importer not in self.written:
            safe = re.sub(r"[^A-Za-z0-9-]+", "_", importer).strip("_") or "importer"
            written, k = safe, 1
            while written in self.written.values():
                k += 1
                written = f"{safe}-{k}"
            self.written[importer] = written
        return pattern.format(importer=self.written[importer], n=n)


SUMMARY_COLUMNS = (
    "entry_number",
    "declared_as",
    "importer_number",
    "importer_name",
    "entry_type",
    "entry_date",
    "liquidation_status",
    "liquidation_date",
    "status",
    "phase",
    "rule",
    "refundable",
    "interest",
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


def interest_note(programme: RefundProgramme, entry: Entry) -> str:
    """What the summary says of the entry's interest: never a number while its rate is unconfirmed."""
    if programme.interest is None or not entry.amount_known or entry.refundable <= 0:
        return ""
    return f"review: not computed ({programme.interest.status})"


def summary_row(programme: RefundProgramme, entry: Entry, decision: Decision, declaration: str) -> dict[str, str]:
    f = entry.fields
    values = (
        entry.number or f"(no entry number: {entry.first_row})",
        decision.entry_number or "",
        f.get("importer_number", ""),
        f.get("importer_name", ""),
        f.get("entry_type", ""),
        entry.entry_date or "",
        f.get("liquidation_status", ""),
        f.get("liquidation_date", ""),
        decision.status,
        decision.phase or "",
        decision.rule,
        str(entry.refundable) if entry.amount_known else "",
        interest_note(programme, entry),
        *((str(entry.family_duty), str(entry.other_duty)) if entry.amount_known else ("",) * 2),
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
    rows = [summary_row(result.programme, *item) for item in result.entries]
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
        "programme": {
            "id": p.id,
            "title": p.title,
            "citations": p.citations,
            "interest": None if p.interest is None else p.interest.model_dump(),
            "notes": p.notes,
        },
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
                **({"importer_number": d.importer, "importer_name": d.importer_name} if d.importer else {}),
                "entries": len(d.numbers),
                "refundable": str(d.refundable),
                "lines": [r for r in rows if r["declaration"] == d.name],
            }
            for d in result.declarations
        ],
        "left_out": [r for r in rows if not r["declaration"]],
    }
