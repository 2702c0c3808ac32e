"""The rule-pack schema: pydantic models for packs, measures, scopes, dates, stacking and conditions.

Names follow the customs vocabulary (TARIC): a *measure* of a *measure type* (`kind`) applies to a
*geographical area* (`scope.origins`) and goods codes, between dates, with a *duty expression* (`rate`)
and *conditions* that name *document codes* and an *action* when unmet."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..duty.expression import DutyExpression, DutyExpressionError, parse_duty_expression
from ..duty.rounding import Rounding

MEASURE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"
HEADING = r"^\d{4}\.\d{2}(\.\d{2}(\.\d{2})?)?$|^\d{6,10}$"
Mode = Literal["vessel", "air", "truck", "rail", "mail"]
Charge = Literal["duty", "tax", "fee"]  # what a computed amount is: customs duty, a tax on import, a fee
CHARGES: tuple[Charge, ...] = ("duty", "tax", "fee")
BASIS_FIELDS = ("value", "steel_value", "aluminum_value", "copper_value", "us_content_value")
BasisField = Literal["value", "steel_value", "aluminum_value", "copper_value", "us_content_value"]
SHARE_FIELDS = BASIS_FIELDS[1:]
Digits = Annotated[str, Field(pattern=r"^\d{2,10}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CodeScope(Strict):
    """Tariff codes: digit prefixes and named lists, each with exclusions."""

    prefixes: list[Digits] = []
    lists: list[str] = []
    exclude_prefixes: list[Digits] = []
    exclude_lists: list[str] = []

    @model_validator(mode="after")
    def _not_empty(self) -> CodeScope:
        if not self.prefixes and not self.lists:
            raise ValueError("a code scope needs `prefixes` or `lists` (omit `codes` to cover every code)")
        return self


class ShareTest(Strict):
    """A test on a content share of the customs value, e.g. `us_content_value` >= 20%."""

    field: Literal["steel_value", "aluminum_value", "copper_value", "us_content_value"]
    gte: str | None = None
    lt: str | None = None

    @field_validator("gte", "lt")
    @classmethod
    def _percent(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d+(\.\d{1,2})?%", v):
            raise ValueError("a share threshold is a percentage with at most two decimals, e.g. '20%'")
        return v

    @model_validator(mode="after")
    def _one_bound(self) -> ShareTest:
        if self.gte is None and self.lt is None:
            raise ValueError("a share test needs `gte` or `lt`")
        return self


class ValueTest(Strict):
    """A test on the line's customs value, in the pack's currency: `lte: "800"` (at most), `gt: "800"` (above)."""

    lte: str | None = None
    gt: str | None = None

    @field_validator("lte", "gt")
    @classmethod
    def _amount(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d+(\.\d{1,4})?", v):
            raise ValueError("a value bound is an amount in the pack's currency, e.g. '800' or '800.00'")
        return v

    @model_validator(mode="after")
    def _one_bound(self) -> ValueTest:
        if self.lte is None and self.gt is None:
            raise ValueError("a value test needs `lte` or `gt`")
        return self


class Scope(Strict):
    """Where a measure applies. Empty lists mean 'any'."""

    origins: list[str] = ["*"]
    exclude_origins: list[str] = []
    codes: CodeScope | None = None
    modes: list[Mode] = []
    spi: list[str] = []
    exclude_spi: list[str] = []
    attributes: dict[str, list[str]] = {}
    exclude_attributes: dict[str, list[str]] = {}
    shares: list[ShareTest] = []
    value: ValueTest | None = None
    requires_fields: list[BasisField | Literal["quantity", "mfn_rate", "loaded_date"]] = []


class InTransit(Strict):
    """Goods loaded (on the final mode) before `loaded_before`, optionally only by `modes`."""

    loaded_before: dt.date
    loaded_from: dt.date | None = None
    modes: list[Mode] = []


class Dates(Strict):
    """On the entry date: `from` inclusive, `until` exclusive. `published` is when the instrument was
    issued: `--law-as-of` ignores measures published after it."""

    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    published: dt.date | None = None
    in_transit: InTransit | None = None

    @model_validator(mode="after")
    def _order(self) -> Dates:
        if self.until is not None and self.until <= self.from_:
            raise ValueError(f"`from` {self.from_} must be before `until` {self.until}")
        return self


class Basis(Strict):
    """What a rate applies to: the full value or a content value. `fallback: value` charges the full
    value (with a warning) when the content value is not declared. `plus` adds the line's charges of
    those kinds (after their rounding): Japan's consumption tax is on value + customs duty. `of` is the sum
    of other measures' amounts instead (the local consumption tax is 22/78 of the national tax)."""

    field: BasisField = "value"
    fallback: Literal["value"] | None = None
    plus: list[Charge] = []
    of: list[Annotated[str, Field(pattern=MEASURE_ID)]] = []

    @model_validator(mode="after")
    def _one_source(self) -> Basis:
        if self.of and (self.plus or self.field != "value" or self.fallback):
            raise ValueError("a basis `of` other measures has no `field`, `fallback` or `plus`")
        return self

    def describe(self, present: frozenset[str] | set[str] | None = None) -> str:
        """`value + duty`, or the `of` measures (only those `present` on the line, when given)."""
        if self.of:
            return " + ".join(m for m in self.of if present is None or m in present)
        return " + ".join([self.field, *self.plus])


