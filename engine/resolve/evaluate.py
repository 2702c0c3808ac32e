"""Resolve stage for batches: the arithmetic and stacking of `resolve`, on plain tuples.

`Evaluator.evaluate` gives exactly what `resolve` gives (tests/…/test_oracle.py compares them on random
lines and every golden case) but builds no pydantic record: duty lines, reasons, exclusions and quota
claims are named tuples with the fields of `DutyLine`, `Reason`, `Excluded` and `QuotaClaim`, and what
depends only on the matched rules (edges, their records, unmet-condition and unconfirmed reasons, rate
texts) is prepared once per plan. It is written so that it can also run on traced numbers (program.py):
every branch on an amount is a comparison or a truth test of a number, nothing else."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from ..duty.expression import UNITS, ZERO, QuantityError, plain_amount
from ..match.compile import CompiledPack, RuleRef
from ..packs.model import Condition, Measure
from ..report.result import Result
from .amount import Settled, _amount, _MissingMfn, cite, own_basis
from .declared import compare_declared
from .stacking import Plan, plan


class Duty(NamedTuple):
    measure: str
    heading: str
    rate: str
    basis: str
    basis_value: Decimal
    amount: Decimal


class Why(NamedTuple):
    severity: str
    rule: str
    message: str
    citation: str = ""


class Excl(NamedTuple):
    measure: str
    excluded_by: str
    reason: str
    portion: Decimal | None = None


class Claim(NamedTuple):
    measure: str
    condition: str
    key: str
    year: int
    units: Decimal
    limit: int
    used_before: Decimal | None = None
    within: bool | None = None


class Outcome(NamedTuple):
    """One line's verdict, total and records (what `Result` holds besides the line's own columns)."""

    verdict: str
    total: Decimal
    duties: list[Duty]
    reasons: list[Why]
    excluded: list[Excl]
    quota: list[Claim]


def noted(outcome: Outcome, notes: list) -> Outcome:
    """The outcome with the reference data's reasons about the line (`Reason`s) first."""
    if not notes:
        return outcome
    reasons = [*map(why, notes), *outcome.reasons]
    return outcome._replace(reasons=reasons, verdict=verdict_of(reasons))


def result_of(line, currency: str, outcome: Outcome) -> Result:  # type: ignore[no-untyped-def]
    """The line's `Result` record."""
    return Result(
        row=line.row,
        entry_number=line.entry_number,
        line_number=line.line_number,
        destination=line.destination,
        hts_code=line.hts_code,
        origin=line.origin,
        entry_date=line.entry_date.isoformat(),
        verdict=outcome.verdict,
        total_duty=outcome.total,
        currency=currency,
        duties=[d._asdict() for d in outcome.duties],  # validated as dicts: faster than building each model
        reasons=[r._asdict() for r in outcome.reasons],
        excluded=[x._asdict() for x in outcome.excluded],
        quota=[q._asdict() for q in outcome.quota],
    )


def why(r) -> Why:  # type: ignore[no-untyped-def]
    return Why(r.severity, r.rule, r.message, r.citation)


def verdict_of(reasons: list[Why]) -> str:
    severities = {r.severity for r in reasons}
    return "reject" if "error" in severities else ("review" if "warning" in severities else "accept")


class LeanPlan(NamedTuple):
    """A plan's records as tuples, and only the measures that can change a line's outcome."""

    plan: Plan
    measures: tuple[Measure, ...]
    order: tuple[str, ...]
    edges: dict[str, tuple]  # measure -> ((edge, its exclusion, its note), ...)
    rates: dict[str, str | None]  # the rate text of each plain duty expression
    citations: dict[str, str]
    unconfirmed: dict[str, Why]
    unmet: dict[str, dict[str, Why]]


def lean_plan(compiled: CompiledPack, refs: frozenset[RuleRef]) -> LeanPlan:
    p = plan(compiled, refs)
    needed = {e.source for e in p.edges} | {e.target for e in p.edges} | set(p.unconfirmed) | set(p.unmet)
    needed |= set(p.capped) | {m.id for m in p.measures if m.kind == "duty"}
    exprs = {m.id: m.duty_expression for m in p.measures}
    return LeanPlan(
        plan=p,
        measures=tuple(m for m in p.measures if m.id in needed),
        order=tuple(mid for mid in p.order if mid in needed),
        edges={mid: tuple((e, _excl(e.whole), why(e.note)) for e in out) for mid, out in p.edges_from.items()},
        rates={mid: e.describe() if e is not None and e.kind == "plain" else None for mid, e in exprs.items()},
        citations={m.id: cite(m.citations) for m in p.measures},
        unconfirmed={mid: why(r) for mid, r in p.unconfirmed.items()},
        unmet={mid: {cid: why(r) for cid, r in found.items()} for mid, found in p.unmet.items()},
    )


