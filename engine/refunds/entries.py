"""Lines into entries: each line's refund (`resolve/refund.py`) summed per entry number, with the entry-level
fields the entry file passes through (the ACE ES-003 reader's names; any entry file with those columns)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..duty.expression import ZERO
from ..packs.load import Pack
from ..packs.programme import RefundProgramme
from ..report.result import Result
from ..resolve.refund import known_programmes, line_refund, paid_of

# the entry-level columns, as the ES-003 reader names them (a result's `extra`)
ENTRY_FIELDS = (
    "entry_type",
    "importer_number",
    "importer_name",
    "entry_summary_date",
    "export_country",
    "liquidation_status",
    "liquidation_date",
    "reconciliation_indicator",
    "protest_number",
    "protest_status",
)


@dataclass
class Entry:
    """One entry's lines, summed: the family's duty computed, the other duty, what was deposited and paid."""

    number: str  # as the file writes it ("" when a line has none: the entry is its line alone)
    currency: str
    first_row: str  # where the entry starts: file and row
    entry_date: str | None = None
    lines: int = 0
    invalid: int = 0  # lines that could not be checked: their duty is not counted
    family_duty: Decimal = ZERO
    other_duty: Decimal = ZERO
    declared: Decimal = ZERO
    refundable: Decimal = ZERO
    estimated: int = 0  # lines with no declared duty: their refund is the computed family duty
    unknown: list[str] = field(default_factory=list)  # why a line's family duty cannot be told from the rest
    schedule: str | None = None  # the reference schedule of the pack (its rates fill in what a line lacks)
    fields: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)  # entry fields its lines disagree on

    def add(self, result: Result, programme: RefundProgramme, pack: Pack) -> None:
        self.lines += 1
        self._fields(result.extra)
        if result.verdict == "invalid" or result.total_duty is None:
            self.invalid += 1
            return
        if result.entry_date and (self.entry_date is None or result.entry_date < self.entry_date):
            self.entry_date = result.entry_date
        family = pack.header.families[programme.family]
        r = line_refund(family, result.duties, paid_of(result))
        if r.unknown is not None:
            self.unknown.append(f"line {result.line_number or result.row}: {r.unknown}")
        self.family_duty += r.family_duty
        self.other_duty += r.other_duty
        self.declared += r.declared or ZERO
        self.refundable += r.refundable
        self.estimated += r.estimated

    @property
    def amount_known(self) -> bool:
        """Whether the entry's refundable amount (and its IEEPA and other duty) can be given as a number."""
        return not self.unknown

    def _fields(self, extra: dict[str, str]) -> None:
        for name in ENTRY_FIELDS:
            value = (extra.get(name) or "").strip()
            if name not in self.fields:
                self.fields[name] = value
            elif self.fields[name] != value and name not in self.conflicts:
                self.conflicts.append(name)


def programme_of(packs: dict[str, Pack], as_of: dt.date) -> tuple[str, RefundProgramme] | None:
    """The refund programme the law as of `as_of` knows (the first, by jurisdiction), and its pack's jurisdiction."""
    for jurisdiction, pack in sorted(packs.items()):
        for programme in known_programmes(pack, as_of):
            return jurisdiction, programme
    return None


def entries_of(
    results: Iterable[Result], packs: dict[str, Pack], programme: RefundProgramme, jurisdiction: str
) -> tuple[dict[str, Entry], int]:
    """The entries of the programme's pack, in the order they first appear, and the number of lines of other
    destinations (left out: no refund programme covers them)."""
    entries: dict[str, Entry] = {}
    other = 0
    pack = packs[jurisdiction]
    for result in results:
        if result.destination != jurisdiction:
            other += 1
            continue
        number = (result.entry_number or "").strip()
        where = f"{result.file or '-'}:{result.row}"
        key = number or f"\0{where}"  # a line with no entry number is an entry of its own
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = Entry(number, result.currency or pack.header.currency, where)
            entry.schedule = pack.header.schedule
        entry.add(result, programme, pack)
    return entries, other
