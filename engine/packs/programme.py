"""Measure families and refund programmes, as pack data.

A *family* (`families:` in pack.yaml) names a set of Chapter 99 headings, e.g. the IEEPA duties: the
duties a refund programme gives back. A *refund programme* (a file in the pack's `refunds/` folder) says
how: its legal basis, its phases, the eligibility rules an entry is sorted by (first rule that holds), the
declaration file's limits, the entry-number format and the protest deadline. The engine knows the customs
concepts (entry type, liquidation, reconciliation, protest); every heading, date, number and word of law
is here, as data."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .model import Strict

Status = Literal["claim", "protest", "excluded", "none", "review"]
STATUSES: tuple[str, ...] = ("claim", "later", "protest", "excluded", "review", "none")  # `later`: a claim not yet open


class Phase(Strict):
    """A phase of the programme: the date from which its entries can be declared."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    from_: dt.date = Field(alias="from")
    citations: list[str] = Field(min_length=1)


class When(Strict):
    """What an eligibility rule tests of an entry; every test given must hold. `liquidation` and `protest` name
    the categories of `vocabulary`, plus `missing` (no value in the file) and `unknown` (a value no category has)."""

    refundable: bool | None = None  # the entry paid (or, without declared duty, owes) duty of the family
    entry_types: list[Annotated[str, Field(pattern=r"^\d{2}$")]] = Field(default_factory=list)
    reconciliation: bool | None = None
    protest: list[str] = Field(default_factory=list)
    liquidation: list[str] = Field(default_factory=list)
    liquidation_date: bool | None = None  # the file gives the liquidation date
    liquidated_within_days: int | None = Field(default=None, ge=0)  # on the as-of date, at most this many days
    liquidated_over_days: int | None = Field(default=None, ge=0)
    protest_window: bool | None = None  # the as-of date is within the protest period after liquidation


class Rule(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    when: When
    status: Status
    phase: str | None = None  # a `claim` names the phase it is declared in
    message: str
    check: str | None = None  # what a person must still check (a warning), even when the entry is claimed
    citations: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _claim_phase(self) -> Rule:
        if (self.status == "claim") != (self.phase is not None):
            raise ValueError("a `claim` rule names its `phase`, and only a claim does")
        return self


class Vocabulary(Strict):
    """The words a file uses, by category (compared case-folded, spaces trimmed)."""

    liquidation: dict[str, list[str]]
    protest: dict[str, list[str]]
    reconciliation: dict[Literal["flagged", "not-flagged"], list[str]]


class EntryNumber(Strict):
    """The entry number's format: `pattern` (a regular expression with groups) and the groups written
    together as the declaration wants them. `check_digit`: the name of a sourced algorithm, or null."""

    pattern: str
    check_digit: None = None
    note: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"pattern {v!r}: {exc}") from exc
        return v

    def normal(self, text: str) -> str | None:
        """The entry number as the declaration writes it, or None if it is not in the format."""
        m = re.fullmatch(self.pattern, text.strip().upper())
        return "".join(m.groups()) if m else None


class Declaration(Strict):
    """The declaration file: one column, at most `max_entries` entries, no entry twice across files. With
    `importer_file_name`, a declaration is for one importer of record: when the entries name their importer,
    each importer's claims go into files of their own, named by it (`{importer}`, `{n}` from 1 per importer)."""

    title: str
    column: str
    max_entries: int = Field(ge=1)
    file_name: str  # `{n}`: the file's number, from 1
    importer_file_name: str | None = None
    entry_number: EntryNumber
    citations: list[str] = Field(min_length=1)

    @field_validator("importer_file_name")
    @classmethod
    def _names_importer(cls, v: str | None) -> str | None:
        if v is not None and not ("{importer}" in v and "{n}" in v):
            raise ValueError("importer_file_name must contain {importer} and {n}")
        return v


class Deadline(Strict):
    days: int = Field(ge=1)
    title: str
    citations: list[str] = Field(min_length=1)


class SmallRefund(Strict):
    """An entry's refund below the pack's liquidation tolerance (`pack.yaml` `tolerance`: 19 CFR 159.6, the $20
    rule) is flagged for review. The amount is written once, in the pack: `of: tolerance` refers to it and the
    loader fills in `under` (writing an amount here is an error)."""

    of: Literal["tolerance"]
    message: str
    citations: list[str] = Field(min_length=1)
    under: Decimal | None = None  # the pack's tolerance, filled in when the pack is loaded


class Interest(Strict):
    """Interest on refunds. Only `unconfirmed` is known: no rate or accrual is written, so none is computed;
    each entry with a refund says `review: not computed` instead of a number (a confirmed rate needs code)."""

    status: Literal["unconfirmed"]
    message: str
    citations: list[str] = Field(min_length=1)


class RefundProgramme(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")]
    title: str
    family: str
    published: dt.date  # the programme is known to `--law-as-of` dates from this one
    citations: list[str] = Field(min_length=1)
    route: str  # how the refund is claimed, in a sentence (the line's `refund` reason says it)
    line_action: Literal["review", "info"]  # the severity of a line's `refund` reason: review = warning
    phases: list[Phase] = Field(min_length=1)
    vocabulary: Vocabulary
    rules: list[Rule] = Field(min_length=1)
    declaration: Declaration
    protest: Deadline
    small_refund: SmallRefund | None = None
    interest: Interest | None = None
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _phases_named(self) -> RefundProgramme:
        phases = {p.id for p in self.phases}
        for rule in self.rules:
            if rule.phase is not None and rule.phase not in phases:
                raise ValueError(f"rule {rule.id}: no phase {rule.phase!r}")
        categories = {"liquidation": set(self.vocabulary.liquidation), "protest": set(self.vocabulary.protest)}
        for rule in self.rules:
            for kind, known in categories.items():
                for name in getattr(rule.when, kind):
                    if name not in known | {"missing", "unknown"}:
                        raise ValueError(f"rule {rule.id}: no {kind} category {name!r} in `vocabulary`")
        return self

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)


class ProgrammeFile(Strict):
    refund_programme: RefundProgramme
