"""The layout of a computed line's record: everything that depends on how its plan's stacking came out on the line
(which measures survive, which exclusions fired, which headings and rates the duty lines carry) but not on its
amounts: the charge lines' templates in record order, the reasons with the duty line each note is bound to, the
exclusions. Lines whose stacking comes out alike share one layout (`Program`'s cache); only their amounts are
computed per line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from ..packs.model import CHARGES
from ..report.result_batch import Component, Text
from ..report.result_batch import Plan as Template

if TYPE_CHECKING:
    from ..entries.columns import LineView
    from ..resolve.amount import Settled
    from .program import Program, Step

DUTY, EXEMPT, ZERO_LINE = 0, 1, 2  # where a charge line's numbers come from: its measure, an exemption, an exclusion


class Slot(NamedTuple):
    """One charge line of the record: where its numbers come from (`source`; `key`: the measure, or the exclusion's
    zero line by index), its template (a measure's duty line: made per line, its heading and rate are the line's),
    its basis as the record names it, and whether the basis is the line's quantity (a specific rate)."""

    source: int
    key: str | int
    component: Component | None
    basis: str = ""
    per_quantity: bool = False


@dataclass(frozen=True)
class Layout:
    slots: tuple[Slot, ...]  # record order: duties, the exclusions' zero lines, taxes, fees
    computed: int  # the duty slots before the zero lines
    duties: int  # the duty slots, zero lines included
    plan: Template
    severities: frozenset[str]
    give_up: bool = False  # quota claims or two survivors of one group: the reference resolve does the line


Signature = tuple


def signature(
    line: LineView,
    applied: dict[str, Settled],
    fired: list[tuple[Step, Decimal | None]],
    zero_lines: list[tuple[str, str, Decimal]],
    warnings: list[tuple[Text, None]],
    exemption_headings: tuple[str, ...],
) -> Signature:
    """What the layout depends on, as a hashable value (which measures have an exemption's heading: a duty line with
    it leaves the exemption no 0% line of its own)."""
    return (
        tuple(
            (s.excluded_by, s.effective, s.amount is None, s.basis_value is None, s.per_quantity, tuple(s.removed_by))
            for s in applied.values()
        ),
        tuple(tuple(mid for mid, s in applied.items() if s.heading == h) for h in exemption_headings),
        tuple((id(step), portion is None) for step, portion in fired),
        tuple((m, h) for m, h, _ in zero_lines),
        tuple(warnings),
        line.quantity is None,
        line.unit,
    )


def layout(
    program: Program,
    line: LineView,
    applied: dict[str, Settled],
    fired: list[tuple[Step, Decimal | None]],
    zero_lines: list[tuple[str, str, Decimal]],
    warnings: list[tuple[Text, None]],
) -> Layout:
    """The layout `resolve.charges.charge_lines` and `resolve.stacking.resolve` give these outcomes: charge lines
    (duties in pack order, then taxes and fees in settle order; an effective exemption with a heading is a 0% duty
    line), a note per computed charge line, the unconfirmed measures' and unmet conditions' reasons, the notes of
    the exclusions that fired."""
    present = {mid for mid, s in applied.items() if s.excluded_by is None}
    by_kind: dict[str, list[Slot]] = {c: [] for c in CHARGES}
    notes: list[tuple[str, int, Text]] = []
    for mid in program.charge_order:
        s = applied[mid]
        if s.excluded_by is not None:
            continue
        m = s.measure
        if m.kind == "exemption":
            if s.effective and m.heading and all(_heading(d, applied) != m.heading for d in by_kind["duty"]):
                component = program.component(m.id, m.heading, "0%", m.basis.field, "duty", None)
                by_kind["duty"].append(Slot(EXEMPT, mid, component))
            continue
        if m.kind != "duty" or s.amount is None or s.basis_value is None:
            continue
        basis = m.basis.describe(present) + "".join(f" - {b}" for b in s.removed_by)
        per_quantity = s.per_quantity and line.quantity is not None
        if per_quantity:
            basis = f"quantity ({line.unit})"
        notes.append((m.charge, len(by_kind[m.charge]), program.notes[mid]))
        by_kind[m.charge].append(Slot(DUTY, mid, None, basis, per_quantity))
    zero = [
        Slot(ZERO_LINE, n, program.component(m, h, "0%", "excluded", "duty", None))
        for n, (m, h, _) in enumerate(zero_lines)
    ]
    duties = by_kind["duty"] + zero
    reasons: list[tuple[Text, int | None]] = list(warnings)
    for kind, k, note in notes:  # each charge line's note, bound to its place in the record's list
        at = k + (len(duties) if kind != "duty" else 0) + (len(by_kind["tax"]) if kind == "fee" else 0)
        reasons.append((note, at))
    groups: dict[str, int] = {}
    give_up = False
    for mid in present:
        m = applied[mid].measure
        if m.stacking.group and m.kind == "duty":
            groups[m.stacking.group] = groups.get(m.stacking.group, 0) + 1
        give_up = give_up or mid in program.capped  # a quota claim: settled across lines, by the reference
    for s in applied.values():  # in the plan's measure order, as resolve gives them
        if s.excluded_by is None:
            reasons.extend((t, None) for t in program.static.get(s.measure.id, ()))
    reasons.extend((step.note, None) for step, _ in fired)
    excluded = tuple((step.whole, portion is not None) for step, portion in fired)
    return Layout(
        slots=(*duties, *by_kind["tax"], *by_kind["fee"]),
        computed=len(by_kind["duty"]),
        duties=len(duties),
        plan=program.template(tuple(reasons), excluded),
        severities=frozenset(t.severity for t, _ in reasons),
        give_up=give_up or any(n > 1 for n in groups.values()),
    )


def _heading(slot: Slot, applied: dict[str, Settled]) -> str:
    return slot.component.heading if slot.component else applied[slot.key].heading  # type: ignore[index]