def _excl(x) -> Excl:  # type: ignore[no-untyped-def]
    return Excl(x.measure, x.excluded_by, x.reason, x.portion)


class Evaluator:
    """One pack's lean plans (bounded) and its currency."""

    MAX_PLANS = 10_000

    def __init__(self, compiled: CompiledPack) -> None:
        header = compiled.pack.header
        self.compiled = compiled
        self.jurisdiction, self.currency = header.jurisdiction, header.currency
        self.quantum = Decimal(1).scaleb(-header.minor_unit)
        self.zero = self.money(ZERO)
        self._plans: dict[frozenset[RuleRef], LeanPlan] = {}

    def money(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum, rounding=ROUND_HALF_UP)

    def plan(self, refs: frozenset[RuleRef]) -> LeanPlan:
        found = self._plans.get(refs)
        if found is None:
            if len(self._plans) >= self.MAX_PLANS:
                self._plans.clear()
            found = self._plans[refs] = lean_plan(self.compiled, refs)
        return found

    def evaluate(self, line, refs: frozenset[RuleRef]) -> Outcome:  # type: ignore[no-untyped-def]
        """Duties, exclusions, reasons and verdict of one matched line (as `resolve`)."""
        if line.currency and line.currency != self.currency:
            message = (
                f"customs value is in {line.currency}; {self.jurisdiction} entries are declared in {self.currency}"
            )
            return Outcome("reject", self.zero, [], [Why("error", "input.currency", message)], [], [])
        lp = self.plan(refs)
        p = lp.plan
        applied = {m.id: Settled(m) for m in lp.measures}
        reasons: list[Why] = []
        if p.cycle:
            reasons.append(Why("warning", "stacking.cycle", "circular stacking between " + ", ".join(p.cycle)))
        excluded: list[Excl] = []
        fired: list[Why] = []
        zero_lines: list[Duty] = []
        for mid in lp.order:
            s = applied[mid]
            if s.excluded_by is not None:
                continue
            if s.measure.kind == "duty":
                _compute(s, line, self.currency, reasons, lp.citations[mid], lp.rates[mid])
            for edge in lp.edges.get(mid, ()):
                _apply_edge(edge, s, applied[edge[0].target], line, excluded, fired, zero_lines)
        survivors = [s for s in applied.values() if s.excluded_by is None]
        zero_lines = [z._replace(amount=self.money(z.amount)) for z in zero_lines]
        duties = self._duty_lines(survivors, line, reasons, lp.citations) + zero_lines
        _group_conflicts(survivors, reasons)
        claims: list[Claim] = []
        for s in survivors:
            mid = s.measure.id
            if mid in lp.unconfirmed:
                reasons.append(lp.unconfirmed[mid])
            capped, unmet = p.capped.get(mid, ()), lp.unmet.get(mid, {})
            if not (capped or unmet):
                continue
            for cond in s.measure.conditions:
                if cond.id in capped:
                    claims += _claim(s.measure, cond, line, reasons)
                if cond.id in unmet:
                    reasons.append(unmet[cond.id])
        reasons += fired
        total = sum((d.amount for d in duties), ZERO)
        if line.declared_headings or line.declared_duty is not None:
            reasons += map(why, compare_declared(self.compiled, line, duties, total, applied, excluded))  # type: ignore[arg-type]
        return Outcome(verdict_of(reasons), self.money(total), duties, reasons, excluded, claims)

    def _duty_lines(self, survivors: list[Settled], line, reasons: list[Why], citations: dict) -> list[Duty]:  # type: ignore[no-untyped-def]
        out: list[Duty] = []
        for s in survivors:
            m = s.measure
            if m.kind == "exemption":
                if s.effective and m.heading and all(d.heading != m.heading for d in out):
                    out.append(Duty(m.id, m.heading, "0%", m.basis.field, own_basis(s, line), self.zero))  # type: ignore[arg-type]
                continue
            if m.kind != "duty" or s.amount is None or s.basis_value is None:
                continue
            basis = m.basis.field + "".join(f" - {b}" for b in s.removed_by)
            basis_value = s.basis_value
            if s.per_quantity and line.quantity is not None:
                basis, basis_value = f"quantity ({line.unit})", line.quantity
            amount = self.money(s.amount)
            out.append(Duty(m.id, s.heading, s.rate, basis, basis_value, amount))
            message = f"{s.heading} {m.title}: {s.rate} on {basis} {basis_value} = {amount}"
            reasons.append(Why("info", m.id, message, citations[m.id]))
        return out


