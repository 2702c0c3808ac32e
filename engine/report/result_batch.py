"""The result batch: one chunk of one input file's results as columns, plus the shared templates they point at.

This is the contract between the stage that computes results and the stages that store and emit them
(/work/notes/result-batch.md says the same in prose). A batch holds no per-line objects: per-line values are
plain lists (one entry per line, in input order); what many lines share (a plan's reasons and exclusions, duty
components) is a frozen, hashable value that lines point at. Money is integer minor units of the line's currency
(`money` renders it as today's decimal text). Every record of today's output can be rebuilt from a batch byte for
byte (engine/report/render.py), and the run store keeps it normalised (engine/run/store.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .result import QuotaClaim

# The wordings of the reasons whose numbers are the line's own, as templates: they are written once per plan and
# filled from the line's columns. Holes: {total} {currency} {declared} {over} {under} (money of the line), and for a
# reason bound to one of the line's duty lines {heading} {rate} {basis} {basis_value} {amount}. Literal braces are
# doubled.
DUTY_NOTE = "{heading} {title}: {rate} on {basis} {basis_value} = {amount}"  # {title} is filled when the plan is made
UNDER_DECLARED = "under-declared by {under} {currency}: declared {declared}, computed {total}"
OVER_DECLARED = "over-declared: refund of {over} {currency} (declared {declared}, computed {total})"
IDENTITY = ("entry_number", "line_number", "destination", "hts_code", "origin", "entry_date")  # as the record has them
SCALARS = (*IDENTITY, "verdict", "currency")  # the per-line text columns
LINE_HOLES = ("total", "currency", "declared", "over", "under")
DUTY_HOLES = ("heading", "rate", "basis", "basis_value", "amount")


class Component(NamedTuple):
    """What a charge line says besides its numbers: measure, heading, rate text, basis, and which list of the
    record it is in (`duty`: duties, `tax`: taxes, `fee`: fees)."""

    measure: str
    heading: str
    rate: str
    basis: str
    charge: str = "duty"
    digits: int | None = None  # decimals the record prints its amounts with, if not the currency's (a pack's rounding)


# The shared values are named tuples, not frozen dataclasses: they are hashed in every batch and pickled from the
# workers to the main process, and tuples hash, compare and unpickle in C (measured: README, Speed).

# The record's lists of charge lines, their totals and the kind of charge in each, in record order.
CHARGES = (("duties", "total_duty", "duty"), ("taxes", "total_taxes", "tax"), ("fees", "total_fees", "fee"))


class Text(NamedTuple):
    """A reason. In a plan, `message` is a template (see the holes above); in `line_reasons`, literal text."""

    severity: str
    rule: str
    message: str
    citation: str = ""


class Exclusion(NamedTuple):
    measure: str
    excluded_by: str
    reason: str


class Plan(NamedTuple):
    """Everything in a line's record that is not one of its own values: its reasons (each with the position of the
    duty line its holes refer to, or None) and its exclusions (each with whether the line gives a portion)."""

    reasons: tuple[tuple[Text, int | None], ...] = ()
    excluded: tuple[tuple[Exclusion, bool], ...] = ()


NO_PLAN = Plan()


@dataclass
class ResultBatch:
    """The results of consecutive lines of one input file, as columns (see the module docstring)."""

    file: int = 0
    path: str | None = None
    minor_units: dict[str, int] = field(default_factory=dict)
    row: list[int] = field(default_factory=list)
    entry_number: list[str | None] = field(default_factory=list)
    line_number: list[str | None] = field(default_factory=list)
    destination: list[str | None] = field(default_factory=list)
    hts_code: list[str | None] = field(default_factory=list)
    origin: list[str | None] = field(default_factory=list)
    entry_date: list[str | None] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    currency: list[str] = field(default_factory=list)
    total_duty: list[int | None] = field(default_factory=list)  # None: an invalid line has no duty
    total_taxes: list[int] = field(default_factory=list)
    total_fees: list[int] = field(default_factory=list)
    declared_duty: list[int | None] = field(default_factory=list)
    plan: list[Plan] = field(default_factory=list)
    duty_start: list[int] = field(default_factory=lambda: [0])
    duty_component: list[Component] = field(default_factory=list)
    duty_basis: list[str] = field(default_factory=list)
    duty_amount: list[int] = field(default_factory=list)
    line_reasons: dict[int, list[tuple[int, Text]]] = field(default_factory=dict)
    portions: dict[int, tuple[str, ...]] = field(default_factory=dict)
    quota: dict[int, list[QuotaClaim]] = field(default_factory=dict)
    extra: dict[int, dict[str, str]] = field(default_factory=dict)
    other: dict[int, dict[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.row)

    def digits(self, line: int) -> int:
        return self.minor_units.get(self.currency[line], 0)

    def duties(self, line: int) -> range:
        return range(self.duty_start[line], self.duty_start[line + 1])

    def amount(self, d: int, digits: int) -> str:
        """Charge line `d`'s amount as the record prints it (`digits`: its line's currency's)."""
        shown = self.duty_component[d].digits
        minor = self.duty_amount[d]
        if shown is None or shown == digits:
            return money(minor, digits)
        if shown < digits:  # a whole number of a coarser unit (whole dollars): stored exactly in minor units
            return money(minor // 10 ** (digits - shown), shown)
        return money(minor * 10 ** (shown - digits), shown)


def money(minor: int, digits: int) -> str:
    """Minor units as decimal text, as a Decimal rounded to `digits` places prints: 1234, 2 -> '12.34'."""
    if digits == 0:
        return str(minor)
    whole, part = divmod(-minor if minor < 0 else minor, 10**digits)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{digits}d}"


def holes(batch: ResultBatch, line: int, duty: int | None) -> dict[str, str]:
    """The values a template of this line (and of one of its duty lines) is filled with."""
    digits = batch.digits(line)
    total, declared = batch.total_duty[line], batch.declared_duty[line]
    values = {"total": "" if total is None else money(total, digits), "currency": batch.currency[line]}
    if declared is not None and total is not None:
        values |= {
            "declared": money(declared, digits),
            "over": money(declared - total, digits),
            "under": money(total - declared, digits),
        }
    if duty is not None:
        n = batch.duty_start[line] + duty
        c = batch.duty_component[n]
        values |= {
            "heading": c.heading,
            "rate": c.rate,
            "basis": c.basis,
            "basis_value": batch.duty_basis[n],
            "amount": batch.amount(n, digits),
        }
    return values


def escape(text: str) -> str:
    """Text as a template that says exactly that text (no holes)."""
    return text.replace("{", "{{").replace("}", "}}")


def reasons_of(batch: ResultBatch, n: int) -> list[tuple[Text, int | None, bool]]:
    """The line's reasons in record order: (text, duty position, whether the text is a template)."""
    own = batch.line_reasons.get(n, ())
    out: list[tuple[Text, int | None, bool]] = []
    at = 0
    for position, (text, duty) in enumerate(batch.plan[n].reasons):
        while at < len(own) and own[at][0] <= position:
            out.append((own[at][1], None, False))
            at += 1
        out.append((text, duty, True))
    out.extend((text, None, False) for _, text in own[at:])
    return out


def message(batch: ResultBatch, n: int, text: Text, duty: int | None, template: bool) -> str:
    return text.message.format_map(holes(batch, n, duty)) if template else text.message
