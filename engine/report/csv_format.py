"""One CSV row per line. Lists are flattened with `;`; cells that a spreadsheet would read as a
formula (starting with = + - @, tab or CR) are prefixed with `'`. JSON output keeps raw values. Rows end
in CRLF (RFC 4180), so that a CR inside a cell is quoted like a newline and cannot split its row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .result import LINE_FIELDS, Result

if TYPE_CHECKING:
    from .options import Options
    from .summary import Summary

COLUMNS = [
    "row",
    *LINE_FIELDS,
    "headings",
    "duties",
    "taxes",
    "fees",
    "reasons",
    "excluded",
    "extra",
]


def safe(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def flatten(r: Result) -> list[str]:
    return [
        safe(v)
        for v in (
            r.row,
            r.entry_number,
            r.line_number,
            r.destination,
            r.hts_code,
            r.origin,
            r.entry_date,
            r.verdict,
            r.total_duty,
            r.total_taxes,
            r.total_fees,
            r.currency,
            ";".join(d.heading for d in r.duties),
            ";".join(f"{d.heading}={d.amount}" for d in r.duties),
            ";".join(f"{d.measure}={d.amount}" for d in r.taxes),
            ";".join(f"{d.measure}={d.amount}" for d in r.fees),
            " | ".join(f"{x.severity} {x.rule}: {x.message}" for x in r.reasons if x.severity != "info"),
            ";".join(f"{x.measure}<{x.excluded_by}" for x in r.excluded),
            json.dumps(r.extra, ensure_ascii=False) if r.extra else "",
        )
    ]


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in results:
        w.writerow(flatten(r))