def _compute(s: Settled, line, currency: str, reasons: list[Why], citation: str, rate: str | None) -> None:  # type: ignore[no-untyped-def]
    """As `amount.compute`: the amount, rate text, heading and basis of a duty measure."""
    m = s.measure
    field_name = m.basis.field
    base = line.value if field_name == "value" else getattr(line, field_name)
    if base is None and m.basis.fallback == "value":
        base = line.value
        reasons.append(Why("warning", m.id, f"{field_name} not declared: duty charged on the full value", citation))
    s.heading = m.heading or line.heading
    if base is None:
        s.rate = m.rate or ""
        reasons.append(Why("warning", m.id, f"{m.heading or m.id} applies but {field_name} is not declared", citation))
        return
    s.basis_value = max(ZERO, base - s.removed)
    expr = m.duty_expression
    if expr is None:
        s.rate = "unknown"
        return
    try:
        if rate is not None:  # a plain rate: its text is the plan's
            s.rate = rate
            s.per_quantity = bool(expr.specific) and not expr.ad_valorem
            s.amount = plain_amount(expr, s.basis_value, line.quantity, line.unit, currency)
        else:
            s.amount = _amount(s, expr, line, currency)
    except QuantityError as exc:
        reasons.append(Why("warning", m.id, f"{s.heading}: cannot compute duty: {exc}", citation))
    except _MissingMfn:
        reasons.append(Why("warning", m.id, f"{s.heading} needs the line's MFN rate (mfn_rate is missing)", citation))


def _apply_edge(edge: tuple, src: Settled, dst: Settled, line, excluded: list, fired: list, zero_lines: list) -> None:  # type: ignore[no-untyped-def]
    """As `resolve._apply_edge`."""
    e, whole, note = edge
    if dst.excluded_by is not None:
        return
    if e.when == "subject" and not (src.amount is not None and src.amount > 0):
        return
    src.effective = True
    if e.portion == "all":
        dst.excluded_by = src.measure.id
        excluded.append(whole)
        fired.append(note)
        portion = None
    else:
        portion = own_basis(src, line)
        if not portion:
            return
        dst.removed += portion
        dst.removed_by.append(src.measure.id)
        content = line.content(dst.measure.basis.field)
        if dst.removed >= (line.value if content is None else content):
            dst.excluded_by = src.measure.id
            portion = None
        excluded.append(whole if portion is None else whole._replace(portion=portion))
        fired.append(note)
    if e.heading and not any(z.heading == e.heading for z in zero_lines):
        base = portion if portion is not None else (own_basis(src, line) or line.value)
        zero_lines.append(Duty(src.measure.id, e.heading, "0%", "excluded", base, ZERO))


def _group_conflicts(survivors: list[Settled], reasons: list[Why]) -> None:
    groups: dict[str, list[str]] = {}
    for s in survivors:
        if s.measure.stacking.group and s.measure.kind == "duty":
            groups.setdefault(s.measure.stacking.group, []).append(s.measure.id)
    for group, ids in groups.items():
        if len(ids) > 1:
            message = f"measures {', '.join(ids)} of group {group} all apply and no stacking rule decides between them"
            reasons.append(Why("warning", "stacking.ambiguous", message))


def _claim(m: Measure, cond: Condition, line, reasons: list[Why]) -> list[Claim]:  # type: ignore[no-untyped-def]
    """As `resolve._claim`."""
    alt = cond.capped()
    assert alt is not None and alt.cap is not None
    key = line.attributes.get(alt.cap.per_attribute.lower())
    unit = UNITS.get(line.unit.lower(), (None, None))[0] if line.unit else alt.cap.unit
    quantity = line.quantity if unit == alt.cap.unit else None
    missing = [n for n, v in ((alt.cap.per_attribute, key), (f"quantity in {alt.cap.unit}", quantity)) if v is None]
    if missing:
        message = (
            f"{alt.document} is limited to {alt.cap.units} units per {alt.cap.per_attribute} "
            f"a year: {' and '.join(missing)} needed to count this line"
        )
        reasons.append(Why("warning", f"{m.id}.{cond.id}.cap", message, cite(cond.citations or m.citations)))
        return []
    return [Claim(m.id, cond.id, str(key), line.entry_date.year, line.quantity, alt.cap.units)]
