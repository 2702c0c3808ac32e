"""The arithmetic of one duty line: its basis (full value, content, or what exclusions left of it), its rate
(ad valorem, specific, compound, the line's MFN rate, or an all-in top-up), and the unrounded amount.
Decimal only; rounding happens once, when the duty line is written (resolve.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..duty.codes import format_code
from ..duty.expression import ZERO, DutyExpression, QuantityError, all_in, computed_percent, plain_amount
from ..duty.rounding import Rounding
from ..entries.line import Line
from ..packs.model import Measure
from ..report.result import Reason, Severity


@dataclass(slots=True)
class Settled:
    """The state of one applicable measure while stacking is resolved."""

    measure: Measure
    removed: Decimal = ZERO
    removed_by: list[str] = field(default_factory=list)
    excluded_by: str | None = None
    amount: Decimal | None = None
    rate: str = ""
    heading: str = ""
    basis_value: Decimal | None = None
    effective: bool = False
    per_quantity: bool = False  # a specific rate only: the basis shown is the quantity
    missing: str = ""  # what the line lacks when the duty cannot be computed (amount None)


def cite(citations: list[str]) -> str:
    return "; ".join(citations)


def measure_reason(m: Measure, severity: Severity, message: str) -> Reason:
    """A reason given by a measure, citing it."""
    return Reason(severity=severity, rule=m.id, citation=cite(m.citations), message=message)


def _mfn_duty(line: Line, currency: str) -> Decimal | None:
    mfn = line.mfn
    return None if mfn is None else plain_amount(mfn, line.value, line.quantity, line.unit, currency)


def compute(
    s: Settled,
    line: Line,
    currency: str,
    reasons: list[Reason],
    added: Decimal | None = ZERO,
    basis_rounding: Rounding | None = None,
) -> None:
    """Set the amount, rate text, heading and basis of a duty measure (None amount = cannot compute).
    `added` is what the basis adds from the line's other charges (None: one of them is unknown); the
    basis is then rounded by `basis_rounding`, if the pack has one."""
    m = s.measure
    field_name = m.basis.field
    base = ZERO if m.basis.of else line.content(field_name)
    if base is None and m.basis.fallback == "value":
        base = line.value
        reasons.append(measure_reason(m, "warning", f"{field_name} not declared: duty charged on the full value"))
    s.heading = m.heading or format_code(line.hts_code)
    if base is None or added is None:
        s.rate = m.rate or ""
        missing = (
            f"{field_name} is not declared"
            if base is None
            else f"its basis ({m.basis.describe()}) is not known: a charge it adds could not be computed"
        )
        reasons.append(measure_reason(m, "warning", f"{m.heading or m.id} applies but {missing}"))
        s.missing = missing
        return
    s.basis_value = max(ZERO, base + added - s.removed)
    if basis_rounding is not None:
        s.basis_value = basis_rounding.apply(s.basis_value)
    expr = m.duty_expression
    if expr is None:
        s.rate, s.missing = "unknown", "its rate is unknown"
        return
    try:
        s.amount = _amount(s, expr, line, currency)
    except QuantityError as exc:
        s.missing = str(exc)
        reasons.append(measure_reason(m, "warning", f"{s.heading}: cannot compute duty: {exc}"))
    except _MissingMfn:
        s.missing = "mfn_rate is missing"
        reasons.append(measure_reason(m, "warning", f"{s.heading} needs the line's MFN rate ({s.missing})"))


class _MissingMfn(Exception):
    pass


def _amount(s: Settled, expr: DutyExpression, line: Line, currency: str) -> Decimal:
    assert s.basis_value is not None
    if expr.kind == "mfn":
        if line.mfn is None:
            s.rate = "MFN"
            raise _MissingMfn
        s.rate = line.mfn.describe()
        s.per_quantity = bool(line.mfn.specific) and not line.mfn.ad_valorem
        return plain_amount(line.mfn, s.basis_value, line.quantity, line.unit, currency)
    if expr.kind == "all_in":
        mfn_duty = _mfn_duty(line, currency)
        if mfn_duty is None:
            s.rate = expr.describe()
            raise _MissingMfn
        ave, top_up, amount = all_in(expr.ad_valorem, mfn_duty, line.value, s.basis_value)
        s.rate = f"{expr.describe()} (MFN {computed_percent(ave)}% + {computed_percent(top_up)}%)"
        if top_up == 0 and s.measure.nil_heading:
            s.heading = s.measure.nil_heading
        return amount
    s.rate = expr.describe()
    s.per_quantity = bool(expr.specific) and not expr.ad_valorem
    return plain_amount(expr, s.basis_value, line.quantity, line.unit, currency)


def own_basis(s: Settled, line: Line) -> Decimal | None:
    """The basis a measure stands on; None when its content value is unknown and it has no fallback."""
    if s.basis_value is not None:
        return s.basis_value
    base = line.content(s.measure.basis.field)
    if base is None and s.measure.basis.fallback == "value":
        return line.value
    return base
