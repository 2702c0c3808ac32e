"""The output contract: one `Result` per input line, with its duty lines, reasons and exclusions."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# `invalid`: the line could not be checked (a column cannot be read, no rule pack for its destination, or no
# answer could be computed); it has no duty. `reject` means customs refuses the goods.
Verdict = Literal["accept", "review", "reject", "invalid"]
Severity = Literal["error", "warning", "info"]
VERDICTS: tuple[Verdict, ...] = ("accept", "review", "reject", "invalid")
SEVERITY_OF_ACTION: dict[str, Severity] = {"reject": "error", "review": "warning", "info": "info"}  # unmet condition


class DutyLine(BaseModel):
    """One charge line: a customs duty, or (in `taxes`, `fees`) a tax or fee, measure by measure."""

    model_config = ConfigDict(frozen=True)

    measure: str
    heading: str
    rate: str
    basis: str
    basis_value: Decimal
    amount: Decimal


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity
    rule: str
    message: str
    citation: str = ""


class Excluded(BaseModel):
    model_config = ConfigDict(frozen=True)

    measure: str
    excluded_by: str
    reason: str
    portion: Decimal | None = None


class QuotaClaim(BaseModel):
    """Units of this line that count against a cross-line cap (e.g. 5,000 vehicles per type per year).
    `used_before` and `within` are filled in when the run settles the line, in input order."""

    model_config = ConfigDict(frozen=True)

    measure: str
    condition: str
    key: str
    year: int
    units: Decimal
    limit: int
    used_before: Decimal | None = None
    within: bool | None = None


# a result's one-value fields, in the order the csv output and the run database list them
LINE_FIELDS = (
    "entry_number",
    "line_number",
    "destination",
    "hts_code",
    "origin",
    "entry_date",
    "verdict",
    "total_duty",
    "total_taxes",
    "total_fees",
    "currency",
)


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    file: str | None = None
    # The physical line of the file where the line's record starts (CI formats point at it). Not part of the
    # record: json/jsonl/csv output and the run store are unchanged by it.
    line: int | None = Field(default=None, exclude=True)
    entry_number: str | None = None
    line_number: str | None = None
    destination: str | None = None
    hts_code: str | None = None
    origin: str | None = None
    entry_date: str | None = None
    verdict: Verdict
    total_duty: Decimal | None  # None (empty, not 0) when the line is `invalid`
    currency: str
    duties: list[DutyLine] = Field(default_factory=list)
    total_taxes: Decimal = Decimal(0)  # charges other than customs duty (measures' `charge: tax | fee`)
    taxes: list[DutyLine] = Field(default_factory=list)
    total_fees: Decimal = Decimal(0)
    fees: list[DutyLine] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    excluded: list[Excluded] = Field(default_factory=list)
    quota: list[QuotaClaim] = Field(default_factory=list)
    extra: dict[str, str] = Field(default_factory=dict)
    # Declared minus computed duty (negative: under-declared), when the line declared its duty. Not part of the
    # record: the entry's settlement sums it (the liquidation tolerance is per entry, 19 CFR 159.6).
    declared_difference: Decimal | None = Field(default=None, exclude=True)
    # the duty the filer declared, rounded as the pack rounds (not in the record: its reasons say it)
    declared_duty: Decimal | None = Field(default=None, exclude=True)
    declared_fees: Decimal | None = Field(default=None, exclude=True)  # the fees the line declared, if it did
    # the duty declared heading by heading, as filed (ES-003), and the duty measures that apply but could not be
    # computed, each (heading, what the line lacks): a refund needs them to tell one duty from another
    declared_by_heading: list[tuple[str, Decimal]] = Field(default_factory=list, exclude=True)
    uncomputed: list[tuple[str, str]] = Field(default_factory=list, exclude=True)

    def other_charges(self) -> tuple[tuple[str, Decimal, list[DutyLine]], ...]:
        """The charges besides customs duty, by name: (`taxes`, total, lines), (`fees`, total, lines)."""
        return (("taxes", self.total_taxes, self.taxes), ("fees", self.total_fees, self.fees))

    def record(self) -> dict:
        """A JSON-ready dict: decimals as strings, so no float ever carries money."""
        return self.model_dump(mode="json")

    def record_json(self) -> str:
        """`record()` as one line of JSON, by pydantic's compiled serialiser (three times faster than
        `json.dumps(record())`; no spaces after separators)."""
        return self.model_dump_json()


def with_reasons(result: Result, reasons: list[Reason], first: bool = False) -> Result:
    """The result with more reasons (before its own if `first`); the verdict follows them, except that
    an `invalid` line stays invalid."""
    if not reasons:
        return result
    merged = [*reasons, *result.reasons] if first else [*result.reasons, *reasons]
    verdict = result.verdict if result.verdict == "invalid" else verdict_of(merged)
    return result.model_copy(update={"reasons": merged, "verdict": verdict})


def verdict_of(reasons: list[Reason]) -> Verdict:
    severities = {r.severity for r in reasons}
    if "error" in severities:
        return "reject"
    if "warning" in severities:
        return "review"
    return "accept"
