"""A plain-text table for people, one row per line, ending with a one-line summary."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from ..duty.codes import format_code
from .result import Result

if TYPE_CHECKING:
    from .options import Options
    from .summary import Summary

HEADER = (
    f"{'row':>5}  {'entry/line':<16} {'hts':<13} {'orig':<4} {'date':<10} {'verdict':<7} {'duty':>14}"
    "  headings / first reason"
)


def printable(text: object) -> str:
    """Control characters (terminal escapes, newlines) shown as `?`, never sent to the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text or ""))


def _code(code: str | None) -> str:
    return format_code(code) if code and code.isdigit() else (code or "")


def row(r: Result) -> str:
    entry = printable(f"{r.entry_number or ''}/{r.line_number or ''}".strip("/"))[:16]
    headings = " ".join(d.heading for d in r.duties)
    headings += "".join(f"  {name} {total}" for name, total, lines in r.other_charges() if lines)  # taxes, fees
    problem = next((x for x in r.reasons if x.severity == "error"), None) or next(
        (x for x in r.reasons if x.severity == "warning"), None
    )
    tail = headings + (f"  [{problem.message}]" if problem else "")
    return (
        f"{r.row:>5}  {entry:<16} {printable(_code(r.hts_code))[:13]:<13} {printable(r.origin)[:4]:<4} "
        f"{printable(r.entry_date)[:10]:<10} {r.verdict:<7} {r.total_duty:>10} {r.currency:<3}  {printable(tail)}"
    )


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    out.write(HEADER + "\n")
    for r in results:
        out.write(row(r) + "\n")
    out.write(summary.line() + "\n")
