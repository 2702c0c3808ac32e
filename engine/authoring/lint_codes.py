"""The finding codes of `clearance rules lint`: stable ids (like ruff's), a severity and documentation.

A code is never renumbered or reused: packs and CI scripts may refer to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str
    doc: str

    def render(self) -> str:
        """The documentation as `clearance rules rule CODE` prints it (Markdown)."""
        return f"# {self.name} ({self.code})\n\nSeverity: {self.severity}\n\n{self.summary}\n\n{self.doc.strip()}\n"


CODES: dict[str, Code] = {}


def _code(code: str, name: str, severity: Severity, summary: str, doc: str) -> None:
    CODES[code] = Code(code, name, severity, summary, doc)


_code(
    "CL001",
    "schema-error",
    "error",
    "A file does not follow the pack format: invalid YAML, a repeated key, an unknown key, a missing or "
    "mistyped field, a rate that does not parse.",
    """
## Why is this bad?
The loader refuses the whole pack (a pack never half-loads), so `clearance check` stops with exit code 2.

## Example
```yaml
measures:
  - id: us.example
    titel: Example          # unknown key (typo of `title`)
    kind: duty
    rate: 15 percent        # not a duty expression
```

## Fix
Follow the schema (`clearance rules schema` gives it to your editor, which then completes and checks keys).
""",
)
_code(
    "CL002",
    "overlapping-measures",
    "error",
    "Two duty measures compete for the same goods, origins and dates, and nothing decides between them "
    "(like TARIC business rule ME32).",
    """
## What it checks
Two duty measures compete when they belong to the same `stacking.group`, or report the same `heading`.
They overlap when their date windows (`from` inclusive, `until` exclusive), their in-transit windows, their
origins (areas expanded, exclusions applied) and their tariff codes (prefixes and named lists, exclusions
applied) all intersect, and their modes, SPI, attributes and content shares do not rule each other out.
The overlap is decided, for each day of it, by any of: one measure excludes the other (by id or `group:`);
a precedence order of `pack.yaml` ranks them apart; a third measure that applies to every code of the
shared origins (a suspension, a replacement or an end written as its own instrument) wholly excludes one
of them. Exemptions are not compared: they only take measures out, and overlapping exemptions are normal
(several legal grounds for one exemption heading).

## Why is this bad?
A line in the overlap gets both duties, or `review` with `stacking.ambiguous`: usually a new instrument
replaced an old rate and the old measure was not closed (`until`) or excluded.

## Example
```yaml
  - id: us.example.old
    heading: 9903.02.30
    stacking: {group: reciprocal}
    dates: {from: 2025-08-07}          # never closed
  - id: us.example.new
    heading: 9903.02.73
    stacking: {group: reciprocal}      # and excludes nothing
    dates: {from: 2025-08-07}
```

## Fix
Close the older measure with `until`, or give the newer one
`excludes: [{target: us.example.old, reason: "..."}]`, or add the instrument that ends the old measure
(an exemption from its date that excludes it), or a dated precedence order.
""",
)
_code(
    "CL003",
    "window-order",
    "error",
    "A date window ends before it starts: `from` on or after `until` (measure, precedence order or "
    "condition document), or an in-transit `loaded_from` on or after `loaded_before`.",
    """
## Why is this bad?
The window is empty: the measure (or document) never applies, silently.

## Fix
Swap or correct the dates. `from` is inclusive and `until` exclusive, both on the entry date.
""",
)
_code(
    "CL004",
    "unknown-list",
    "error",
    "A scope names a code list (`codes.lists`, `codes.exclude_lists`) that is not a file of `lists/`.",
    """
## Fix
Add `lists/NAME.yaml` (a `codes` sequence) or `lists/NAME.csv` (an `hts_prefix` column), or correct the name.
""",
)
_code(
    "CL005",
    "unknown-target",
    "error",
    "A stacking `target`, a measure in a precedence order, a measure a `basis: {of: [...]}` adds up, or a "
    "measure a golden case expects to be excluded names no measure (or `group:` no group) of the pack.",
    """
