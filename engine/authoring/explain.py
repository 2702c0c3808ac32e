"""`clearance explain`: the full trace of one line. Every measure of the pack, and whether each of its parts
(origin, codes, modes, SPI, attributes, shares, required fields, date window, in-transit window, each
condition) matched; what stacking excluded and why; the arithmetic of each duty, with citations.

The parts are matched by durable-rules, like the measures themselves: each part is compiled on its own with
the compiler's own methods into an *explanation pack* and the line is run through a `Matcher` over it. The
duties, exclusions and reasons are those of the real run (`Checker`), not recomputed here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from ..entries.line import InputProblem, Line, parse_line
from ..entries.readers import PROBLEM
from ..match.compile import CompiledPack, Compiler, Cond, RuleRef, all_of
from ..match.matcher import Matcher
from ..packs.load import Pack
from ..packs.model import Measure, Precedence, Scope
from ..report.result import Result
from ..resolve.plan import Edge, plan
from ..run.check import Checker, engine_error, no_pack
from .explain_duty import DutyTrace, duty_traces
from .explain_words import describe_part

OPEN = dt.date(1, 1, 1)  # an always-true lower bound, to compile a part without the measure's own window
PART = "part"


@dataclass
class Part:
    name: str  # origin | codes | modes | spi | attributes | shares | fields | dates | in-transit | condition ID
    test: str  # what the part requires, and the line's value, in words
    matched: bool  # for a condition: met


@dataclass
class MeasureTrace:
    measure: Measure
    known: bool  # published on or before the law date
    applies: bool  # the real matcher's answer
    outcome: str  # applied | reduced | excluded | not matched | not in force
    detail: str
    parts: list[Part] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """The parts agree with the real matcher (every scope, date and transit part matched iff it applies)."""
        scoped = all(p.matched for p in self.parts if not p.name.startswith("condition "))
        return self.applies == (self.known and scoped)


@dataclass
class EdgeTrace:
    edge: Edge
    effect: str


@dataclass
class Explanation:
    row: int
    law_as_of: dt.date
    result: Result
    line: Line | None = None
    pack: Pack | None = None
    problems: list[InputProblem] = field(default_factory=list)
    measures: list[MeasureTrace] = field(default_factory=list)
    precedence: list[tuple[Precedence, bool]] = field(default_factory=list)
    stacking: list[EdgeTrace] = field(default_factory=list)
    duties: list[DutyTrace] = field(default_factory=list)


def _neutral(m: Measure) -> Measure:
    """The measure with no scope and an open date window: only what is compiled on top of it is tested."""
    dates = m.dates.model_copy(update={"from_": OPEN, "until": None, "in_transit": None})
    return m.model_copy(update={"scope": Scope(), "dates": dates})


def _facets(s: Scope) -> list[tuple[str, Scope]]:
    return [
        ("origin", Scope(origins=s.origins, exclude_origins=s.exclude_origins)),
        ("codes", Scope(codes=s.codes)),
        ("modes", Scope(modes=s.modes)),
        ("spi", Scope(spi=s.spi, exclude_spi=s.exclude_spi)),
        ("attributes", Scope(attributes=s.attributes, exclude_attributes=s.exclude_attributes)),
        ("shares", Scope(shares=s.shares)),
        ("value", Scope(value=s.value)),
        ("fields", Scope(requires_fields=s.requires_fields)),
    ]


def part_rules(comp: Compiler, m: Measure) -> list[tuple[str, Cond]]:
    """Each part of a measure as its own durable-rules condition (parts that test nothing are left out).
    A condition's part fires when the condition is unmet."""
    out: list[tuple[str, Cond]] = []
    for name, sub in _facets(m.scope):
        conds = [c for c in comp.scope(sub) if c is not None]
        if conds:
            out.append((name, all_of(conds)))  # type: ignore[arg-type]
    out.append(("dates", all_of(comp.window(m.dates.from_, m.dates.until))))
    neutral = _neutral(m)
    if m.dates.in_transit is not None:
        transit = neutral.model_copy(
            update={"dates": neutral.dates.model_copy(update={"in_transit": m.dates.in_transit})}
        )
        out.append(("in-transit", comp.measure(transit)))
    for cond in m.conditions:
        out.append((f"condition {cond.id}", comp.unmet(neutral, cond)))
    return out


def _on_line(cond: Cond) -> Cond:
    """A part always tests `t: line` too: durable-rules hangs on a rule that is a lone `$nex` (a part such
    as `exclude_origins: [area:X]` would be one)."""
    tests = cond.get("$and", [cond])
    return {"$and": [{"t": "line"}, *tests]}