class RoundingRule(Strict):
    """How the law rounds one amount: `down` truncates to a multiple of `unit` (Japan: National Tax
    General Rules Act arts. 118-119), `half-up` rounds to it (the US: half up to the cent)."""

    mode: Literal["half-up", "down"]
    unit: Decimal = Field(gt=0)

    @property
    def rounding(self) -> Rounding:
        return Rounding(self.mode, self.unit)


class ChargeRounding(Strict):
    """The rounding of one kind of charge: of the money basis its rate applies to (`basis`, default:
    exact), of each charge line (`amount`, default: half up to the currency's minor unit) and of what the
    line owes in total (`total`, from each line's exact amount; default: the sum of the rounded lines).
    A measure's own `rounding` overrides the parts it names."""

    basis: RoundingRule | None = None
    amount: RoundingRule | None = None
    total: RoundingRule | None = None
    citations: list[str] = []


class Exclusion(Strict):
    """When this measure applies (`when: applies`) or owes more than zero (`when: subject`), the target
    (a measure id or `group:NAME`) does not apply: wholly, or (`portion: basis`) on this measure's basis."""

    target: str
    when: Literal["applies", "subject"] = "applies"
    portion: Literal["all", "basis"] = "all"
    heading: Annotated[str, Field(pattern=HEADING)] | None = None
    reason: str | None = None


class Stacking(Strict):
    group: str | None = None
    excludes: list[Exclusion] = []


class Alternative(Strict):
    """One document that meets a condition, optionally only for some entry dates or origins."""

    document: str
    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    origins: list[str] = []
    cap: Cap | None = None


class Cap(Strict):
    """A cross-line quantity cap: units per attribute value per calendar year, across a whole run."""

    units: int = Field(gt=0)
    per_attribute: str
    unit: str = "no"  # the line's quantity must be in this unit (canonical, see duty.UNITS)


class Condition(Strict):
    """Met when any of `documents` is declared (and every `attributes` test holds); else `action`."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    message: str
    documents: list[str | Alternative] = []
    attributes: dict[str, list[str]] = {}
    action: Literal["reject", "review", "info"]
    citations: list[str] = []

    @model_validator(mode="after")
    def _has_test(self) -> Condition:
        if not self.documents and not self.attributes:
            raise ValueError("a condition needs `documents` or `attributes`")
        if sum(1 for a in self.alternatives() if a.cap is not None) > 1:
            raise ValueError("a condition has at most one capped document")
        return self

    def capped(self) -> Alternative | None:
        return next((a for a in self.alternatives() if a.cap is not None), None)

    def alternatives(self) -> list[Alternative]:
        return [Alternative(document=d) if isinstance(d, str) else d for d in self.documents]


class PerEntry(Strict):
    """A charge owed per entry, not per line (the merchandise processing fee, 19 CFR 24.23(b)(1)): the amounts of
    an entry's lines are summed and held between `minimum` and `maximum` (in the pack's currency); where they are
    moved, the entry's amount is shared back over its lines by their basis."""

    minimum: Decimal | None = Field(default=None, ge=0)
    maximum: Decimal | None = Field(default=None, gt=0)
    citations: list[str] = []

    @model_validator(mode="after")
    def _bounds(self) -> PerEntry:
        if self.minimum is None and self.maximum is None:
            raise ValueError("`per_entry` needs a `minimum` or a `maximum`")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"`per_entry` minimum {self.minimum} is above its maximum {self.maximum}")
        return self


class Tolerance(Strict):
    """The net difference per entry, between what the lines declared and what the law gives, under which customs
    disregards it at liquidation (19 CFR 159.6(a): under $20). A line's declared-duty finding inside it is a
    warning, not an error."""

    under: Decimal = Field(gt=0)
    citations: list[str] = Field(min_length=1)
    note: str | None = None


