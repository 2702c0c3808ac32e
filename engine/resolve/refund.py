"""A line's refund under its pack's refund programmes (`packs/programme.py`): the duty of the programme's
family computed under the law at entry, the rest of the duty apart, and what can be claimed back.

What was paid is reckoned as the refund programme does it (CAPE removes the family's headings and
recalculates): the duty deposited on the line (`declared_duty`) less every other duty computed for it (the
MFN, Section 232, 301 or 122 duty). A Japan 15% all-in filed wholly on its Chapter 99 heading, or an earlier
additive rate replaced retroactively, both come out right that way. With no declared duty the computed
family duty is the estimate. A line of a programme the law as of the run knows gets a `refund` reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..duty.expression import ZERO, round_money
from ..report.result import DutyLine, Reason
from .amount import cite

if TYPE_CHECKING:
    import datetime as dt

    from ..match.compile import CompiledPack
    from ..packs.load import Pack
    from ..packs.model import Family
    from ..packs.programme import RefundProgramme

RULE = "refund"


@dataclass(frozen=True)
class LineRefund:
    family_duty: Decimal  # the family's duty computed under the law at entry
    other_duty: Decimal  # every other duty computed (MFN, 232, 301, 122)
    declared: Decimal | None  # the duty deposited on the line, if the file says
    paid: Decimal | None  # the family's duty paid: declared less the other duty (None: nothing declared)

    @property
    def refundable(self) -> Decimal:
        """What can be claimed back: what was paid, or (nothing declared) the computed family duty."""
        return self.family_duty if self.paid is None else self.paid

    @property
    def estimated(self) -> bool:
        return self.paid is None


def known_programmes(pack: Pack, law_as_of: dt.date) -> tuple[RefundProgramme, ...]:
    """The pack's refund programmes published on or before the law-as-of date."""
    return tuple(p for p in pack.programmes if p.published <= law_as_of)


def line_refund(family: Family, duties: list[DutyLine], total: Decimal, declared: Decimal | None) -> LineRefund:
    own = sum((d.amount for d in duties if family.covers(d.heading)), ZERO)
    other = total - own
    paid = None if declared is None else max(declared - other, ZERO)
    return LineRefund(family_duty=own, other_duty=other, declared=declared, paid=paid)


def refund_reasons(
    compiled: CompiledPack, duties: list[DutyLine], total: Decimal, declared: Decimal | None
) -> list[Reason]:
    """A `refund` reason per programme the law as of the run knows, when the line has something to claim."""
    if not compiled.pack.programmes:
        return []
    reasons = []
    header = compiled.pack.header
    total = round_money(total, header.minor_unit)
    declared = None if declared is None else round_money(declared, header.minor_unit)
    for programme in known_programmes(compiled.pack, compiled.law_as_of):
        family = header.families[programme.family]
        r = line_refund(family, duties, total, declared)
        if r.refundable <= 0:
            continue
        cur = header.currency
        how = (
            "computed under the law at entry; no duty declared"
            if r.paid is None
            else f"deposited {r.declared} less {r.other_duty} other duty; computed at entry {r.family_duty}"
        )
        reasons.append(
            Reason(
                severity="warning" if programme.line_action == "review" else "info",
                rule=RULE,
                message=f"{r.refundable} {cur} of {family.title} refundable ({how}): {programme.route}",
                citation=cite([*programme.citations, *family.citations]),
            )
        )
    return reasons