def explanation_pack(pack: Pack, law_as_of: dt.date) -> CompiledPack:
    """A compiled pack whose rules are the parts of every measure (known on the law date or not)."""
    comp = Compiler(pack)
    rules: dict[str, tuple[RuleRef, Cond]] = {}
    for m in pack.measures:
        for name, cond in part_rules(comp, m):
            rules[f"p{len(rules)}"] = (RuleRef(PART, m.id, name), _on_line(cond))
    return comp.compiled(law_as_of, rules, pack.measures)


def _outcome(m: Measure, known: bool, applies: bool, result: Result) -> tuple[str, str]:
    if not known:
        return "not in force", f"published {m.dates.published}, after the law as of"
    if not applies:
        return "not matched", ""
    whole = [x for x in result.excluded if x.measure == m.id and x.portion is None]
    if whole:
        return "excluded", f"excluded by {whole[0].excluded_by}: {whole[0].reason}"
    part = [x for x in result.excluded if x.measure == m.id]
    if part:
        return "reduced", "; ".join(f"{x.portion} of its basis excluded by {x.excluded_by}: {x.reason}" for x in part)
    return "applied", ""


def _edge_effect(e: Edge, result: Result) -> str:
    excluded = {(x.measure, x.excluded_by) for x in result.excluded}
    if (e.target, e.source) in excluded:
        return "took effect"
    by = {x.measure: x.excluded_by for x in result.excluded if x.portion is None}
    if e.source in by:
        return f"no effect: {e.source} is itself excluded by {by[e.source]}"
    if e.target in by:
        return f"no effect: {e.target} was already excluded by {by[e.target]}"
    if e.when == "subject":
        return f"no effect: {e.source} owes no duty on this line (when: subject)"
    return "no effect"


def trace(compiled: CompiledPack, line: Line, refs: frozenset[RuleRef], result: Result) -> Explanation:
    """The trace of one matched line: parts matched by durable-rules over the explanation pack."""
    pack = compiled.pack
    expl = explanation_pack(pack, compiled.law_as_of)
    found = Matcher(expl).match([expl.fact(line)])[0]
    if isinstance(found, Exception):
        raise found
    hit = {(r.target, r.condition) for r in found}
    known = {m.id for m in compiled.measures}
    parts: dict[str, list[str]] = {}
    for ref, _ in expl.rules.values():
        parts.setdefault(ref.target, []).append(ref.condition or "")
    measures = []
    for m in pack.measures:
        applies = RuleRef("measure", m.id) in refs
        outcome, detail = _outcome(m, m.id in known, applies, result)
        mt = MeasureTrace(m, m.id in known, applies, outcome, detail)
        for name in parts.get(m.id, []):
            fired = (m.id, name) in hit
            matched = not fired if name.startswith("condition ") else fired
            mt.parts.append(Part(name, describe_part(pack, m, name, line), matched))
        measures.append(mt)
    precedence = [(p, RuleRef("precedence", p.id) in refs) for p in pack.header.precedence]
    edges = [EdgeTrace(e, _edge_effect(e, result)) for e in plan(compiled, refs).edges]
    return Explanation(
        row=line.row,
        law_as_of=compiled.law_as_of,
        result=result,
        line=line,
        pack=pack,
        measures=measures,
        precedence=precedence,
        stacking=edges,
        duties=duty_traces(pack, line, result),
    )


def explain(
    packs: dict[str, Pack],
    records: Iterable[dict],
    row: int = 1,
    law_as_of: dt.date | None = None,
    destination: str | None = None,
) -> Explanation:
    """Explain input line `row` (1-based) of `records`. The lines before it are checked too, so that
    cross-line rules (quantity caps) settle as in `clearance check`. IndexError if there is no such row."""
    checker = Checker(packs, law_as_of, destination)
    head = list(islice(records, row))
    if row < 1 or len(head) < row:
        raise IndexError(f"no row {row} (the input has {len(head)} line(s))")
    result = list(checker.check(head))[-1]
    raw = head[-1]
    parsed = parse_line(row, raw, destination) if PROBLEM not in raw else []
    law = checker.law_as_of
    if not isinstance(parsed, Line):
        problems = parsed or [InputProblem(column="row", message=str(raw.get(PROBLEM)))]
        return Explanation(row=row, law_as_of=law, result=result, problems=problems)
    engine = checker.engine(parsed.destination)
    if engine is None:
        return Explanation(row=row, law_as_of=law, result=result, line=parsed, problems=[no_pack(parsed.destination)])
    compiled, matcher = engine
    refs = matcher.match([compiled.fact(parsed)])[0]
    if isinstance(refs, Exception):
        return Explanation(row=row, law_as_of=law, result=result, line=parsed, problems=[engine_error(refs)])
    return trace(compiled, parsed, refs, result)
