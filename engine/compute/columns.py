"""A chunk's result batch made by the compute stage: each line run through its plan's program (`program.py`) and
written straight into the batch's columns; a line no program can compute exactly is resolved the reference way
(`Checker.resolved`, a `Result`) and written through the adapter (`report.adapter.from_results`)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..entries.records import LINE, NOTES, NUMERIC
from ..report.adapter import from_results, minor
from ..report.result import Result
from ..report.result_batch import CHARGES, SCALARS, Plan, ResultBatch
from ..run.check import extra_columns, finished
from .program import Computed
from .results import result_of

if TYPE_CHECKING:
    from ..entries.columns import LineView
    from ..resolve.per_entry import EntryLaw
    from ..run.check import Checker

PER_LINE = ("row", *SCALARS, *(total for _, total, _ in CHARGES), "declared_duty", "plan")
SPARSE = ("line_reasons", "portions", "quota", "extra", "other")
DUTY_COLUMNS = ("duty_component", "duty_basis", "duty_amount")


def computed_batch(
    checker: Checker, records: list[dict], first_row: int, file: int, path: str | None, minor_units: dict[str, int]
) -> tuple[ResultBatch, dict[int, Result], Counter]:
    """The chunk's batch; by offset, the `Result`s of the lines the reference resolve made and of the computed lines
    that take part in their entry's settlement (`takes_part`); and how many lines each way took (`program`,
    `reference`)."""
    batch = ResultBatch(file=file, path=path, minor_units=dict(minor_units))
    referred: dict[int, Result] = {}
    plans: dict[Plan, Plan] = {}
    counts: Counter = Counter()
    for n, item in enumerate(checker.prepared(records, first_row)):
        raw = records[n]
        computed = None
        if not isinstance(item, Result):
            compiled, view, refs, note = item
            if not (isinstance(refs, Exception) or note or NOTES in raw or NUMERIC in raw):
                computed = checker.program(view.destination, compiled, refs).run(view)
        if computed is not None:
            append_computed(batch, view, computed, extra_columns(raw))
            if takes_part(checker.entry_law.get(view.destination), batch, n):
                line = raw.get(LINE)
                referred[n] = result_of(batch, n, computed, line if isinstance(line, int) else None)
            counts["program"] += 1
            continue
        result = finished(raw, item if isinstance(item, Result) else checker.resolved(*item))
        if path is not None:  # named as the batch's lines are (settling may render it again)
            result = result.model_copy(update={"file": path})
        append_result(batch, result, plans)
        referred[n] = result
        counts["reference"] += 1
    return batch, referred, counts


def append_computed(batch: ResultBatch, view: LineView, c: Computed, extra: dict[str, str]) -> None:
    n = len(batch.row)
    batch.row.append(view.row)
    batch.entry_number.append(view.entry_number)
    batch.line_number.append(view.line_number)
    batch.destination.append(view.destination)
    batch.hts_code.append(view.hts_code)
    batch.origin.append(view.origin)
    batch.entry_date.append(view.entry_date.isoformat())
    batch.verdict.append(c.verdict)
    currency = c.currency
    batch.currency.append(currency)
    digits = batch.minor_units[currency]
    batch.total_duty.append(minor(c.total_duty, digits))
    batch.total_taxes.append(minor(c.total_taxes, digits))  # type: ignore[arg-type]
    batch.total_fees.append(minor(c.total_fees, digits))  # type: ignore[arg-type]
    batch.declared_duty.append(None if c.declared_duty is None else minor(c.declared_duty, digits))
    batch.plan.append(c.plan)
    for charged in c.charges:
        batch.duty_component.append(charged.component)
        batch.duty_basis.append(str(charged.basis_value))
        batch.duty_amount.append(minor(charged.amount, digits))  # type: ignore[arg-type]
    batch.duty_start.append(len(batch.duty_amount))
    if c.own:
        batch.line_reasons[n] = c.own
    if c.portions:
        batch.portions[n] = c.portions
    if extra:
        batch.extra[n] = extra


def append_result(batch: ResultBatch, result: Result, plans: dict[Plan, Plan]) -> None:
    """A line the reference resolve made, appended through the adapter (its plan shared within the batch)."""
    n = len(batch.row)
    one = from_results([result], batch.file, batch.path, batch.minor_units)
    for currency, digits in one.minor_units.items():
        batch.minor_units.setdefault(currency, digits)
    for name in PER_LINE:
        getattr(batch, name).append(getattr(one, name)[0])
    batch.plan[n] = plans.setdefault(batch.plan[n], batch.plan[n])
    for name in DUTY_COLUMNS:
        getattr(batch, name).extend(getattr(one, name))
    batch.duty_start.append(len(batch.duty_amount))
    for name in SPARSE:
        if 0 in getattr(one, name):
            getattr(batch, name)[n] = getattr(one, name)[0]


def takes_part(law: EntryLaw | None, batch: ResultBatch, n: int) -> bool:
    """`resolve.per_entry.takes_part` of a computed line (which declares no fees): it owes a per-entry charge,
    or its declared duty differs from the computed one while the pack has a tolerance."""
    if law is None or batch.verdict[n] == "invalid":
        return False
    declared = batch.declared_duty[n]
    if law.tolerance is not None and declared is not None and declared != batch.total_duty[n]:
        return True
    return any(batch.duty_component[d].measure in law.bounds for d in batch.duties(n))
