"""A line a program computed, as the `Result` the reference resolve gives it: made only for the lines the sequential
step settles with their entry (a per-entry fee, the tolerance), which settles `Result`s. Built from the program's
exact Decimals, its line's money filling each template once (tests/compute/test_program.py: the same record)."""

from __future__ import annotations

from decimal import Decimal

from ..report.result import DutyLine, Excluded, Reason, Result
from ..report.result_batch import ResultBatch, reasons_of
from .program import Charged, Computed


def result_of(batch: ResultBatch, n: int, c: Computed, line: int | None) -> Result:
    """Line `n` of the batch (written from `c`) as a `Result`; `line`: where its record starts in its file."""
    values = {"total": str(c.total_duty), "currency": c.currency}
    declared = c.declared_duty
    if declared is not None:
        over, under = declared - c.total_duty, c.total_duty - declared
        values |= {"declared": str(declared), "over": str(over), "under": str(under)}
    charged = {"duty": [], "tax": [], "fee": []}  # type: dict[str, list[DutyLine]]
    for ch in c.charges:
        charged[ch.component.charge].append(_duty_line(ch))
    reasons = []
    for text, duty, template in reasons_of(batch, n):
        message = text.message
        if template:
            message = message.format_map(values if duty is None else values | _duty_holes(c.charges[duty]))
        reasons.append(Reason(severity=text.severity, rule=text.rule, message=message, citation=text.citation))
    portions = iter(c.portions)
    return Result(
        row=batch.row[n],
        file=batch.path,
        line=line,
        entry_number=batch.entry_number[n],
        line_number=batch.line_number[n],
        destination=batch.destination[n],
        hts_code=batch.hts_code[n],
        origin=batch.origin[n],
        entry_date=batch.entry_date[n],
        verdict=c.verdict,
        total_duty=c.total_duty,
        currency=c.currency,
        duties=charged["duty"],
        total_taxes=c.total_taxes,
        taxes=charged["tax"],
        total_fees=c.total_fees,
        fees=charged["fee"],
        reasons=reasons,
        excluded=[
            Excluded(
                measure=x.measure,
                excluded_by=x.excluded_by,
                reason=x.reason,
                portion=Decimal(next(portions)) if has else None,
            )
            for x, has in c.plan.excluded
        ],
        extra=batch.extra.get(n, {}),
        declared_difference=None if declared is None else declared - c.total_duty,
        declared_duty=declared,
    )


def _duty_line(ch: Charged) -> DutyLine:
    k = ch.component
    return DutyLine(
        measure=k.measure, heading=k.heading, rate=k.rate, basis=k.basis, basis_value=ch.basis_value, amount=ch.amount
    )


def _duty_holes(ch: Charged) -> dict[str, str]:
    k = ch.component
    return {
        "heading": k.heading,
        "rate": k.rate,
        "basis": k.basis,
        "basis_value": str(ch.basis_value),
        "amount": str(ch.amount),
    }
