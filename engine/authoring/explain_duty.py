"""The arithmetic of each duty line, for `clearance explain`: rate x basis = amount, the all-in top-up
(MFN ad valorem equivalent, then the rate less it), the basis after `portion: basis` exclusions, each
specific component, and the one rounding. Each trace is checked to reproduce the engine's amount."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..duty.expression import ZERO, DutyExpression, QuantityError, percent, plain_amount, round_money, specific_amount
from ..entries.line import Line
from ..packs.load import Pack
from ..packs.model import Measure
from ..report.result import DutyLine, Result


@dataclass
class DutyTrace:
    duty: DutyLine
    measure: Measure | None
    citations: list[str]
    steps: list[str] = field(default_factory=list)
    reproduced: bool = True


def _pct(fraction: Decimal) -> str:
    return percent(fraction.quantize(Decimal("0.000001")))


def _components(expr: DutyExpression, basis: Decimal, line: Line, currency: str, steps: list[str]) -> Decimal:
    """Ad valorem and specific parts of a plain expression, one step each; the unrounded sum."""
    total = ZERO
    if expr.ad_valorem or not expr.specific:
        total += expr.ad_valorem * basis
        steps.append(f"{_pct(expr.ad_valorem)}% × {basis} = {expr.ad_valorem * basis}")
    for spec in expr.specific:
        amount = specific_amount(spec, line.quantity, line.unit, currency)
        steps.append(f"{spec} × {line.quantity} {line.unit} = {amount}")
        total += amount
    return total


def _basis(m: Measure, d: DutyLine, line: Line, result: Result, steps: list[str]) -> None:
    name = m.basis.field
    whole = line.content(name)
    if whole is None:
        whole = line.value
        steps.append(f"{name} not declared: the basis is the full value {line.value}")
    removed = [x for x in result.excluded if x.measure == m.id and x.portion is not None]
    if removed:
        less = " − ".join(f"{x.portion} ({x.excluded_by})" for x in removed)
        steps.append(f"basis: {name} {whole} − {less} = {d.basis_value}")
    else:
        steps.append(f"basis: {name} = {d.basis_value}")


def _all_in(m: Measure, expr: DutyExpression, d: DutyLine, line: Line, currency: str, steps: list[str]) -> Decimal:
    mfn = line.mfn
    if mfn is None:
        raise QuantityError("the line has no mfn_rate")
    mfn_duty = plain_amount(mfn, line.value, line.quantity, line.unit, currency)
    ave = mfn_duty / line.value if line.value else ZERO
    top_up = max(ZERO, expr.ad_valorem - ave)
    steps.append(f"MFN duty: {mfn.describe()} on value {line.value} = {mfn_duty}")
    steps.append(f"MFN ad valorem equivalent: {mfn_duty} / {line.value} = {_pct(ave)}%")
    steps.append(
        f"top-up to {_pct(expr.ad_valorem)}% all-in: {_pct(expr.ad_valorem)}% − {_pct(ave)}% = {_pct(top_up)}%"
    )
    if top_up == 0 and m.nil_heading:
        steps.append(f"nothing to top up: reported under {m.nil_heading}")
    steps.append(f"{_pct(top_up)}% × {d.basis_value} = {top_up * d.basis_value}")
    return top_up * d.basis_value


def _duty(m: Measure, d: DutyLine, line: Line, result: Result, currency: str, minor: int) -> DutyTrace:
    t = DutyTrace(d, m, m.citations)
    _basis(m, d, line, result, t.steps)
    expr = m.duty_expression
    try:
        if expr is None:
            raise QuantityError("the measure has no rate")
        if expr.kind == "all_in":
            raw = _all_in(m, expr, d, line, currency, t.steps)
        else:
            plain = line.mfn if expr.kind == "mfn" else expr
            if plain is None:
                raise QuantityError("the line has no mfn_rate")
            if expr.kind == "mfn":
                t.steps.append(f"rate: the line's MFN rate {plain.describe()}")
            raw = _components(plain, d.basis_value, line, currency, t.steps)
    except QuantityError as exc:
        t.steps.append(f"cannot reproduce the amount: {exc}")
        t.reproduced = False
        return t
    rounded = round_money(raw, minor)
    t.steps.append(f"= {raw} → {rounded} (rounded once, half up, to {minor} decimal(s))")
    t.reproduced = rounded == d.amount
    return t


def duty_traces(pack: Pack, line: Line, result: Result) -> list[DutyTrace]:
    """One trace per duty line of the result, in its order."""
    measures = {m.id: m for m in pack.measures}
    minor, currency = pack.header.minor_unit, pack.header.currency
    out = []
    for d in result.duties:
        m = measures.get(d.measure)
        if m is None:
            out.append(DutyTrace(d, None, [], [f"{d.rate} on {d.basis} {d.basis_value} = {d.amount}"]))
        elif d.basis == "excluded":
            steps = [
                f"the part of the basis excluded by {m.id} ({m.title}) is reported under {d.heading}: "
                f"0% × {d.basis_value} = {d.amount}"
            ]
            out.append(DutyTrace(d, m, m.citations, steps))
        elif m.kind != "duty":
            steps = [f"exemption {m.title}: 0% × {d.basis} {d.basis_value} = {d.amount}"]
            out.append(DutyTrace(d, m, m.citations, steps))
        else:
            out.append(_duty(m, d, line, result, currency, minor))
    return out
