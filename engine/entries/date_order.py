"""`--date-order mdy`: dates written MM/DD/YYYY (as US entry files often are) read as month, day, year, because
the user says so. Without it only YYYY-MM-DD (or YYYY/MM/DD) is a date: 08/07/2025 could be 7 August or 8 July,
and is never guessed (the line is `invalid`, saying so). ES-003 reports are MM/DD/YYYY by definition (es003.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .es003 import us_date
from .line import column_name

ORDERS = ("ymd", "mdy")  # ymd: the default (YYYY-MM-DD only)
DATE_FIELDS = frozenset({"entry_date", "loaded_date", "entry_summary_date", "liquidation_date"})


def dates_read(records: Iterable[dict], order: str | None) -> Iterator[dict]:
    """The records, their date columns read in `order` (mdy: MM/DD/YYYY to YYYY-MM-DD; anything else unchanged,
    so the line parser names it)."""
    if order != "mdy":
        yield from records
        return
    for record in records:
        dates = {
            k: us_date(v)
            for k, v in record.items()
            if type(k) is str and isinstance(v, str) and column_name(k) in DATE_FIELDS
        }
        record.update(dates)
        yield record
