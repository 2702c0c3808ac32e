"""What the CI formats (SARIF, JUnit, GitHub) and the table show of a line: its findings, the most telling
first, and how to name the line."""

from __future__ import annotations

import hashlib

from .result import Reason, Result

# A reason's severity as a SARIF level; GitHub annotations call `note` `notice`.
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
MONEY_RULES = ("declared.duty",)  # under- or over-declared duty: told right after the errors


def findings(r: Result) -> list[Reason]:
    """The reasons a person or a CI tool should see, most telling first: errors, then money under- or
    over-declared, then the other warnings, then notes. The duty trail (a note for each measure charged, duty, tax or
    fee, and each measure not applied) is left out: it is in the json records."""
    trail = {d.measure for d in (*r.duties, *r.taxes, *r.fees)} | {x.measure for x in r.excluded}
    shown = [x for x in r.reasons if x.severity != "info" or x.rule not in trail]
    return sorted(shown, key=rank)


def rank(reason: Reason) -> int:
    """0 errors, 1 money under- or over-declared, 2 other warnings, 3 notes."""
    if reason.severity == "error":
        return 0
    if reason.severity == "warning":
        return 1 if reason.rule in MONEY_RULES else 2
    return 3


def where(r: Result) -> str:
    """`entry E/L` for a line with an entry number, else `row N`."""
    entry = "/".join(x for x in (r.entry_number, r.line_number) if x)
    return f"entry {entry}" if entry else f"row {r.row}"


def fingerprint(r: Result, rule: str, repeat: int = 0) -> str:
    """The same finding gets the same print in every run, wherever its row moves in the file: a hash of the
    entry number, line number and rule (the row for a line without an entry number); `repeat` tells apart
    two findings of one rule on one line."""
    parts = [r.entry_number or f"row {r.row}", r.line_number or "", rule, *([str(repeat)] if repeat else [])]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
