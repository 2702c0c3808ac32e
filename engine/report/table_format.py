"""A plain-text table for people, one row per line, ending with a one-line summary.

It reads in 120 columns: the entry/line is never cut (its column widens for a long one), the origin is its
code, a file column comes first when several files are checked, amounts have thousands separators, and the
last column is the most telling finding (errors, then money under- or over-declared, then the rest; for a line
without one, the headings charged), cut to the width. Verdicts are coloured on a terminal (not with NO_COLOR)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, TextIO

import click

from ..duty.codes import format_code
from .findings import findings
from .options import Options
from .result import Result

if TYPE_CHECKING:
    from .summary import Summary

COLOUR = {"accept": "green", "review": "yellow", "reject": "red", "invalid": "magenta"}
ENTRY, FILE, DUTY = 16, 14, 16


def header(files: bool) -> str:
    head = f"{'row':>5} {'entry/line':<{ENTRY}} {'hts':<13} {'or':<2} {'date':<10} {'verdict':<7} {'duty':>{DUTY}}"
    head += "  reason"
    return (f"{'file':<{FILE}} " if files else "") + head


def printable(text: object) -> str:
    """Control characters (terminal escapes, newlines) shown as `?`, never sent to the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text or ""))


def money(amount: Decimal | None, currency: str) -> str:
    """`1,234,567.89 USD`: thousands separators, the amount's own decimals; empty for an invalid line (no duty)."""
    return "" if amount is None else f"{amount:,} {currency}".strip()


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def telling(r: Result) -> str:
    """The most telling error or warning, else the headings the line is charged under and its taxes and fees."""
    shown = [x for x in findings(r) if x.severity != "info"]
    if shown:
        return shown[0].message
    charges = "".join(f"  {name} {total:,}" for name, total, lines in r.other_charges() if lines)
    return " ".join(d.heading for d in r.duties) + charges


def _code(code: str | None) -> str:
    return format_code(code) if code and code.isdigit() else (code or "")


def row(r: Result, options: Options) -> str:
    files = options.files > 1
    entry = printable("/".join(x for x in (r.entry_number, r.line_number) if x))
    verdict = f"{r.verdict:<7}"
    room = options.width - len(verdict)
    if options.color:
        verdict = click.style(verdict, fg=COLOUR.get(r.verdict), bold=r.verdict != "accept")
    left = (f"{cut(printable(PurePath(r.file or '-').name), FILE):<{FILE}} " if files else "") + (
        f"{r.row:>5} {entry:<{ENTRY}} {cut(printable(_code(r.hts_code)), 13):<13} {cut(printable(r.origin), 2):<2} "
        f"{cut(printable(r.entry_date), 10):<10} "
    )
    right = f" {money(r.total_duty, r.currency):>{DUTY}}  "
    room -= len(left) + len(right)
    return left + verdict + right + cut(printable(telling(r)), max(room, 20))


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    options = options or Options()
    out.write(header(options.files > 1) + "\n")
    for r in results:
        out.write(row(r, options) + "\n")
    out.write(summary.line() + "\n")
