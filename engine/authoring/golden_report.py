"""`clearance rules test`: run the golden cases beside the packs (`golden.py`) and show each failure as
a diff of what the case expects against what the engine gave."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..packs.load import BUNDLED_RULES, PackError, load_rules
from ..packs.source import display
from ..packs.walk import TEST_SUFFIX
from ..refunds.golden import is_refund_cases, refund_case_files, run_refund_file
from ..report.emit import text_and_json
from .golden import Outcome, case_files, run_file


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
        files, root = case_files(base) + refund_case_files(base), base
    else:
        raise PackError(f"{base}: no such file or folder")
    if not files:
        raise PackError(f"{base}: no golden cases (*{TEST_SUFFIX})")
    packs = load_rules(root)
    outcomes = [o for f in files for o in _runner(root, f)(f, packs, law_as_of)]
    if select:
        outcomes = [o for o in outcomes if select.lower() in o.id.lower()]
    return outcomes


def _runner(root: Path, path: Path):  # type: ignore[no-untyped-def]
    """Refund cases (entries, in a pack's `refunds/`) or line cases."""
    return run_refund_file if is_refund_cases(root.resolve(), path.resolve()) else run_file


def case_diff(outcome: Outcome) -> list[str]:
    """A unified diff, expected -> got, and the reasons (warnings and errors) the engine gave."""
    if outcome.result is None:
        return list(outcome.problems)
    reasons = [f"reason [{x.severity}] {x.rule}: {x.message}" for x in outcome.result.reasons if x.severity != "info"]
    return outcome.problems + reasons


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


GOLDEN_REPORT = text_and_json(render_outcomes, outcomes_json)
