"""Eligibility: an entry sorted by its refund programme's rules (the first rule that holds), on the as-of date.

The outcome is a status (`claim` in a declaration now, `later` when the rule's phase opens after the as-of
date, `protest`, `excluded`, `review`, `none`), the rule and its citations, what a person must still check,
and the deadline (the end of the rule's liquidation window for a claim, the protest deadline for a protest)
with the days left. What the file cannot say (no entry number, lines that could not be checked, lines that
disagree on an entry field, a word the vocabulary does not know, lines whose refundable duty cannot be told
from their other duty, e.g. with no MFN rate) is `review`, never a guess."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..packs.programme import RefundProgramme, Rule, When
from .entries import Entry

MISSING, UNKNOWN = "missing", "unknown"


@dataclass(frozen=True)
class Facts:
    """What the rules test of an entry, read through the programme's vocabulary."""

    refundable: bool
    entry_type: str | None
    reconciliation: bool | None
    protest: str
    liquidation: str
    liquidated: dt.date | None
    days: int | None  # days from liquidation to the as-of date


@dataclass
class Decision:
    status: str
    rule: str
    message: str
    citations: list[str]
    phase: str | None = None
    checks: list[str] = field(default_factory=list)
    deadline: dt.date | None = None
    days_left: int | None = None
    entry_number: str | None = None  # as the declaration writes it (claims only)


def _category(vocabulary: dict[str, list[str]], text: str) -> str:
    if not text.strip():
        return MISSING
    folded = text.strip().casefold()
    return next((name for name, words in vocabulary.items() if folded in {w.casefold() for w in words}), UNKNOWN)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def facts_of(programme: RefundProgramme, entry: Entry, as_of: dt.date) -> Facts | str:
    """The entry's facts, or why they cannot be read (a review message)."""
    f, words = entry.fields, programme.vocabulary
    kind = f.get("entry_type", "")
    if kind and not kind.isdigit():
        return f"entry type {kind!r} is not a number"
    reconciliation = _category(words.reconciliation, f.get("reconciliation_indicator", ""))  # type: ignore[arg-type]
    if reconciliation == UNKNOWN:
        return f"reconciliation indicator {f['reconciliation_indicator']!r} is not one the programme knows"
    protest = _category(words.protest, f.get("protest_status", ""))
    if protest == UNKNOWN or (protest == MISSING and f.get("protest_number")):
        number, status = f.get("protest_number") or "-", f.get("protest_status")
        return f"protest {number} has status {status!r}, which the programme does not know"
    liquidated = _date(f.get("liquidation_date", "")) if f.get("liquidation_date") else None
    if f.get("liquidation_date") and liquidated is None:
        return f"liquidation date {f['liquidation_date']!r} is not a date YYYY-MM-DD (MM/DD/YYYY: --date-order mdy)"
    return Facts(
        refundable=entry.refundable > 0,
        entry_type=kind.zfill(2) if kind else None,
        reconciliation=reconciliation == "flagged",
        protest=protest,
        liquidation=_category(words.liquidation, f.get("liquidation_status", "")),
        liquidated=liquidated,
        days=None if liquidated is None else (as_of - liquidated).days,
    )


def holds(when: When, facts: Facts, protest_days: int) -> bool:
    """Whether every test the rule gives holds for the entry."""
    tests = (
        when.refundable is None or when.refundable == facts.refundable,
        not when.entry_types or facts.entry_type in when.entry_types,
        when.reconciliation is None or when.reconciliation == facts.reconciliation,
        not when.protest or facts.protest in when.protest,
        not when.liquidation or facts.liquidation in when.liquidation,
        when.liquidation_date is None or when.liquidation_date == (facts.liquidated is not None),
        when.liquidated_within_days is None or (facts.days is not None and facts.days <= when.liquidated_within_days),
        when.liquidated_over_days is None or (facts.days is not None and facts.days > when.liquidated_over_days),
        when.protest_window is None or (facts.days is not None and (facts.days <= protest_days) == when.protest_window),
    )
    return all(tests)


def decide(programme: RefundProgramme, entry: Entry, as_of: dt.date) -> Decision:
    """The entry's status under the programme on the as-of date."""
    cited = list(programme.citations[:1])
    if not entry.number:
        return Decision("review", "no-entry-number", "the line has no entry number", cited)
    if entry.invalid:
        message = f"{entry.invalid} of its {entry.lines} lines could not be checked: their duty is not counted"
        return Decision("review", "unreadable-lines", message, cited)
    if entry.unknown:
        return Decision("review", "split-unknown", unknown_split(entry), cited)
    if entry.conflicts:
        return Decision("review", "lines-disagree", f"its lines disagree on {', '.join(entry.conflicts)}", cited)
    facts = facts_of(programme, entry, as_of)
    if isinstance(facts, str):
        return Decision("review", "unreadable-entry", facts, cited)
    rule = next((r for r in programme.rules if holds(r.when, facts, programme.protest.days)), None)
    if rule is None:
        return Decision("review", "no-rule", "no eligibility rule of the programme decides this entry", cited)
    decision = _outcome(programme, rule, facts, as_of)
    decision.checks += _checks(programme, rule, entry)
    if decision.status in ("claim", "later"):
        decision.entry_number = programme.declaration.entry_number.normal(entry.number)
        if decision.entry_number is None:
            decision.checks.insert(0, f"entry number {entry.number!r} is not filer code, 7 digits and check digit")
            decision.status = "review"
    return decision


def unknown_split(entry: Entry) -> str:
    """Why the entry's refund is not a number, and how to supply what is missing."""
    n, lines = len(entry.unknown), entry.lines
    how = "supply what is missing in the file"
    if entry.schedule and any("mfn_rate" in u for u in entry.unknown):
        edition = f"an edition of the {entry.schedule} schedule imported (`clearance hts import`)"
        how = f"give the lines' mfn_rate, or check the file with {edition}"
    return (
        f"the refundable duty of {n} of its {lines} lines cannot be told from their other duty "
        f"({'; '.join(entry.unknown[:3])}{'; ...' if n > 3 else ''}): no amount is given; {how}"
    )


def _outcome(programme: RefundProgramme, rule: Rule, facts: Facts, as_of: dt.date) -> Decision:
    decision = Decision(rule.status, rule.id, rule.message, list(rule.citations), phase=rule.phase)
    if rule.phase is not None:
        opens = programme.phase(rule.phase).from_
        if opens > as_of:
            decision.status = "later"
            decision.checks.append(f"{programme.phase(rule.phase).title} opens on {opens}")
    window = rule.when.liquidated_within_days if rule.status == "claim" else None
    days = programme.protest.days if rule.status == "protest" else window
    if facts.liquidated is not None and days is not None:
        decision.deadline = facts.liquidated + dt.timedelta(days=days)
        decision.days_left = (decision.deadline - as_of).days
    return decision


def _checks(programme: RefundProgramme, rule: Rule, entry: Entry) -> list[str]:
    """What a person must still check before relying on the entry's refund (warnings; the status stands)."""
    out = [rule.check] if rule.check else []
    if entry.estimated and rule.status != "none":
        out.append(
            f"{entry.estimated} of its lines declare no duty paid: their refund is the duty computed under the law "
            "at entry, not what was deposited"
        )
    small = programme.small_refund
    if small is not None and small.under is not None and Decimal(0) < entry.refundable < small.under:
        out.append(f"a refund under {small.under} {entry.currency}: {small.message} ({'; '.join(small.citations)})")
    return out
