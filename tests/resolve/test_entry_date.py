"""An entry dated after the law date is computed under the law known then, with a warning; one dated more than a
year after it is a mistyped date: an input problem (`reject`), nothing computed."""

from __future__ import annotations

import datetime as dt

from clearance.engine import Checker, load_rules
from clearance.engine.resolve.entry_checks import FAR_OUT

LAW = dt.date(2026, 12, 3)


def check(entry_date: str):  # type: ignore[no-untyped-def]
    line = {"hts_code": "8479.89.94", "origin": "JP", "value": "1000", "mfn_rate": "2.5%", "entry_date": entry_date}
    return next(iter(Checker(load_rules(), LAW, "US").check([line])))


def rules(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.rule for r in result.reasons]


def test_entry_on_the_law_date_has_no_input_reason() -> None:
    assert "input.entry_date" not in rules(check("2026-12-03"))


def test_entry_after_the_law_date_is_computed_and_reviewed() -> None:
    result = check("2026-12-04")
    assert result.verdict == "review" and "input.entry_date" in rules(result)
    assert result.total_duty > 0  # computed under the law as of 2026-12-03
    reason = next(r for r in result.reasons if r.rule == "input.entry_date")
    assert reason.severity == "warning" and "2026-12-03" in reason.message


def test_entry_years_after_the_law_date_is_still_reviewed() -> None:
    assert check((LAW + FAR_OUT).isoformat()).verdict == "review"


def test_entry_implausibly_far_out_is_an_input_problem() -> None:
    result = check((LAW + FAR_OUT + dt.timedelta(days=1)).isoformat())
    assert result.verdict == "invalid" and rules(result) == ["input.entry_date"]
    assert result.duties == [] and result.total_duty is None
