"""Results <-> result batches. `from_results` builds a batch from per-line `Result`s (the path of today's
per-line resolve, until the columnar engine produces batches itself); `to_results` gives the `Result`s back
where a person reads single lines (the table format, `explain`, tests)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache

from pydantic import TypeAdapter

from ..resolve import refund
from .result import DutyLine, Excluded, Reason, Result
from .result_batch import (
    CHARGES,
    DUTY_NOTE,
    OVER_DECLARED,
    SCALARS,
    UNDER_DECLARED,
    Component,
    Exclusion,
    Plan,
    ResultBatch,
    Text,
    escape,
    holes,
    message,
    money,
    reasons_of,
)

LINE_SPECIFIC = ("input.",)
OWN_NUMBERS = (refund.RULE,)  # a line's refund: the line's own amounts, kept with the line
DECLARED_RULE = "declared.duty"  # reasons about the line's own input: kept with the line, never in a plan
MODELLED = frozenset(
    ("row", "file", *SCALARS, *(name for charge in CHARGES for name in charge[:2]), "declared_difference")
) | {"reasons", "excluded", "quota", "extra", "line"}  # `line` (where the record starts in its file) is no record field


def other_fields() -> tuple[str, ...]:
    """The `Result` fields this batch does not model as columns (kept per line as rendered JSON)."""
    return tuple(name for name in Result.model_fields if name not in MODELLED)


@cache
def _dump(name: str):  # type: ignore[no-untyped-def]
    return TypeAdapter(Result.model_fields[name].annotation).dump_json


@cache
def _load(name: str):  # type: ignore[no-untyped-def]
    return TypeAdapter(Result.model_fields[name].annotation).validate_json


def minor(amount: Decimal | None, digits: int) -> int | None:
    """An amount as minor units. Every amount the engine makes is rounded to its currency's minor unit, so
    that `money(minor, digits)` prints it as it was; an amount that is not a whole number of minor units is
    refused (ValueError) rather than changed. No amount (an invalid line's duty) stays None."""
    if amount is None:
        return None
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} is not a whole number of minor units ({digits} digits)")
    return int(scaled)


def _shown(amount: Decimal, digits: int) -> int | None:
    """The decimals an amount is printed with, when they are not the currency's (None)."""
    exponent = amount.as_tuple().exponent
    shown = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return None if shown == digits else shown


def digits_of(result: Result, minor_units: dict[str, int]) -> int:
    known = minor_units.get(result.currency)
    if known is not None:
        return known
    exponent = (result.total_taxes if result.total_duty is None else result.total_duty).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def batches_of(
    results: Iterable[Result], size: int = 1000, minor_units: dict[str, int] | None = None
) -> Iterator[ResultBatch]:
    """Results (of one file or several) as batches of up to `size` lines; a new batch where the file changes."""
    chunk: list[Result] = []
    for r in results:
        if chunk and (len(chunk) == size or r.file != chunk[0].file):
            yield from_results(chunk, path=chunk[0].file, minor_units=minor_units)
            chunk = []
        chunk.append(r)
    if chunk:
        yield from_results(chunk, path=chunk[0].file, minor_units=minor_units)


