"""Resolve stage: from the measures that matched a line to its duties, exclusions, reasons and verdict.

Stacking is a graph: a measure that applies (or, with `when: subject`, owes more than zero) excludes its
targets, wholly or on its own basis (`portion: basis`, e.g. the metal content of a 232 derivative is
taken out of the reciprocal duty's basis). Dated precedence orders add edges from each rank to every
later rank. Measures are settled in topological order, so a measure that is itself excluded excludes
nothing. Two survivors of one group with nothing to decide between them make the line `review`."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from decimal import Decimal
from sys import intern

from ..duty.expression import UNITS, ZERO, round_money
from ..entries.line import Line
from ..match.compile import CompiledPack, RuleRef
from ..packs.model import Condition, Measure
from ..packs.queries import target_names
from ..report.result import SEVERITY_OF_ACTION, DutyLine, Excluded, QuotaClaim, Reason, Result, verdict_of
from .amount import Settled, cite, compute, measure_reason, own_basis
from .charges import Charges, added_basis, charge_lines, dependencies, rounding_of
from .declared import compare_declared, declared_difference
from .entry_checks import input_reasons


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    when: str
    portion: str
    heading: str | None
    reason: str
    citation: str
    whole: Excluded  # what the line records when the edge takes all of the target
    note: Reason  # the reason the line gives when the edge takes the target, or part of its basis


def _edge(
    shared: dict, source: Measure, target: str, when: str, portion: str, heading: str | None, reason: str, by: str
) -> Edge:
    """An edge and the records it makes (`by`: the citation of the rule or order behind it), built once
    per pack and shared by every cached plan that has it."""
    key = ("edge", source.id, target, when, portion, heading, reason, by)
    return _once(shared, key, lambda: _new_edge(source, target, when, portion, heading, intern(reason), by))


def _new_edge(source: Measure, target: str, when: str, portion: str, heading: str | None, reason: str, by: str) -> Edge:
    return Edge(
        source=source.id,
        target=target,
        when=when,
        portion=portion,
        heading=heading,
        reason=reason,
        citation=by,
        whole=Excluded(measure=target, excluded_by=source.id, reason=reason),
        note=Reason(severity="info", rule=target, message=f"not applied: {reason}", citation=_cite(source.citations)),
    )


def _cite(citations: list[str]) -> str:
    """Citations as one string, interned: thousands of cached plans share one copy of each text."""
    return intern(cite(citations))


MAX_EDGES = 100_000  # stacking edges of one line's plan: past it, the pack asks too much of one line


class StackingError(Exception):
    """The measures that apply to one line have more stacking edges than `MAX_EDGES`."""


def _named(applied: dict[str, Measure]) -> dict[str, list[str]]:
    """The ids each target name (a measure id, `group:NAME`) names among `applied`, found in one pass."""
    out: dict[str, list[str]] = {}
    for m in applied.values():
        for name in target_names(m):
            out.setdefault(name, []).append(m.id)
    return out


def build_edges(compiled: CompiledPack, applied: dict[str, Measure], refs: frozenset[RuleRef]) -> list[Edge]:
    edges: list[Edge] = []
    shared = compiled.records
    named = _named(applied)
    for mid, m in applied.items():
        for ex in m.stacking.excludes:
            reason = ex.reason or f"excluded by {m.title}"
            _bound(edges)
            for t in named.get(ex.target, ()):
                if t != mid:
                    edges.append(_edge(shared, m, t, ex.when, ex.portion, ex.heading, reason, _cite(m.citations)))
    active = [p for p in compiled.pack.header.precedence if RuleRef("precedence", p.id) in refs]
    replaced = {old for p in active for old in p.replaces}
    for p in active:
        if p.id in replaced:
            continue
        ranks = [[mid for t in rank for mid in named.get(t, ())] for rank in p.order]
        for i, higher in enumerate(ranks):
            for lower in ranks[i + 1 :]:
                _bound(edges, len(higher) * len(lower))
                for a in higher:
                    for b in lower:
                        if a != b:
                            reason = f"order of precedence {p.id}: {p.title}"
                            by = _cite(p.citations)
                            edges.append(_edge(shared, applied[a], b, p.when, "all", None, reason, by))
    _bound(edges)
    return edges


def _bound(edges: list[Edge], more: int = 0) -> None:
    if len(edges) + more > MAX_EDGES:
        raise StackingError(f"the measures that apply have more than {MAX_EDGES:,} stacking rules between them")


@dataclass(frozen=True)
class Plan:
    """What depends only on which rules matched: the measures that apply, the stacking edges between
    them and the order to settle them in. Many lines share a plan; amounts are computed per line."""

    measures: tuple[Measure, ...]
    edges: tuple[Edge, ...]
    order: tuple[str, ...]
    cycle: tuple[str, ...]
    edges_from: dict[str, tuple[Edge, ...]]  # each measure's outgoing edges, in edge order (if any)
    capped: dict[str, frozenset[str]]  # per measure (if any): conditions met only through a capped document
    unmet: dict[str, dict[str, Reason]]  # per measure (if any): conditions the line does not meet, with reasons
    unconfirmed: dict[str, Reason]  # the reason of each unconfirmed measure that applies


def plan(compiled: CompiledPack, refs: frozenset[RuleRef]) -> Plan:
    cached = compiled.plans.get(refs)
    if cached is None:
        ids = {r.target for r in refs if r.kind == "measure"}
        applied = {m.id: m for m in compiled.measures if m.id in ids}
        edges = build_edges(compiled, applied, refs)
        order, cycle = topological(list(applied), [(e.source, e.target) for e in edges] + dependencies(applied))
        cached = Plan(
            measures=tuple(applied.values()),
            edges=tuple(edges),
            order=tuple(order),
            cycle=tuple(cycle),
            edges_from=_by_source(edges),
            capped=_conditions(applied, refs, "cap"),
            unmet={mid: found for mid, m in applied.items() if (found := _unmet(compiled.records, m, refs))},
            unconfirmed={
                mid: _once(compiled.records, ("unconfirmed", mid), lambda m=m: _unconfirmed(m))  # type: ignore[misc]
                for mid, m in applied.items()
                if m.status == "unconfirmed"
            },
        )
        if len(compiled.plans) > 10_000:
            compiled.plans.clear()
        compiled.plans[refs] = cached
    return cached


def _conditions(applied: dict[str, Measure], refs: frozenset[RuleRef], kind: str) -> dict[str, frozenset[str]]:
    found = {
        mid: frozenset(c.id for c in m.conditions if RuleRef(kind, mid, c.id) in refs) for mid, m in applied.items()
    }
    return {mid: ids for mid, ids in found.items() if ids}


_NONE: frozenset[str] = frozenset()
_NO_EDGES: tuple[Edge, ...] = ()
_NO_REASONS: dict[str, Reason] = {}


def _once(shared: dict, key: tuple, make):  # type: ignore[no-untyped-def]
    """The record under `key`, made the first time it is asked for."""
    if key not in shared:
        shared[key] = make()
    return shared[key]


def _unmet(shared: dict, m: Measure, refs: frozenset[RuleRef]) -> dict[str, Reason]:
    return {
        c.id: _once(shared, ("unmet", m.id, c.id), lambda c=c: _unmet_reason(m, c))
        for c in m.conditions
        if RuleRef("condition", m.id, c.id) in refs
    }


def _unmet_reason(m: Measure, c: Condition) -> Reason:
    return Reason(
        severity=SEVERITY_OF_ACTION[c.action],
        rule=f"{m.id}.{c.id}",
        message=c.message,
        citation=_cite(c.citations or m.citations),
    )


def _unconfirmed(m: Measure) -> Reason:
    note = f" ({m.note})" if m.note else ""
    return measure_reason(m, "warning", f"unconfirmed measure applies: {m.title}{note}")


def _by_source(edges: list[Edge]) -> dict[str, tuple[Edge, ...]]:
    """Each measure's outgoing edges, in edge order (one pass over the edges)."""
    out: dict[str, list[Edge]] = {}
    for e in edges:
        out.setdefault(e.source, []).append(e)
    return {mid: tuple(found) for mid, found in out.items()}


