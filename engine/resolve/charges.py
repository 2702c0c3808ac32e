"""Charges other than customs duty, and how every charge is rounded: per pack data, not per country.

A `duty` measure's `charge` says what its amount is: customs duty, a tax on import (Japan's consumption
tax) or a fee (a US user fee). They are computed alike (rate x basis), kept apart in the result
(`duties`, `taxes`, `fees`, each with its total) and rounded by the pack's `rounding` for their kind,
which a measure may override: the money basis (Japan truncates it below 1,000 yen), each line's amount
(half up to the cent in the US; below 100 yen dropped in Japan) and the line's total (Japan builds it from
the exact amounts, then truncates). A basis may add the line's charges of other kinds (`plus: [duty]`:
value + customs duty) or be other measures' amounts (`of`): those are computed first, after rounding."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..duty.expression import ZERO
from ..duty.rounding import Rounding, minor_unit_rounding
from ..entries.line import Line
from ..match.compile import CompiledPack
from ..packs.model import CHARGES, Charge, ChargeRounding, Measure, PackHeader
from ..report.result import DutyLine, Reason
from ..report.result_batch import DUTY_NOTE
from .amount import Settled, measure_reason, own_basis


@dataclass(frozen=True)
class MeasureRounding:
    """The rounding rules one measure's amounts follow (None: left exact / the sum of rounded lines)."""

    basis: Rounding | None
    amount: Rounding
    total: Rounding | None
    citations: tuple[str, ...] = ()


def measure_rounding(header: PackHeader, m: Measure) -> MeasureRounding:
    """The pack's rounding for the measure's charge kind, with the measure's own parts over it."""
    pack = header.rounding.get(m.charge) or ChargeRounding()
    own = m.rounding or ChargeRounding()
    basis, amount, total = (getattr(own, part) or getattr(pack, part) for part in ("basis", "amount", "total"))
    return MeasureRounding(
        basis=basis.rounding if basis else None,
        amount=amount.rounding if amount else minor_unit_rounding(header.minor_unit),
        total=total.rounding if total else None,
        citations=tuple(own.citations or pack.citations),
    )


def rounding_of(compiled: CompiledPack, m: Measure) -> MeasureRounding:
    """`measure_rounding`, made once per measure and pack (resolve's shared records)."""
    key = ("rounding", m.id)
    found = compiled.records.get(key)
    if found is None:
        found = compiled.records[key] = measure_rounding(compiled.pack.header, m)
    return found


def dependencies(applied: dict[str, Measure]) -> list[tuple[str, str]]:
    """(before, after) pairs: the measures a charge's basis adds (`plus` kinds, `of` ids) settle first."""
    out = []
    for mid, m in applied.items():
        for other, n in applied.items():
            if other != mid and n.kind == "duty" and (n.charge in m.basis.plus or other in m.basis.of):
                out.append((other, mid))
    return out


def added_basis(compiled: CompiledPack, m: Measure, applied: dict[str, Settled]) -> Decimal | None:
    """The rounded amounts a measure's basis adds (or is made of); None when one of them could not be
    computed (the charge cannot be either)."""
    if not (m.basis.plus or m.basis.of):
        return ZERO
    total, found = ZERO, False
    for s in applied.values():
        n = s.measure
        if n.id == m.id or n.kind != "duty" or s.excluded_by is not None:
            continue
        if n.charge in m.basis.plus or n.id in m.basis.of:
            if s.amount is None:
                return None
            total += rounding_of(compiled, n).amount.apply(s.amount)
            found = True
    return total if found or not m.basis.of else None  # `of` measures none of which applies: no basis


@dataclass
class Charges:
    """A line's charge lines by kind, and what the line owes of each kind."""

    lines: dict[Charge, list[DutyLine]]
    totals: dict[Charge, Decimal]


def in_charge_order(survivors: list[Settled], order: tuple[str, ...]) -> list[Settled]:
    """The order charge lines are written in: duties in pack order, then taxes and fees in settle order."""

    def position(s: Settled) -> tuple[int, int]:
        kind = CHARGES.index(s.measure.charge)
        return kind, order.index(s.measure.id) if kind else 0

    return sorted(survivors, key=position)


def charge_lines(
    compiled: CompiledPack, survivors: list[Settled], order: tuple[str, ...], line: Line, reasons: list[Reason]
) -> Charges:
    """The charge lines of the measures left after stacking (an effective exemption with a heading is a
    0% duty line), each rounded by its measure's rules, with a reason per computed line: duties in pack
    order, then taxes and fees in the order they were settled (a charge after those its basis adds)."""
    minor = compiled.pack.header.minor_unit
    lines: dict[Charge, list[DutyLine]] = {c: [] for c in CHARGES}
    totals: dict[Charge, Decimal] = dict.fromkeys(CHARGES, ZERO)

    present = {s.measure.id for s in survivors}
    for s in in_charge_order(survivors, order):
        m = s.measure
        if m.kind == "exemption":
            if s.effective and m.heading and all(d.heading != m.heading for d in lines["duty"]):
                zero = DutyLine(
                    measure=m.id,
                    heading=m.heading,
                    rate="0%",
                    basis=m.basis.field,
                    basis_value=own_basis(s, line),
                    amount=minor_unit_rounding(minor).apply(ZERO),
                )
                lines["duty"].append(zero)
                totals["duty"] += zero.amount  # nothing, in the currency's minor unit (0.00)
            continue
        if m.kind != "duty" or s.amount is None or s.basis_value is None:
            continue
        rounding = rounding_of(compiled, m)
        basis = m.basis.describe(present) + "".join(f" - {b}" for b in s.removed_by)
        basis_value = s.basis_value
        if s.per_quantity and line.quantity is not None:
            basis, basis_value = f"quantity ({line.unit})", line.quantity
        amount = rounding.amount.apply(s.amount)
        lines[m.charge].append(
            DutyLine(measure=m.id, heading=s.heading, rate=s.rate, basis=basis, basis_value=basis_value, amount=amount)
        )
        totals[m.charge] += rounding.total.apply(s.amount) if rounding.total else amount
        reasons.append(
            measure_reason(
                m,
                "info",
                DUTY_NOTE.format(
                    heading=s.heading, title=m.title, rate=s.rate, basis=basis, basis_value=basis_value, amount=amount
                ),
            )
        )
    return Charges(lines, totals)