def from_results(
    results: Iterable[Result], file: int = 0, path: str | None = None, minor_units: dict[str, int] | None = None
) -> ResultBatch:
    batch = ResultBatch(file=file, path=path, minor_units=dict(minor_units or {}))
    plans: dict[Plan, Plan] = {}
    components: dict[tuple[str, str, str, str, str, int | None], Component] = {}
    others = other_fields()
    for n, r in enumerate(results):
        digits = digits_of(r, batch.minor_units)
        batch.minor_units.setdefault(r.currency, digits)
        batch.row.append(r.row)
        for name in SCALARS:
            getattr(batch, name).append(getattr(r, name))
        difference, total = r.declared_difference, r.total_duty
        batch.declared_duty.append(None if difference is None or total is None else minor(total + difference, digits))
        for lines, total, charge in CHARGES:
            getattr(batch, total).append(minor(getattr(r, total), digits))
            for d in getattr(r, lines):
                key = (d.measure, d.heading, d.rate, d.basis, charge, _shown(d.amount, digits))
                batch.duty_component.append(components.get(key) or components.setdefault(key, Component(*key)))
                batch.duty_basis.append(str(d.basis_value))
                batch.duty_amount.append(minor(d.amount, digits))
        batch.duty_start.append(len(batch.duty_amount))
        plan = Plan(_reasons(batch, n, r.reasons), _excluded(batch, n, r.excluded))
        batch.plan.append(plans.setdefault(plan, plan))
        if r.quota:
            batch.quota[n] = list(r.quota)
        if r.extra:
            batch.extra[n] = dict(r.extra)
        if others:
            _other(batch, n, r, others)
    return batch


def _reasons(batch: ResultBatch, n: int, reasons: list[Reason]) -> tuple[tuple[Text, int | None], ...]:
    """The plan's reasons (as templates where the line's own numbers fill them exactly); the rest to the line."""
    out: list[tuple[Text, int | None]] = []
    duties: dict[str, list[int]] | None = None
    for reason in reasons:
        severity, rule, message, citation = reason.severity, reason.rule, reason.message, reason.citation
        if rule.startswith(LINE_SPECIFIC) or rule in OWN_NUMBERS:
            batch.line_reasons.setdefault(n, []).append((len(out), Text(severity, rule, message, citation)))
            continue
        if severity == "info":
            if duties is None:
                first = batch.duty_start[n]
                duties = {}
                for d in batch.duties(n):
                    duties.setdefault(batch.duty_component[d].measure, []).append(d - first)
            note = next((t for k in duties.get(rule, ()) if (t := _duty_note(batch, n, k, reason))), None)
            if note is not None:
                out.append(note)
                continue
            if _about_a_charge(rule, duties):  # a note with the line's own numbers (an entry's fee shared back)
                batch.line_reasons.setdefault(n, []).append((len(out), Text(severity, rule, message, citation)))
                continue
        elif rule == DECLARED_RULE and batch.declared_duty[n] is not None:
            values = holes(batch, n, None)
            template = next((t for t in (UNDER_DECLARED, OVER_DECLARED) if t.format_map(values) == message), None)
            if template is not None:
                out.append((Text(severity, rule, template, citation), None))
            else:  # the finding with the entry's numbers (the liquidation tolerance): the line's own
                batch.line_reasons.setdefault(n, []).append((len(out), Text(severity, rule, message, citation)))
            continue
        out.append((Text(severity, rule, escape(message), citation), None))
    return tuple(out)


def _about_a_charge(rule: str, measures: dict[str, list[int]]) -> bool:
    """Whether a reason's rule is one of the line's charge measures or one of its parts (`us.fee.mpf.maximum`)."""
    return rule in measures or any(rule.startswith(measure + ".") for measure in measures)


def _duty_note(batch: ResultBatch, n: int, k: int, reason: Reason) -> tuple[Text, int] | None:
    """The reason as the template of duty line `k`'s note (`DUTY_NOTE`), if it is that note."""
    message = reason.message
    d = batch.duty_start[n] + k
    c = batch.duty_component[d]
    tail = f": {c.rate} on {c.basis} {batch.duty_basis[d]} = {batch.amount(d, batch.digits(n))}"
    head = c.heading + " "
    if message.startswith(head) and message.endswith(tail) and len(message) >= len(head) + len(tail):
        title = escape(message[len(head) : len(message) - len(tail)])
        return Text(reason.severity, reason.rule, DUTY_NOTE.replace("{title}", title), reason.citation), k
    return None


def _excluded(batch: ResultBatch, n: int, excluded: list[Excluded]) -> tuple[tuple[Exclusion, bool], ...]:
    portions = tuple(str(x.portion) for x in excluded if x.portion is not None)
    if portions:
        batch.portions[n] = portions
    return tuple((Exclusion(x.measure, x.excluded_by, x.reason), x.portion is not None) for x in excluded)