def topological(ids: list[str], edges: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Kahn's algorithm over (before, after) pairs, stable in pack order (the ready measure first in `ids`
    goes first), in O((V + E) log V). Returns the order and the ids left in a cycle."""
    position = {i: n for n, i in enumerate(ids)}
    incoming = dict.fromkeys(ids, 0)
    targets: dict[str, list[str]] = {}
    for source, target in edges:
        incoming[target] += 1
        targets.setdefault(source, []).append(target)
    order: list[str] = []
    ready = [position[i] for i in ids if incoming[i] == 0]
    heapq.heapify(ready)
    while ready:
        node = ids[heapq.heappop(ready)]
        order.append(node)
        for target in targets.get(node, ()):
            incoming[target] -= 1
            if incoming[target] == 0:
                heapq.heappush(ready, position[target])
    done = set(order)
    cycle = [i for i in ids if i not in done]
    return order + cycle, cycle


def _apply_edge(
    e: Edge,
    src: Settled,
    dst: Settled,
    line: Line,
    excluded: list[Excluded],
    fired: list[Edge],
    zero_lines: list[DutyLine],
) -> None:
    if dst.excluded_by is not None:
        return
    if e.when == "subject" and not (src.amount is not None and src.amount > 0):
        return
    src.effective = True
    if e.portion == "all":
        dst.excluded_by = src.measure.id
        excluded.append(e.whole)
        fired.append(e)
        portion = None
    else:
        portion = own_basis(src, line)
        if not portion:  # an unknown or zero content takes nothing out of the target's basis
            return
        dst.removed += portion
        dst.removed_by.append(src.measure.id)
        whole = line.content(dst.measure.basis.field)
        if dst.removed >= (line.value if whole is None else whole):
            dst.excluded_by = src.measure.id
            portion = None
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
    result = _result(line, header.currency, duties, reasons, excluded, header.minor_unit, total, claims, charges)
    difference = declared_difference(line, total, header.minor_unit)
    return result.model_copy(update={"declared_difference": difference}) if difference else result


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
    )
