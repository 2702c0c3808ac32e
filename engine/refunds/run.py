"""`refunds`: entry files in, every entry's refund sorted by the refund programme the law as of the date knows,
declaration files and their summary out. The lines are checked as `clearance check` checks them (a batch run,
recorded in the run store with the refunds by entry), so the refund of each line is the one its result shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from ..packs.load import load_rules
from ..run.batch import Batch, Settings
from .declarations import Sorted, sort_entries, write_declarations
from .eligibility import decide
from .entries import entries_of, programme_of


class RefundError(Exception):
    """No refund programme applies. The message is one line."""


@dataclass
class RefundRun:
    sorted: Sorted
    run_id: int | None
    lines: int
    invalid: int  # lines that could not be checked
    other: int  # lines of a destination no refund programme covers (left out)
    written: list[Path]


def refunds(
    paths: list[str], settings: Settings, db: Path | None, as_of: dt.date, folder: Path | None = None
) -> RefundRun:
    """Check `paths` under the law as of `as_of`, sort their entries by the refund programme, write the
    declarations and summary into `folder` (if given) and record the run and its refunds in `db` (if given)."""
    found = programme_of(load_rules(settings.rules), as_of)
    if found is None:
        raise RefundError(f"no refund programme is known under the law as of {as_of}")
    jurisdiction, programme = found
    batch = Batch(list(paths), replace(settings, law_as_of=as_of), db, keep_results=True)
    entries, other = entries_of(batch.results(), batch.packs, programme, jurisdiction)
    decided = [(entry, decide(programme, entry, as_of)) for entry in entries.values()]
    result = sort_entries(programme, decided, as_of)
    if batch.store is not None and batch.run_id is not None:
        batch.store.write_refunds(batch.run_id, [_stored(*item) for item in result.entries])
    written = write_declarations(result, folder) if folder is not None else []
    return RefundRun(result, batch.run_id, batch.totals.lines, batch.totals.counts.get("invalid", 0), other, written)


def _stored(entry, decision, declaration: str) -> dict:  # type: ignore[no-untyped-def]
    """An entry's refund as the run store keeps it."""
    return {
        "entry_number": entry.number or None,
        "status": decision.status,
        "rule": decision.rule,
        "phase": decision.phase,
        "refundable": str(entry.refundable) if entry.amount_known else None,
        "currency": entry.currency,
        "deadline": decision.deadline.isoformat() if decision.deadline else None,
        "declaration": declaration or None,
    }
