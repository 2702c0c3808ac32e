"""A line's calculation as a table in the style of the UK duty calculator: one row per step, with the data it
starts from, the calculation, the value, and the citation of the law behind the step. Built from the stored result
alone (its charge lines, reasons and exclusions), so any stored run can show it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .result import DutyLine, Reason, Result


@dataclass(frozen=True)
class Step:
    data: str
    calculation: str
    value: str
    citation: str = ""
    kind: str = "data"  # data | charge | total | excluded | error | warning | info


def calculation(result: Result) -> list[Step]:
    """The steps of one line: what was declared, each charge line (rate × basis = amount), the totals, what was
    excluded and why, and every warning or error."""
    cur = result.currency
    steps = [
        Step(name, "", value or "—")
        for name, value in (
            ("tariff code", result.hts_code),
            ("country of origin", result.origin),
            ("entry date", result.entry_date),
            ("destination", result.destination),
        )
    ]
    charges = (("duty", result.total_duty, result.duties), *result.other_charges())
    for name, total, lines in charges:
        for d in lines:
            steps.append(_charge(d, cur, _citation(d, result.reasons)))
        if lines or name == "duty":
            steps.append(Step(f"total {name}", _sum(lines, total), _money(total, cur), kind="total"))
    for x in result.excluded:
        portion = f"portion {x.portion} excluded" if x.portion is not None else "not applied"
        steps.append(Step(f"{x.measure} excluded", f"by {x.excluded_by}: {x.reason}", portion, "", "excluded"))
    for r in result.reasons:
        if r.severity != "info":
            steps.append(Step(r.rule, r.message, r.severity, r.citation, r.severity))
    return steps


def _charge(d: DutyLine, currency: str, citation: str) -> Step:
    return Step(
        f"{d.heading} {d.measure}",
        f"{d.rate} × {d.basis} {d.basis_value:,}",
        f"{d.amount:,} {currency}",
        citation,
        "charge",
    )


def _citation(d: DutyLine, reasons: list[Reason]) -> str:
    """The citation of a charge line: that of its measure's note giving its amount (`... = 12.50`), else of any
    reason of its measure."""
    own = [r for r in reasons if r.rule == d.measure]
    noted = [r for r in own if r.severity == "info" and r.message.endswith(f" = {d.amount}")]
    return (noted or own or [Reason(severity="info", rule="", message="")])[0].citation


def _sum(lines: list[DutyLine], total: Decimal | None) -> str:
    """The charge lines added up, and the rounding of the line's total when the pack rounds it (Japan truncates)."""
    if not lines:
        return "no charge line"
    exact = sum((d.amount for d in lines), Decimal(0))
    text = " + ".join(f"{d.amount:,}" for d in lines)
    if len(lines) > 1:
        text += f" = {exact:,}"
    return text if total is None or exact == total else f"{text}, rounded to {total:,}"


def _money(amount: Decimal | None, currency: str) -> str:
    return "— (not checked)" if amount is None else f"{amount:,} {currency}"
