"""Declared versus computed: the headings and duty the filer declared, against what the law gives.

Under-declared duty is an error (`reject`); over-declared duty is a warning with the refund amount
(`review`); a heading declared that does not apply, or a computed heading not declared, is a warning that
names the measure responsible and cites it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..duty.codes import format_code
from ..duty.expression import DutyExpressionError, parse_duty_expression, round_money
from ..entries.line import Line
from ..report.result import DutyLine, Excluded, Reason
from ..report.result_batch import OVER_DECLARED, UNDER_DECLARED
from .amount import Settled, cite

if TYPE_CHECKING:
    from ..match.compile import CompiledPack
    from ..packs.model import Measure


MAX_CACHED = 50_000
ZERO = Decimal(0)


def _measures_of(compiled: CompiledPack, heading: str) -> tuple[list[Measure], list[Measure]]:
    """The pack's measures whose heading this is, and those whose exemption heading it is (cached per pack)."""
    key = ("heading", heading)
    found = compiled.records.get(key)
    if found is None:
        measures = compiled.pack.measures
        found = (
            [m for m in measures if heading in (m.heading, m.nil_heading)],
            [m for m in measures if any(ex.heading == heading for ex in m.stacking.excludes)],
        )
        if len(compiled.records) < MAX_CACHED:  # declared headings come from the input: keep the cache bounded
            compiled.records[key] = found
    return found


def _why_not(
    heading: str, compiled: CompiledPack, applied: dict[str, Settled], excluded: list[Excluded]
) -> tuple[str, str]:
    """Why a declared heading does not apply: excluded by a measure, out of scope, or unknown."""
    owners, exempting = _measures_of(compiled, heading)
    for m in owners:
        for x in excluded:
            if x.measure == m.id and x.portion is None:
                by = applied[x.excluded_by].measure
                return (
                    f"declared {heading} ({m.id}) does not apply: excluded by {by.id} ({by.title})",
                    cite(by.citations),
                )
    if owners:
        m = owners[0]
        if m not in compiled.measures:
            return (
                f"declared {heading} ({m.id}) is not in force under the law as of {compiled.law_as_of}",
                cite(m.citations),
            )
        return f"declared {heading} ({m.id}) does not apply to this line (scope or dates)", cite(m.citations)
    if exempting:
        m = exempting[0]
        return (
            f"declared {heading} is the exemption heading of {m.id} ({m.title}), which does not exempt this line",
            cite(m.citations),
        )
    return f"declared {heading} is not a heading of pack {compiled.pack.id}", ""


def declared_difference(line: Line, total: Decimal, minor_unit: int) -> Decimal | None:
    """Declared minus computed duty, both to the minor unit (negative: under-declared); None if none declared."""
    if line.declared_duty is None:
        return None
    return round_money(line.declared_duty, minor_unit) - round_money(total, minor_unit)


def _per_heading(
    compiled: CompiledPack, line: Line, duties: list[DutyLine], applied: dict[str, Settled]
) -> list[Reason]:
    """The duty declared on each heading (ES-003's rows) against the duty computed on it. A heading that
    does not apply is reported once, by `declared.heading`. The MFN duty declared on the heading of an
    all-in rate, with 0 on the line's own code, is the filing the all-in rule asks for (replacement duty)."""
    if not line.declared_heading_duty:
        return []
    computed: dict[str, Decimal] = {}
    for d in duties:
        computed[d.heading] = computed.get(d.heading, Decimal(0)) + d.amount
    declared: dict[str, Decimal] = {}
    for heading, amount in line.declared_heading_duty:  # a heading filed on two rows: their duty together
        declared[heading] = declared.get(heading, ZERO) + amount
    own = format_code(line.hts_code)
    all_in = [d.heading for d in duties if _all_in(applied[d.measure].measure)]
    if declared.get(own) == 0 and computed.get(own) and len(all_in) == 1 and all_in[0] in declared:
        computed[all_in[0]] += computed.pop(own)
        computed[own] = Decimal(0)
    header = compiled.pack.header
    reasons = []
    for heading, amount in declared.items():
        if heading not in computed:
            continue
        diff = round_money(amount, header.minor_unit) - computed[heading]
        if diff:
            how = f"under-declared by {-diff}" if diff < 0 else f"over-declared by {diff}"
            reasons.append(
                Reason(
                    severity="warning",
                    rule="declared.heading-duty",
                    message=f"{heading}: {how} {header.currency} (declared {amount}, computed {computed[heading]})",
                    citation=cite(applied[next(d.measure for d in duties if d.heading == heading)].measure.citations),
                )
            )
    return reasons


def _all_in(m: Measure) -> bool:
    try:
        return parse_duty_expression(m.rate or "", allow_special=True).kind == "all_in"
    except DutyExpressionError:
        return False


def compare_declared(
    compiled: CompiledPack,
    line: Line,
    duties: list[DutyLine],
    total: Decimal,
    applied: dict[str, Settled],
    excluded: list[Excluded],
) -> list[Reason]:
    reasons: list[Reason] = []
    computed = {d.heading for d in duties}
    declared = set(line.declared_headings)
    citations: list[str] = []
    if line.declared_headings or line.declared_heading_duty:  # an ES-003 line with no Chapter 99 row declared none
        own_line = format_code(line.hts_code)  # the MFN line's heading is the declared code itself
        additional = {h for h in computed if h != own_line}
        for heading in sorted(declared - computed):
            message, citation = _why_not(heading, compiled, applied, excluded)
            citations.append(citation)
            reasons.append(Reason(severity="warning", rule="declared.heading", message=message, citation=citation))
        for heading in sorted(additional - declared):
            d = next(d for d in duties if d.heading == heading)
            m = applied[d.measure].measure
            owed = d.amount > 0 and line.declared_duty is None
            citations.append(cite(m.citations))
            reasons.append(
                Reason(
                    severity="error" if owed else "warning",
                    rule="declared.heading",
                    message=f"{heading} ({m.id}) applies but was not declared",
                    citation=cite(m.citations),
                )
            )
    reasons += _per_heading(compiled, line, duties, applied)
    if line.declared_duty is not None:
        minor = compiled.pack.header.minor_unit
        declared_duty = round_money(line.declared_duty, minor)
        diff = declared_difference(line, total, minor) or ZERO
        cur = compiled.pack.header.currency
        citation = "; ".join(dict.fromkeys(c for c in citations if c))
        if diff < 0:
            reasons.append(
                Reason(
                    severity="error",
                    rule="declared.duty",
                    citation=citation,
                    message=UNDER_DECLARED.format(under=-diff, currency=cur, declared=declared_duty, total=total),
                )
            )
        elif diff > 0:
            reasons.append(
                Reason(
                    severity="warning",
                    rule="declared.duty",
                    citation=citation,
                    message=OVER_DECLARED.format(over=diff, currency=cur, declared=declared_duty, total=total),
                )
            )
    return reasons
