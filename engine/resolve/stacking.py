"""Resolve stage: from the measures that matched a line to its duties, exclusions, reasons and verdict.

Stacking is a graph (the line's plan, `plan.py`): a measure that applies (or, with `when: subject`, owes
more than zero) excludes its targets, wholly or on its own basis (`portion: basis`, e.g. the metal content
of a 232 derivative is taken out of the reciprocal duty's basis). Measures are settled in the plan's
order, so a measure that is itself excluded excludes nothing. Two survivors of one group with nothing to
decide between them make the line `review`."""

from __future__ import annotations

from decimal import Decimal

from ..duty.expression import UNITS, ZERO, round_money
from ..entries.line import Line
from ..match.compile import CompiledPack, RuleRef
from ..packs.model import Condition, Measure
from ..report.result import DutyLine, Excluded, QuotaClaim, Reason, Result, verdict_of
from .amount import Settled, cite, compute, own_basis
from .charges import Charges, added_basis, charge_lines, rounding_of
from .declared import compare_declared, declared_difference
from .entry_checks import input_reasons
from .plan import Edge, plan
from .refund import PaidDuty, refund_reasons

_NONE: frozenset[str] = frozenset()
_NO_EDGES: tuple[Edge, ...] = ()
_NO_REASONS: dict[str, Reason] = {}


def take(e: Edge, src: Settled, dst: Settled, line: Line) -> tuple[bool, Decimal | None]:
    """Whether the edge takes (all or part of) its target on this line, and the part of the target's basis it
    takes (None: the whole target is excluded)."""
    if dst.excluded_by is not None:
        return False, None
    if e.when == "subject" and not (src.amount is not None and src.amount > 0):
        return False, None
    src.effective = True
    if e.portion == "all":
        dst.excluded_by = src.measure.id
        return True, None
    portion = own_basis(src, line)
    if not portion:  # an unknown or zero content takes nothing out of the target's basis
        return False, None
    dst.removed += portion
    dst.removed_by.append(src.measure.id)
    whole = line.content(dst.measure.basis.field)
    if dst.removed >= (line.value if whole is None else whole):
        dst.excluded_by = src.measure.id
        return True, None
    return True, portion


def _apply_edge(
    e: Edge,
    src: Settled,
    dst: Settled,
    line: Line,
    excluded: list[Excluded],
    fired: list[Edge],
    zero_lines: list[DutyLine],
) -> None:
    took, portion = take(e, src, dst, line)
    if not took:
        return
    excluded.append(e.whole if portion is None else e.whole.model_copy(update={"portion": portion}))
    fired.append(e)
    if e.heading and not any(z.heading == e.heading for z in zero_lines):
        base = portion if portion is not None else (own_basis(src, line) or line.value)
        zero_lines.append(
            DutyLine(
                measure=src.measure.id,
                heading=e.heading,
                rate="0%",
                basis="excluded",
                basis_value=base,
                amount=ZERO,
            )
        )


def resolve(compiled: CompiledPack, line: Line, refs: frozenset[RuleRef]) -> Result:
    """Duties, exclusions, reasons and verdict of one matched line."""
    header = compiled.pack.header
    reasons, fatal = input_reasons(line, header, compiled.law_as_of)
    if fatal:  # the line cannot be read as given (its currency, its date): not checked, no duty
        unread = _result(line, header.currency, [], reasons, [], header.minor_unit)
        return unread.model_copy(update={"verdict": "invalid", "total_duty": None})
    p = plan(compiled, refs)
    applied = {m.id: Settled(m) for m in p.measures}
    order, cycle = p.order, p.cycle
    if cycle:
        reasons.append(
            Reason(
                severity="warning",
                rule="stacking.cycle",
                message="circular stacking between " + ", ".join(cycle),
            )
        )
    excluded: list[Excluded] = []
    fired: list[Edge] = []  # the edge behind each exclusion
    zero_lines: list[DutyLine] = []
    for mid in order:
        s = applied[mid]
        if s.excluded_by is not None:
            continue
        if s.measure.kind == "duty":
            added = added_basis(compiled, s.measure, applied)
            compute(s, line, header.currency, reasons, added, rounding_of(compiled, s.measure).basis)
        for e in p.edges_from.get(mid, _NO_EDGES):
            _apply_edge(e, s, applied[e.target], line, excluded, fired, zero_lines)
    survivors = [applied[mid] for mid in applied if applied[mid].excluded_by is None]
    claims: list[QuotaClaim] = []
    zero_lines = [z.model_copy(update={"amount": round_money(z.amount, header.minor_unit)}) for z in zero_lines]
    charges = charge_lines(compiled, survivors, order, line, reasons)
    duties = charges.lines["duty"] + zero_lines
    _group_conflicts(survivors, reasons)
    for s in survivors:
        mid = s.measure.id
        if mid in p.unconfirmed:
            reasons.append(p.unconfirmed[mid])
        capped, unmet = p.capped.get(mid, _NONE), p.unmet.get(mid, _NO_REASONS)
        if not (capped or unmet):
            continue
        for cond in s.measure.conditions:
            if cond.id in capped:
                claims += _claim(s.measure, cond, line, reasons)
            if cond.id in unmet:
                reasons.append(unmet[cond.id])
    reasons += (e.note for e in fired)
    total = charges.totals["duty"] + sum((z.amount for z in zero_lines), ZERO)  # zero lines: 0.00, not 0
    reasons += compare_declared(compiled, line, duties, total, applied, excluded)
    paid = PaidDuty(
        total=round_money(total, header.minor_unit),
        declared=None if line.declared_duty is None else round_money(line.declared_duty, header.minor_unit),
        by_heading=tuple((h, round_money(a, header.minor_unit)) for h, a in line.declared_heading_duty),
        uncomputed=tuple(
            (s.heading, s.missing)
            for s in survivors
            if s.measure.kind == "duty" and s.measure.charge == "duty" and s.amount is None
        ),
    )
    reasons += refund_reasons(compiled, duties, paid)
    result = _result(line, header.currency, duties, reasons, excluded, header.minor_unit, total, claims, charges)
    declared = {
        "declared_difference": declared_difference(line, total, header.minor_unit),
        "declared_fees": None if line.declared_fees is None else round_money(line.declared_fees, header.minor_unit),
        "declared_by_heading": list(paid.by_heading) or None,
        "uncomputed": list(paid.uncomputed) or None,
    }
    declared = {k: v for k, v in declared.items() if v is not None}
    return result.model_copy(update=declared) if declared else result


