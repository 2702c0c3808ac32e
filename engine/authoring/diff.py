"""`clearance diff`: what changes, line by line and in total, between two states of the law: two
`--law-as-of` dates (a retroactive correction, a new proclamation) or two rules folders.

Each line is checked under both states (two `Checker`s over one read of the input); duty lines are
matched by measure and heading. A removed duty names the measure that excluded it, or says it is not in
force; the measures responsible for each change are given with their citations."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..duty.codes import format_code
from ..duty.expression import ZERO, round_money
from ..entries.readers import read_records
from ..report.emit import text_and_json
from ..report.result import Result
from ..resolve.amount import cite
from ..run.check import Checker


@dataclass
class DutyChange:
    sign: str  # "+" added, "-" removed, "~" amount changed
    heading: str
    measure: str
    before: Decimal | None
    after: Decimal | None
    why: str


@dataclass
class LineDiff:
    file: str
    a: Result
    b: Result
    changes: list[DutyChange] = field(default_factory=list)
    responsible: dict[str, str] = field(default_factory=dict)  # measure id -> citation

    @property
    def delta(self) -> Decimal:
        if self.a.total_duty is None or self.b.total_duty is None:  # an invalid line has no duty to compare
            return ZERO
        return self.b.total_duty - self.a.total_duty

    @property
    def changed(self) -> bool:
        return bool(self.changes) or self.delta != 0 or self.a.verdict != self.b.verdict


@dataclass
class DiffReport:
    label_a: str
    label_b: str
    lines: list[LineDiff] = field(default_factory=list)  # changed lines only
    count: int = 0
    refunds: dict[str, Decimal] = field(default_factory=dict)  # currency -> total of decreases
    extra: dict[str, Decimal] = field(default_factory=dict)  # currency -> total of increases
    minor_units: dict[str, int] = field(default_factory=dict)  # currency -> decimals

    def total(self, kind: str, currency: str) -> Decimal:
        amount = (self.refunds if kind == "refunds" else self.extra).get(currency, ZERO)
        return round_money(amount, self.minor_units.get(currency, 2))

    def add(self, d: LineDiff) -> None:
        self.count += 1
        if not d.changed:
            return
        self.lines.append(d)
        cur = d.b.currency
        if d.delta < 0:
            self.refunds[cur] = self.refunds.get(cur, ZERO) - d.delta
        elif d.delta > 0:
            self.extra[cur] = self.extra.get(cur, ZERO) + d.delta


def _citation(checker: Checker, destination: str | None, measure_id: str) -> str | None:
    pack = checker.packs.get(destination or "")
    if pack is None:
        return None
    try:
        return cite(pack.measure(measure_id).citations)
    except KeyError:
        return None


def _in_force(checker: Checker, destination: str | None, measure_id: str) -> bool:
    engine = checker.engine(destination or "")
    return engine is not None and any(m.id == measure_id for m in engine[0].measures)


def _removed_why(d: LineDiff, measure_id: str, checker_b: Checker) -> tuple[str, str]:
    """Why a duty of A is gone under B, and the measure responsible."""
    for x in d.b.excluded:
        if x.measure == measure_id and x.portion is None:
            return f"excluded by {x.excluded_by}: {x.reason}", x.excluded_by
    if not _in_force(checker_b, d.b.destination, measure_id):
        return "not in force under B", measure_id
    return "no longer applies to this line under B", measure_id


def compare(file: str, a: Result, b: Result, checker_a: Checker, checker_b: Checker) -> LineDiff:
    """The changes of one line between state A and state B."""
    d = LineDiff(file, a, b)
    before = {(x.measure, x.heading): x.amount for x in a.duties}
    after = {(x.measure, x.heading): x.amount for x in b.duties}
    responsible: list[tuple[str, Checker]] = []
    for key, amount in before.items():
        if key not in after:
            why, who = _removed_why(d, key[0], checker_b)
            d.changes.append(DutyChange("-", key[1], key[0], amount, None, why))
            responsible.append((who, checker_b if who != key[0] else checker_a))
        elif after[key] != amount:
            cut = [x for x in b.excluded if x.measure == key[0] and x.portion is not None]
            why = "; ".join(f"{x.portion} of its basis excluded by {x.excluded_by}" for x in cut) or "amount changed"
            d.changes.append(DutyChange("~", key[1], key[0], amount, after[key], why))
            responsible += [(key[0], checker_b)] + [(x.excluded_by, checker_b) for x in cut]
    for key, amount in after.items():
        if key not in before:
            was = [x.excluded_by for x in a.excluded if x.measure == key[0] and x.portion is None]
            why = f"applies under B (under A it was excluded by {was[0]})" if was else "applies under B"
            d.changes.append(DutyChange("+", key[1], key[0], None, amount, why))
            responsible.append((key[0], checker_b))
    for mid, checker in responsible:
        citation = _citation(checker, b.destination, mid) or _citation(checker_a, a.destination, mid)
        d.responsible.setdefault(mid, citation or "")
    return d


def diff(
    paths: Iterable[str],
    checker_a: Checker,
    checker_b: Checker,
    fmt: str | None = None,
    labels: tuple[str, str] = ("A", "B"),
) -> DiffReport:
    """Check every line of every file under both states and collect what changed. Each file is read
    once (standard input too): the two checkers consume one stream through a bounded buffer."""
    report = DiffReport(*labels)
    for checker in (checker_a, checker_b):
        report.minor_units.update({p.header.currency: p.header.minor_unit for p in checker.packs.values()})
    for path in paths:
        stream_a, stream_b = itertools.tee(read_records(path, fmt))
        for a, b in zip(checker_a.check(stream_a), checker_b.check(stream_b), strict=True):
            report.add(compare(path, a, b, checker_a, checker_b))
    return report


def _money(x: Decimal | None) -> str:
    return "-" if x is None else str(x)


def render_text(report: DiffReport) -> str:
    lines = [f"A: {report.label_a}", f"B: {report.label_b}", ""]
    for d in report.lines:
        a, b = d.a, d.b
        ident = "/".join(x for x in (a.entry_number, a.line_number) if x)
        where = f"{d.file}:{a.row}" + (f" ({ident})" if ident else "")
        code = format_code(a.hts_code) if a.hts_code and a.hts_code.isdigit() else a.hts_code
        kind = "refund" if d.delta < 0 else "extra liability" if d.delta > 0 else "no change in duty"
        size = f" {abs(d.delta)}" if d.delta else ""
        verdict = f"verdict {a.verdict}" + (f" -> {b.verdict}" if a.verdict != b.verdict else " (unchanged)")
        lines.append(
            f"{where}  {code} {a.origin} entered {a.entry_date}: {a.total_duty} -> {b.total_duty} {b.currency} "
            f"({kind}{size}); {verdict}"
        )
        for c in d.changes:
            amounts = (
                _money(c.before)
                if c.sign == "-"
                else _money(c.after)
                if c.sign == "+"
                else (f"{c.before} -> {c.after}")
            )
            lines.append(f"    {c.sign} {c.heading}  {c.measure}  {amounts}: {c.why}")
        for mid, citation in d.responsible.items():
            lines.append(f"    responsible: {mid}" + (f" [{citation}]" if citation else ""))
    lines.append(f"{len(report.lines)} of {report.count} line(s) changed")
    for cur in sorted(set(report.refunds) | set(report.extra)):
        refunds, extra = report.total("refunds", cur), report.total("extra", cur)
        lines.append(f"{cur}: refunds {refunds}, extra liability {extra}, net {extra - refunds}")
    return "\n".join(lines)


def to_json(report: DiffReport) -> dict:
    currencies = sorted(set(report.refunds) | set(report.extra))
    return {
        "a": report.label_a,
        "b": report.label_b,
        "lines": [
            {
                "file": d.file,
                "row": d.a.row,
                "entry_number": d.a.entry_number,
                "line_number": d.a.line_number,
                "hts_code": d.a.hts_code,
                "currency": d.b.currency,
                "total_a": str(d.a.total_duty),
                "total_b": str(d.b.total_duty),
                "delta": str(d.delta),
                "verdict_a": d.a.verdict,
                "verdict_b": d.b.verdict,
                "changes": [
                    {
                        "change": {"+": "added", "-": "removed", "~": "changed"}[c.sign],
                        "heading": c.heading,
                        "measure": c.measure,
                        "before": None if c.before is None else str(c.before),
                        "after": None if c.after is None else str(c.after),
                        "why": c.why,
                    }
                    for c in d.changes
                ],
                "responsible": [{"measure": m, "citation": c} for m, c in d.responsible.items()],
            }
            for d in report.lines
        ],
        "lines_checked": report.count,
        "lines_changed": len(report.lines),
        "totals": {
            cur: {
                "refunds": str(report.total("refunds", cur)),
                "extra_liability": str(report.total("extra", cur)),
                "net": str(report.total("extra", cur) - report.total("refunds", cur)),
            }
            for cur in currencies
        },
    }


DIFF_REPORT = text_and_json(render_text, to_json)
