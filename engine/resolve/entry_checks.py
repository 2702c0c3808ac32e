"""Input checks before the law is applied to a line: a customs value in another currency than the pack's, and an
entry date the law date cannot speak for. An entry dated after the law date (`--law-as-of`, default today) is
computed under the law known on that date, which may have changed since: `review`. One dated implausibly far
after it (more than about five years later) is taken as a mistyped date: an input problem, nothing is computed."""

from __future__ import annotations

import datetime as dt

from ..entries.line import Line
from ..packs.model import PackHeader
from ..report.result import Reason

FAR_OUT = dt.timedelta(days=5 * 366)  # a mistyped year or decade, not a replay of older law


def input_reasons(line: Line, header: PackHeader, law_as_of: dt.date | None) -> tuple[list[Reason], bool]:
    """The reasons about the line's input, and whether one of them stops the line from being computed."""
    if line.currency and line.currency != header.currency:
        message = (
            f"customs value is in {line.currency}; {header.jurisdiction} entries are declared in {header.currency}"
        )
        return [Reason(severity="error", rule="input.currency", message=message)], True
    if law_as_of is None or line.entry_date <= law_as_of:
        return [], False
    if line.entry_date - law_as_of > FAR_OUT:
        message = (
            f"entry date {line.entry_date} is more than five years after the law date {law_as_of}: "
            "check the date (nothing computed)"
        )
        return [Reason(severity="error", rule="input.entry_date", message=message)], True
    message = (
        f"entry date {line.entry_date} is after the law date {law_as_of}: the law known on {law_as_of} is applied "
        "(law published since is not; see --law-as-of)"
    )
    return [Reason(severity="warning", rule="input.entry_date", message=message)], False
