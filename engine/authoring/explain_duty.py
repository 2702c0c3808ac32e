"""The arithmetic of each charge line (duties, taxes, fees), for `clearance explain`: rate x basis = amount,
the all-in top-up (MFN ad valorem equivalent, then the rate less it), the basis after `portion: basis`
exclusions or with the charges it adds, each specific component, and each rounding the pack's data asks for
(the exact and the rounded amount, and the line total built from the exact amount). Each trace is checked
to reproduce the engine's amount."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..duty.expression import (
    ZERO,
    DutyExpression,
    QuantityError,
    all_in,
    computed_percent,
    plain_amount,
    specific_amount,
)
from ..entries.line import Line
from ..packs.load import Pack
from ..packs.model import Measure, PackHeader
from ..report.result import DutyLine, Result
from ..resolve.amount import cite
from ..resolve.charges import MeasureRounding, measure_rounding


@dataclass
class DutyTrace:
    duty: DutyLine
    measure: Measure | None
    citations: list[str]
    steps: list[str] = field(default_factory=list)
    reproduced: bool = True
    charge: str = "duty"  # the result's list the line is in: duty, tax or fee


def _components(expr: DutyExpression, basis: Decimal, line: Line, currency: str, steps: list[str]) -> Decimal:
    """Ad valorem and specific parts of a plain expression, one step each; the unrounded sum."""
    total = ZERO
    if expr.ratio is not None:
        total += basis * expr.ratio[0] / expr.ratio[1]
        steps.append(f"{basis} × {expr.ratio[0]}/{expr.ratio[1]} = {total}")
    elif expr.ad_valorem or not expr.specific:
        total += expr.ad_valorem * basis
        steps.append(f"{computed_percent(expr.ad_valorem)}% × {basis} = {expr.ad_valorem * basis}")
    for spec in expr.specific:
        amount = specific_amount(spec, line.quantity, line.unit, currency)
        steps.append(f"{spec} × {line.quantity} {line.unit} = {amount}")
        total += amount
    return total


def _basis(m: Measure, d: DutyLine, line: Line, result: Result, rounding: MeasureRounding, steps: list[str]) -> None:
    name = m.basis.field
    whole = ZERO if m.basis.of else line.content(name)
    if whole is None:
        whole = line.value
        steps.append(f"{name} not declared: the basis is the full value {line.value}")
    added = [
        (x.measure, x.amount)
        for kind, xs in _charges(result)
        for x in xs
        if x.measure != m.id and (x.measure in m.basis.of or kind in m.basis.plus)
    ]
    parts = ([] if m.basis.of else [f"{name} {whole}"]) + [f"{amount} ({mid})" for mid, amount in added]
    removed = [x for x in result.excluded if x.measure == m.id and x.portion is not None]
    exact = whole + sum((amount for _, amount in added), ZERO) - sum((x.portion or ZERO for x in removed), ZERO)
    less = "".join(f" − {x.portion} ({x.excluded_by})" for x in removed)
    text = " + ".join(parts) + less
    if rounding.basis is not None and rounding.basis.apply(exact) == d.basis_value:
        steps.append(f"basis: {text} = {exact} → {d.basis_value} ({rounding.basis.describe()})")
    elif len(parts) > 1 or removed:
        steps.append(f"basis: {text} = {d.basis_value}")
    else:
        steps.append(f"basis: {name} = {d.basis_value}")


def _charges(result: Result) -> tuple[tuple[str, list[DutyLine]], ...]:
    return (("duty", result.duties), ("tax", result.taxes), ("fee", result.fees))


def _all_in(m: Measure, expr: DutyExpression, d: DutyLine, line: Line, currency: str, steps: list[str]) -> Decimal:
    mfn = line.mfn
    if mfn is None:
        raise QuantityError("the line has no mfn_rate")
    mfn_duty = plain_amount(mfn, line.value, line.quantity, line.unit, currency)
    ave, top_up, amount = all_in(expr.ad_valorem, mfn_duty, line.value, d.basis_value)
    rate, mfn_ave, top = (computed_percent(x) for x in (expr.ad_valorem, ave, top_up))
    steps.append(f"MFN duty: {mfn.describe()} on value {line.value} = {mfn_duty}")
    steps.append(f"MFN ad valorem equivalent: {mfn_duty} / {line.value} = {mfn_ave}%")
    steps.append(f"top-up to {rate}% all-in: {rate}% − {mfn_ave}% = {top}%")
    if top_up == 0 and m.nil_heading:
        steps.append(f"nothing to top up: reported under {m.nil_heading}")
    steps.append(f"{top}% × {d.basis_value} = {amount}")
    return amount


def _duty(m: Measure, d: DutyLine, line: Line, result: Result, currency: str, rounding: MeasureRounding) -> DutyTrace:
    t = DutyTrace(d, m, m.citations)
    _basis(m, d, line, result, rounding, t.steps)
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
    rounded = rounding.amount.apply(raw)
    t.steps.append(f"= {raw} (exact) → {rounded} ({rounding.amount.describe()}, once)")
    if rounding.total is not None:
        t.steps.append(
            f"line total from the exact amount: {raw} → {rounding.total.apply(raw)} ({rounding.total.describe()})"
        )
    if rounding.citations:
        t.steps.append(f"rounding: {cite(list(rounding.citations))}")
    t.reproduced = rounded == d.amount
    return t


def _trace(header: PackHeader, m: Measure | None, d: DutyLine, line: Line, result: Result, currency: str) -> DutyTrace:
    if m is None:
        return DutyTrace(d, None, [], [f"{d.rate} on {d.basis} {d.basis_value} = {d.amount}"])
    if d.basis == "excluded":
        steps = [
            f"the part of the basis excluded by {m.id} ({m.title}) is reported under {d.heading}: "
            f"0% × {d.basis_value} = {d.amount}"
        ]
        return DutyTrace(d, m, m.citations, steps)
    if m.kind != "duty":
        return DutyTrace(d, m, m.citations, [f"exemption {m.title}: 0% × {d.basis} {d.basis_value} = {d.amount}"])
    return _duty(m, d, line, result, currency, measure_rounding(header, m))


def duty_traces(pack: Pack, line: Line, result: Result) -> list[DutyTrace]:
    """One trace per charge line of the result: its duties, then its taxes and fees, in their order."""
    measures = {m.id: m for m in pack.measures}
    currency = pack.header.currency
    out = []
    for charge, lines in _charges(result):
        for d in lines:
            trace = _trace(pack.header, measures.get(d.measure), d, line, result, currency)
            trace.charge = charge
            out.append(trace)
    return out
