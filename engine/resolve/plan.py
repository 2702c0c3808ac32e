"""The stacking plan of a set of matched rules: the measures that apply, the edges between them (a measure
that applies excludes its targets, wholly or on its own basis; dated precedence orders add edges from each
rank to every later rank) and the order to settle them in (topological, so a measure that is itself
excluded excludes nothing). A plan depends only on which rules matched, so many lines share one."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from sys import intern

from ..match.compile import CompiledPack, RuleRef
from ..packs.model import Condition, Measure
from ..packs.queries import target_names
from ..report.result import SEVERITY_OF_ACTION, Excluded, Reason
from .amount import cite, measure_reason
from .charges import dependencies


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
