"""A line's refund under its pack's refund programmes (`packs/programme.py`): the duty of the programme's
family computed under the law at entry, the rest of the duty apart, and what can be claimed back.

What was paid is reckoned as the refund programme does it (CAPE removes the family's headings and
recalculates): the duty deposited on the line (`declared_duty`) less every other duty computed for it (the
MFN, Section 232, 301 or 122 duty). A Japan 15% all-in filed wholly on its Chapter 99 heading, or an earlier
additive rate replaced retroactively, both come out right that way. With no declared duty the computed
family duty is the estimate. When some other duty could not be computed (no MFN rate: no HTSUS edition)
the deposit cannot be split that way: then the duty the file declares on the family's own headings (ES-003
gives it heading by heading) is what was paid, if that can be told; else the refund is unknown, never a
number. A line of a programme the law as of the run knows gets a `refund` reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..duty.expression import ZERO
from ..report.result import DutyLine, Reason, Result, Severity
from .amount import cite

if TYPE_CHECKING:
    import datetime as dt

    from ..match.compile import CompiledPack
    from ..packs.load import Pack
    from ..packs.model import Family
    from ..packs.programme import RefundProgramme

RULE = "refund"


@dataclass(frozen=True)
class PaidDuty:
    """What a line's refund is reckoned from: its duty computed, what it declared (in all and heading by
    heading, as filed), and the duty measures that apply but could not be computed: (heading, what is missing)."""

    total: Decimal
    declared: Decimal | None
    by_heading: tuple[tuple[str, Decimal], ...] = ()
    uncomputed: tuple[tuple[str, str], ...] = ()


def paid_of(result: Result) -> PaidDuty:
    assert result.total_duty is not None
    return PaidDuty(
        result.total_duty, result.declared_duty, tuple(result.declared_by_heading), tuple(result.uncomputed)
    )


@dataclass(frozen=True)
class LineRefund:
    family_duty: Decimal  # the family's duty computed under the law at entry
    other_duty: Decimal  # every other duty computed (MFN, 232, 301, 122)
    declared: Decimal | None  # the duty deposited on the line, if the file says
    paid: Decimal | None  # the family's duty paid: declared less the other duty (None: nothing declared)
    unknown: str | None = None  # why the family's duty cannot be told from the other duty (then no amount)
    by_heading: bool = False  # paid is the duty declared on the family's headings

    @property
    def refundable(self) -> Decimal:
        """What can be claimed back: what was paid, or (nothing declared) the computed family duty; nothing
        when it is `unknown` (the entry says why instead of giving a number)."""
        if self.unknown is not None:
            return ZERO
        return self.family_duty if self.paid is None else self.paid

    @property
    def estimated(self) -> bool:
        return self.paid is None and self.unknown is None


def known_programmes(pack: Pack, law_as_of: dt.date) -> tuple[RefundProgramme, ...]:
    """The pack's refund programmes published on or before the law-as-of date."""
    return tuple(p for p in pack.programmes if p.published <= law_as_of)


def line_refund(family: Family, duties: list[DutyLine], line: PaidDuty) -> LineRefund:
    """The line's refund. The family's duty paid is the deposit less every other duty computed; when some
    other duty could not be computed, the duty declared on the family's headings, if the file gives it
    heading by heading, every family duty was computed and every family heading declared is one the law at
    entry gives; else it is unknown (and why)."""
    own = sum((d.amount for d in duties if family.covers(d.heading)), ZERO)
    other = line.total - own
    own_missing = [u for u in line.uncomputed if family.covers(u[0])]
    other_missing = [u for u in line.uncomputed if not family.covers(u[0])]
    if line.declared is None:
        unknown = _missing(own_missing) if own_missing else None
        return LineRefund(family_duty=own, other_duty=other, declared=None, paid=None, unknown=unknown)
    paid: Decimal | None = None
    if not other_missing or line.declared <= 0:
        paid = max(line.declared - other, ZERO)
    elif line.by_heading and not own_missing:
        computed = {_digits(d.heading) for d in duties if family.covers(d.heading)}
        filed = [(h, a) for h, a in line.by_heading if family.covers(h)]
        if all(_digits(h) in computed for h, _ in filed):
            paid = sum((a for _, a in filed), ZERO)
            return LineRefund(own, other, line.declared, paid, by_heading=True)
    unknown = None if paid is not None else _missing(other_missing + own_missing)
    return LineRefund(family_duty=own, other_duty=other, declared=line.declared, paid=paid, unknown=unknown)


def _digits(heading: str) -> str:
    return heading.replace(".", "").strip()


def _missing(uncomputed: list[tuple[str, str]]) -> str:
    """`5209.41.60.40, 9903.02.73 could not be computed (mfn_rate is missing)`, by what is missing."""
    by_what: dict[str, list[str]] = {}
    for heading, what in uncomputed:
        by_what.setdefault(what, []).append(heading)
    return "; ".join(f"{', '.join(h)} could not be computed ({what})" for what, h in by_what.items())


def refund_reasons(compiled: CompiledPack, duties: list[DutyLine], line: PaidDuty) -> list[Reason]:
    """A `refund` reason per programme the law as of the run knows, when the line has something to claim
    (a warning, with no amount, when what it paid of the family cannot be told from its other duty)."""
    if not compiled.pack.programmes:
        return []
    reasons = []
    header = compiled.pack.header
    cur = header.currency
    for programme in known_programmes(compiled.pack, compiled.law_as_of):
        family = header.families[programme.family]
        r = line_refund(family, duties, line)
        severity: Severity = "warning" if programme.line_action == "review" else "info"
        if r.unknown is not None:
            severity = "warning"
            message = f"{family.title} refundable: not known, its duty cannot be told from the other duty: {r.unknown}"
        elif r.refundable <= 0:
            continue
        else:
            message = f"{r.refundable} {cur} of {family.title} refundable ({_how(r, line)}): {programme.route}"
        reasons.append(
            Reason(
                severity=severity, rule=RULE, message=message, citation=cite([*programme.citations, *family.citations])
            )
        )
    return reasons


def _how(r: LineRefund, line: PaidDuty) -> str:
    if r.paid is None:
        return "computed under the law at entry; no duty declared"
    if r.by_heading:
        return f"declared {r.paid} on its own headings (the other duty could not be computed)"
    return f"deposited {r.declared} less {r.other_duty} other duty; computed at entry {r.family_duty}"
