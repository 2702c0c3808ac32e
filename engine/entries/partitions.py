"""Input read in partitions: byte ranges of one CSV/TSV/JSONL file that workers read themselves (`Span`).

The client plans the ranges from the bytes alone, at memory speed (`plan`): a range ends just after a line
break, at the first one past its target size where the count of quote characters from the file's start is even
(a CSV record may hold quoted line breaks; a JSONL line cannot). The ranges start after the header and after
its lines; each later range gets the header's cells, the delimiter and the encoding as read from the file's
start, so that a worker reads it as the whole-file reader reads those bytes.

Quote parity is a guess where a file is malformed (a quote inside an unquoted cell, `12" pipe`): a range may
then end inside a record. The reader of the range before shows it: it reaches the range's end inside a quoted
field (`ends_inside_quotes`), which the whole-file reader never does but at the file's end. The run then reads
the rest of the file as one range from the last good boundary (engine/run/parts.py), so the records are always
the whole-file reader's. A range's first row number is known once the ranges before it are read
(the workers count them); their first line numbers are counted here, from the line breaks.

Whole files, one partition each: XLSX, JSON arrays, ES-003 reports (lines grouped by entry), standard input and
other streams, empty files, and text in an encoding whose bytes for a line break or a quote may be part of
another character (UTF-16, ...)."""

from __future__ import annotations

import codecs
import mmap
import os
import stat
from dataclasses import dataclass

from .es003 import is_es003
from .readers import RecordSource, Span
from .records import PROBLEM

# encodings in which the bytes of a line break and of '"' are never part of another character
SPLITTABLE = frozenset(
    codecs.lookup(name).name
    for name in ("utf-8", "utf-8-sig", "cp932", "shift_jis", "euc_jp", "ascii", "latin-1", "cp1252", "iso8859-15")
)
SAMPLE = 1 << 16
NEVER_CLOSED = "a quoted field opened on line"  # how the CSV reader names a record cut by the end of its range


@dataclass(frozen=True)
class Plan:
    """The ranges of one file, in order, and the text encoding every range is read in (the file's, given or
    detected from its start)."""

    spans: list[Span]
    encoding: str
    size: int


def plan(source: RecordSource, target_lines: int) -> Plan | None:
    """The byte ranges of `source`'s file, about `target_lines` lines each; None when it is read whole."""
    if source.kind not in ("csv", "tsv", "jsonl") or source.shape.es003 or source.path == "-":
        return None
    if not stat.S_ISREG(os.stat(source.path).st_mode) or os.stat(source.path).st_size == 0:
        return None
    encoding, header, delimiter, header_lines = source.head()
    if codecs.lookup(encoding).name not in SPLITTABLE or (header and is_es003(header)):
        return None
    with open(source.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        sample = data[:SAMPLE]
        target = max(1, target_lines * len(sample) // max(1, sample.count(b"\n")))
        body = after_lines(data, header_lines)
        quote = b'"' if source.kind in ("csv", "tsv") else None
        cuts = boundaries(data, body, target, quote)
        size = len(data)
        firsts = first_lines(data, cuts)
    starts = [0, *cuts]
    ends: list[int | None] = [*cuts, None]
    spans = [Span(a, b, line, tuple(header), delimiter) for a, b, line in zip(starts, ends, firsts, strict=True)]
    return Plan(spans, encoding, size)


def first_lines(data: mmap.mmap | bytes, cuts: list[int]) -> list[int]:
    """The physical line number at byte 0 and at each cut: line breaks are LF, CRLF and a lone CR, as the
    readers read lines (`newline=""`); a cut is just after a LF, so never between the CR and LF of a CRLF."""
    numbers, line, at = [1], 1, 0
    for cut in cuts:
        text = data[at:cut]
        line += text.count(b"\n") + text.count(b"\r") - text.count(b"\r\n")
        numbers.append(line)
        at = cut
    return numbers


def after_lines(data: mmap.mmap | bytes, lines: int) -> int:
    """The byte after the `lines`-th b"\\n" (the header's end, or later where it ends its lines with a lone CR)."""
    at = 0
    for _ in range(lines):
        found = data.find(b"\n", at)
        if found < 0:
            return len(data)
        at = found + 1
    return at


def boundaries(data: mmap.mmap | bytes, start: int, target: int, quote: bytes | None) -> list[int]:
    """Where the ranges after the first begin: just after a b"\\n" at least `target` bytes past the previous
    boundary (`start` for the first), with an even count of `quote` bytes before it (all of them, from byte 0)."""
    cuts: list[int] = []
    quotes, counted, at = 0, 0, start
    while True:
        newline = data.find(b"\n", max(at + target, start + 1) - 1)
        while newline >= 0 and quote is not None:
            quotes += data[counted:newline].count(quote)  # a slice: mmap has no count
            counted = newline
            if quotes % 2 == 0:
                break
            closing = data.find(quote, newline)  # inside quotes: no record ends before the next quote
            if closing < 0:
                return cuts
            quotes, counted = quotes + 1, closing + 1
            newline = data.find(b"\n", closing + 1)
        if newline < 0 or newline + 1 >= len(data):
            return cuts
        at = newline + 1
        cuts.append(at)


def ends_inside_quotes(records: list[dict]) -> bool:
    """Whether a range's reader reached the range's end inside a quoted field (the range ends mid-record)."""
    return any(str(r.get(PROBLEM, "")).startswith(NEVER_CLOSED) for r in records)