def _claim(m: Measure, cond: Condition, line: Line, reasons: list[Reason]) -> list[QuotaClaim]:
    """The line meets `cond` only through its capped document: it counts against the cap."""
    alt = cond.capped()
    assert alt is not None and alt.cap is not None
    key = line.attributes.get(alt.cap.per_attribute.lower())
    unit = UNITS.get(line.unit.lower(), (None, None))[0] if line.unit else alt.cap.unit  # no unit: a count
    quantity = line.quantity if unit == alt.cap.unit else None
    missing = [n for n, v in ((alt.cap.per_attribute, key), (f"quantity in {alt.cap.unit}", quantity)) if v is None]
    if missing:
        reasons.append(
            Reason(
                severity="warning",
                rule=f"{m.id}.{cond.id}.cap",
                citation=cite(cond.citations or m.citations),
                message=f"{alt.document} is limited to {alt.cap.units} units per {alt.cap.per_attribute} "
                f"a year: {' and '.join(missing)} needed to count this line",
            )
        )
        return []
    return [
        QuotaClaim(
            measure=m.id,
            condition=cond.id,
            key=str(key),
            year=line.entry_date.year,
            units=line.quantity,
            limit=alt.cap.units,
        )
    ]  # type: ignore[arg-type]


def _group_conflicts(survivors: list[Settled], reasons: list[Reason]) -> None:
    groups: dict[str, list[str]] = {}
    for s in survivors:
        if s.measure.stacking.group and s.measure.kind == "duty":
            groups.setdefault(s.measure.stacking.group, []).append(s.measure.id)
    for group, ids in groups.items():
        if len(ids) > 1:
            reasons.append(
                Reason(
                    severity="warning",
                    rule="stacking.ambiguous",
                    message=f"measures {', '.join(ids)} of group {group} all apply and no "
                    f"stacking rule decides between them",
                )
            )


def _result(
    line: Line,
    currency: str,
    duties: list[DutyLine],
    reasons: list[Reason],
    excluded: list[Excluded],
    minor_unit: int,
    total: Decimal = ZERO,
    quota: list[QuotaClaim] | None = None,
    charges: Charges | None = None,
) -> Result:
    taxes, fees = (charges.lines[c] if charges else [] for c in ("tax", "fee"))
    total_taxes, total_fees = (charges.totals[c] if charges else ZERO for c in ("tax", "fee"))
    return Result(
        row=line.row,
        entry_number=line.entry_number,
        line_number=line.line_number,
        destination=line.destination,
        hts_code=line.hts_code,
        origin=line.origin,
        entry_date=line.entry_date.isoformat(),
        verdict=verdict_of(reasons),
        total_duty=round_money(total, minor_unit),
        taxes=taxes,
        total_taxes=round_money(total_taxes, minor_unit),
        fees=fees,
        total_fees=round_money(total_fees, minor_unit),
        currency=currency,
        duties=duties,
        reasons=reasons,
        excluded=excluded,
        quota=quota or [],
        declared_duty=None if line.declared_duty is None else round_money(line.declared_duty, minor_unit),
    )
