"""`clearance rules test`: run the golden cases beside the packs (`golden.py`) and show each failure as
a diff of what the case expects against what the engine gave."""

from __future__ import annotations

import datetime as dt
import difflib
from decimal import Decimal
from pathlib import Path

from ..packs.load import BUNDLED_RULES, TEST_SUFFIX, PackError, load_rules
from ..packs.source import display
from ..report.result import Result
from .golden import Expect, Outcome, case_files, charge_checks, run_file


def pack_of(path: Path) -> Path:
    """The pack folder a case file lives in (its cases name their destination when it is not US)."""
    for parent in path.resolve().parents:
        if (parent / "pack.yaml").is_file():
            return parent
    raise PackError(f"{path}: not inside a rule pack (no pack.yaml above it)")


def golden_test(
    path: Path | str | None = None, law_as_of: dt.date | None = None, select: str | None = None
) -> list[Outcome]:
    """Every golden case under `path` (a rules folder, a pack folder or one `*.test.yaml`; default the
    bundled rules), run against the packs they live beside. `law_as_of` is the law date for cases and
    files that name none (default today); `select` keeps the cases whose name contains it."""
    base = Path(path) if path is not None else BUNDLED_RULES
    if base.is_file():
        if not base.name.endswith(TEST_SUFFIX):
            raise PackError(f"{base}: golden cases are files named *{TEST_SUFFIX}")
        files, root = [base], pack_of(base)
    elif base.is_dir():
        files, root = case_files(base), base
    else:
        raise PackError(f"{base}: no such file or folder")
    if not files:
        raise PackError(f"{base}: no golden cases (*{TEST_SUFFIX})")
    packs = load_rules(root)
    outcomes = [o for f in files for o in run_file(f, packs, law_as_of)]
    if select:
        outcomes = [o for o in outcomes if select.lower() in o.id.lower()]
    return outcomes


def _same(expected: Decimal, got: Decimal | None) -> str:
    """The got amount, written as the case wrote it when they are equal (1500 and 1500.00)."""
    return str(expected) if got is not None and got == expected else str(got if got is not None else "none")


def views(expect: Expect, r: Result) -> tuple[list[str], list[str]]:
    """What the case expects and what the engine gave, line for line, over the keys the case names."""
    exp: list[str] = []
    got: list[str] = []

    def pair(e: str, g: str) -> None:
        exp.append(e)
        got.append(g)

    if expect.verdict is not None:
        pair(f"verdict: {expect.verdict}", f"verdict: {r.verdict}")
    if expect.total_duty is not None:
        pair(f"total_duty: {expect.total_duty}", f"total_duty: {_same(expect.total_duty, r.total_duty)}")
    if expect.headings is not None:
        exp += [f"heading: {h}" for h in sorted(expect.headings)]
        got += [f"heading: {h}" for h in sorted(d.heading for d in r.duties)]
    amounts = {d.heading: d.amount for d in r.duties}
    for heading, amount in sorted(expect.duties.items()):
        pair(f"duty {heading}: {amount}", f"duty {heading}: {_same(amount, amounts.get(heading))}")
    for want, have, ok in charge_checks(expect, r):
        pair(want, want if ok else have)
    rules = {x.rule for x in r.reasons}
    for rule in expect.reasons:
        pair(f"reason {rule}: present", f"reason {rule}: {'present' if rule in rules else 'absent'}")
    for rule in expect.no_reasons:
        pair(f"reason {rule}: absent", f"reason {rule}: {'present' if rule in rules else 'absent'}")
    excluded = {x.measure for x in r.excluded}
    for mid in expect.excluded:
        pair(f"excluded {mid}: yes", f"excluded {mid}: {'yes' if mid in excluded else 'no'}")
    return exp, got


def case_diff(outcome: Outcome) -> list[str]:
    """A unified diff, expected -> got, and the reasons (warnings and errors) the engine gave."""
    if outcome.result is None:
        return list(outcome.problems)
    exp, got = views(outcome.case.expect, outcome.result)
    diff = list(difflib.unified_diff(exp, got, "expected", "got", lineterm="", n=len(exp) + len(got)))
    reasons = [f"reason [{x.severity}] {x.rule}: {x.message}" for x in outcome.result.reasons if x.severity != "info"]
    return diff + reasons


def render_outcomes(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if o.ok:
            continue
        lines.append(f"FAIL {display(o.file)}::{o.case.name}")
        lines += [f"    {x}" for x in case_diff(o)]
    failed = sum(1 for o in outcomes if not o.ok)
    lines.append(f"{len(outcomes) - failed} passed, {failed} failed")
    return "\n".join(lines)


def outcomes_json(outcomes: list[Outcome]) -> dict:
    return {
        "cases": [
            {
                "file": display(o.file),
                "case": o.case.name,
                "ok": o.ok,
                "problems": o.problems,
                "diff": [] if o.ok else case_diff(o),
            }
            for o in outcomes
        ],
        "passed": sum(1 for o in outcomes if o.ok),
        "failed": sum(1 for o in outcomes if not o.ok),
    }