class Measure(Strict):
    id: Annotated[str, Field(pattern=MEASURE_ID)]
    title: str
    kind: Literal["duty", "exemption", "admissibility", "sale"]
    charge: Charge = "duty"  # a `duty` measure's amount is customs duty, a tax on import or a fee
    heading: Annotated[str, Field(pattern=HEADING)] | None = None
    nil_heading: Annotated[str, Field(pattern=HEADING)] | None = None
    citations: list[str] = Field(min_length=1)
    status: Literal["confirmed", "unconfirmed"] = "confirmed"
    note: str | None = None
    scope: Scope = Scope()
    dates: Dates
    rate: str | None = None
    basis: Basis = Basis()
    stacking: Stacking = Stacking()
    conditions: list[Condition] = []
    rounding: ChargeRounding | None = None
    per_entry: PerEntry | None = None

    @field_validator("rate")
    @classmethod
    def _rate_parses(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                parse_duty_expression(v)
            except DutyExpressionError as exc:
                raise ValueError(f"rate {v!r}: {exc}") from exc
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> Measure:
        if self.kind == "duty" and self.rate is None and self.status == "confirmed":
            raise ValueError("a confirmed duty measure needs a `rate`")
        if self.kind != "duty" and self.rate is not None:
            raise ValueError(f"a {self.kind} measure has no `rate`")
        if self.nil_heading and not (self.rate or "").lower().startswith("all-in"):
            raise ValueError("`nil_heading` is only for all-in rates")
        if self.kind != "duty" and (self.charge != "duty" or self.rounding is not None):
            raise ValueError(f"a {self.kind} measure has no `charge` or `rounding`")
        if self.id in self.basis.of:
            raise ValueError("a measure's basis cannot be its own amount")
        if self.per_entry is not None and self.kind != "duty":
            raise ValueError(f"a {self.kind} measure has no `per_entry`")
        return self

    @property
    def duty_expression(self) -> DutyExpression | None:
        return parse_duty_expression(self.rate) if self.rate is not None else None


class Precedence(Strict):
    """A dated order of precedence (e.g. EO 14289): a measure of an earlier rank that owes duty
    (`when: subject`) excludes the measures of every later rank."""

    id: Annotated[str, Field(pattern=MEASURE_ID)]
    title: str
    citations: list[str] = Field(min_length=1)
    dates: Dates
    order: list[list[str]] = Field(min_length=2)
    when: Literal["applies", "subject"] = "subject"
    replaces: list[str] = []  # earlier orders this one supersedes from its own `from` (ids)


HEADING_RANGE = r"^\d{4}\.\d{2}\.\d{2}(-\d{4}\.\d{2}\.\d{2})?$"


def _digits(heading: str) -> str:
    return heading.replace(".", "")


class Family(Strict):
    """Chapter 99 headings (`9903.01.01-9903.01.05` ranges, both ends included, or single headings)."""

    title: str
    headings: list[Annotated[str, Field(pattern=HEADING_RANGE)]] = Field(min_length=1)
    citations: list[str] = Field(min_length=1)
    status: Literal["confirmed", "unconfirmed"] = "confirmed"
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Family:
        for item in self.headings:
            low, _, high = item.partition("-")
            if high and _digits(high) < _digits(low):
                raise ValueError(f"heading range {item}: the first heading is after the last")
        return self

    def covers(self, heading: str) -> bool:
        """Whether a duty line's heading (`9903.02.73`, dotted or not) is one of the family's."""
        return _in_ranges(tuple(self.headings), heading)


@functools.lru_cache(maxsize=4096)
def _in_ranges(ranges: tuple[str, ...], heading: str) -> bool:
    digits = _digits(heading)
    for item in ranges:
        low, _, high = item.partition("-")
        if len(digits) == len(_digits(low)) and _digits(low) <= digits <= _digits(high or low):
            return True
    return False


class PackHeader(Strict):
    """`pack.yaml` at the top of a pack folder."""

    id: str
    title: str
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]  # the importing country, ISO alpha-2
    code_digits: list[int] = []  # lengths of the tariff codes lines declare (empty: 6 to 10 digits)
    # a national system's check character after the longest code (Japan: NACCS's tenth): accepted, not kept
    code_suffix: str | None = None
    default: bool = False  # the pack for lines that name no destination (with no --destination)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    minor_unit: int = Field(ge=0, le=4)
    schedule: str | None = None  # the tariff schedule whose reference data checks lines (e.g. htsus)
    areas: dict[str, list[str]] = {}
    documents: dict[str, str] = {}
    attributes: dict[str, str] = {}
    precedence: list[Precedence] = []
    rounding: dict[Charge, ChargeRounding] = {}  # per charge kind; none: each line half up to the minor unit
    stale_after_days: int | None = Field(default=None, ge=1)  # lint CL014: newest `published` older than this
    tolerance: Tolerance | None = None  # declared vs computed, per entry (none: every difference counts)
    families: dict[str, Family] = {}  # named sets of Chapter 99 headings (what a refund programme gives back)


class MeasureFile(Strict):
    """A file of measures from one legal instrument; `instrument` defaults apply to each measure."""

    instrument: str
    citations: list[str] = []
    published: dt.date | None = None
    measures: list[dict] = Field(min_length=1)


Alternative.model_rebuild()