## Why is this bad?
The exclusion or precedence never takes effect, so two measures stack that should not.

## Note
A precedence order may name a group that has no measure yet (e.g. another country's IEEPA group): that is
not reported. A measure id in an order must exist.
""",
)
_code(
    "CL006",
    "unknown-document",
    "error",
    "A condition names a document code that `pack.yaml` does not declare under `documents`.",
    """
## Why is this bad?
Filers cannot know the code, and a typo makes the condition impossible to meet (every line is rejected).

## Fix
Declare the code with a description in `pack.yaml` `documents`, or correct the spelling.
""",
)
_code(
    "CL007",
    "list-entry-not-digits",
    "error",
    "A tariff-code list entry is not 2 to 10 digits (dots and spaces are ignored).",
    """
## Example
```yaml
codes: ["8708.10", "8708.2O"]     # a letter O, not a zero
```
""",
)
_code(
    "CL008",
    "missing-citation",
    "error",
    "A measure or precedence order has no legal citation (neither its own `citations` nor the file's).",
    """
## Why is this bad?
Every reason `clearance check` gives cites the instrument it comes from; law without a citation cannot be
verified or updated when the next proclamation lands.
""",
)
_code(
    "CL009",
    "unconfirmed-measure",
    "warning",
    "A measure is `status: unconfirmed`: lines it applies to get `review`.",
    """
## Why is this reported?
An unconfirmed measure encodes something no primary source confirmed yet. It is a warning, not an error:
confirm it (cite the source and set `status: confirmed`) or keep the review on purpose.
""",
)
_code(
    "CL010",
    "durable-rules-limit",
    "error",
    "A pack would break a durable-rules limit: a measure whose rule expands to more paths than one ruleset "
    "takes or nests too many and/or operators, or more fact fields (lists, areas, documents, attributes, SPI) "
    "than a fact may carry.",
    """
## Why is this bad?
durable-rules hangs, aborts or refuses rules past fixed table sizes (a matching stack of 64 nodes, 32
expression slots per rule, about 250 fields per fact); the engine refuses such packs at run time
(`MatchError`, exit code 2). The limits are those of `engine/match/limits.py` (`MAX_PATHS`, `MAX_OPERATORS`,
`MAX_FACT_FIELDS`).

## Fix
Put long prefix sets in a named list (`lists/`, one fact field) instead of `codes.prefixes`, and avoid
many `$or` alternatives (origins, modes, condition documents) multiplied together.
""",
)
_code(
    "CL011",
    "duplicate-id",
    "error",
    "Two measures share an id, two lists share a name, or two packs share a jurisdiction.",
    """
## Fix
Ids are stable and dotted (`us.ieepa.reciprocal.jp.all-in`): give each measure its own.
""",
)
_code(
    "CL012",
    "unknown-origin",
    "error",
    "An origin is neither an ISO 3166 alpha-2 code, `*`, nor `area:NAME` of an area of `pack.yaml`.",
    """
## Fix
Declare the area under `areas` in `pack.yaml`, or correct the code.
""",
)
_code(
    "CL013",
    "unknown-attribute",
    "warning",
    "A scope, condition or cap tests an attribute that `pack.yaml` does not declare under `attributes`.",
    """
## Why is this reported?
Filers declare attributes as `key=value` in the `attributes` column: an undeclared name is easy to misspell
on either side. (Only checked when the pack declares an `attributes` vocabulary.)
""",
)

_code(
    "CL014",
    "stale-pack",
    "warning",
    "The newest `published` date of a pack is older than its allowed age (`stale_after_days` in `pack.yaml`, "
    "or `clearance rules lint --max-age DAYS`): law issued since may be missing.",
    """
## Why is this reported?
A pack is the law as someone last encoded it. When nothing in it was published for months, a broker cannot see
whether the law stood still or the pack fell behind; the lint makes the gap visible.

## Fix
Encode what was issued since (with `published` dates), or raise `stale_after_days` for a pack whose law rarely
changes.
""",
)


def describe(code: str) -> Code:
    """The documentation of a finding code (case-insensitive); KeyError if unknown."""
    return CODES[code.upper()]