def _other(batch: ResultBatch, n: int, r: Result, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(r, name)
        if value != Result.model_fields[name].get_default(call_default_factory=True):
            batch.other.setdefault(n, {})[name] = _dump(name)(value).decode()


def settled(batch: ResultBatch, n: int, before: Result, after: Result) -> None:
    """Line `n` as settling left it: its verdict, its claims, and the reasons settling added (after the plan's:
    they are the line's own, e.g. how much of a cap earlier lines used)."""
    batch.verdict[n] = after.verdict
    if after.quota:
        batch.quota[n] = list(after.quota)
    added = after.reasons[len(before.reasons) :]
    if added:
        at = len(batch.plan[n].reasons)
        own = batch.line_reasons.setdefault(n, [])
        own.extend((at, Text(r.severity, r.rule, r.message, r.citation)) for r in added)


def replace_line(batch: ResultBatch, n: int, result: Result) -> None:
    """Line `n` of the batch made again from `result` (a line settled with its whole entry: its charge lines,
    totals, reasons and verdict may all have changed)."""
    one = from_results([result], batch.file, batch.path, batch.minor_units)
    for name in ("row", *SCALARS, *(total for _, total, _ in CHARGES), "declared_duty", "plan"):
        getattr(batch, name)[n] = getattr(one, name)[0]
    start, end = batch.duty_start[n], batch.duty_start[n + 1]
    for name in ("duty_component", "duty_basis", "duty_amount"):
        getattr(batch, name)[start:end] = getattr(one, name)
    shift = len(one.duty_amount) - (end - start)
    for k in range(n + 1, len(batch.duty_start)) if shift else ():
        batch.duty_start[k] += shift
    for name in ("line_reasons", "portions", "quota", "extra", "other"):
        extras = getattr(batch, name)
        extras.pop(n, None)
        if 0 in getattr(one, name):
            extras[n] = getattr(one, name)[0]


# --- back to Results ---------------------------------------------------------------------------------------------


def to_results(batch: ResultBatch) -> list[Result]:
    return [to_result(batch, n) for n in range(len(batch))]


def to_result(batch: ResultBatch, n: int) -> Result:
    """Line `n` of the batch as a `Result`."""
    digits = batch.digits(n)
    declared, total = batch.declared_duty[n], batch.total_duty[n]
    data = {name: getattr(batch, name)[n] for name in SCALARS}
    portions = iter(batch.portions.get(n, ()))
    data |= {
        "row": batch.row[n],
        "file": batch.path,
        "declared_difference": None if declared is None else Decimal(money(declared - (total or 0), digits)),
        "total_duty": None if total is None else Decimal(money(total, digits)),
        "reasons": [
            Reason(severity=t.severity, rule=t.rule, message=message(batch, n, t, k, tpl), citation=t.citation)
            for t, k, tpl in reasons_of(batch, n)
        ],
        "excluded": [
            Excluded(
                measure=x.measure,
                excluded_by=x.excluded_by,
                reason=x.reason,
                portion=Decimal(next(portions)) if has else None,
            )
            for x, has in batch.plan[n].excluded
        ],
        "quota": batch.quota.get(n, []),
        "extra": batch.extra.get(n, {}),
    }
    for lines, total, charge in CHARGES:
        if total != "total_duty":
            data[total] = Decimal(money(getattr(batch, total)[n], digits))
        data[lines] = [
            DutyLine(
                measure=c.measure,
                heading=c.heading,
                rate=c.rate,
                basis=c.basis,
                basis_value=Decimal(batch.duty_basis[d]),
                amount=Decimal(batch.amount(d, digits)),
            )
            for d in batch.duties(n)
            if (c := batch.duty_component[d]).charge == charge
        ]
    data |= {name: _load(name)(text) for name, text in batch.other.get(n, {}).items()}
    return Result.model_validate(data)
