"""What a reader makes of a file's lines: records (dicts of column name to cell), the marks a reader adds to a
broken one, the size limits every reader applies, and the header rules shared by CSV, TSV and XLSX.

Limits: a physical line (or CSV record) is read at most `LINE_LIMIT` characters at a time, a cell is kept
up to `CELL_LIMIT`, a record's cells up to `RECORD_LIMIT` in all and `MAX_COLUMNS` columns; past them the
line gets a problem naming the column (or the file an error, for a header that wide). Memory stays bounded
whatever the file holds."""

from __future__ import annotations

import enum
import io
from collections import deque
from collections.abc import Iterator

LINE_LIMIT = 16 << 20  # characters of one physical line (or one CSV record) read at once
CELL_LIMIT = 64 << 10  # characters of one cell kept; a longer one is its line's problem
RECORD_LIMIT = 256 << 10  # characters of the cells of one record kept
MAX_COLUMNS = 1000


class InputFileError(Exception):
    """An input file cannot be read. The message is one line."""


class Mark(enum.Enum):
    """The keys a reader adds to a record: not strings, so that no column of a file can be one of them."""

    PROBLEM = "problem"  # why the record cannot be read
    COLUMN = "problem column"  # the column the problem is about, when it is one column
    LINE = "line"  # the physical line (1 = first) of the file where the record starts (CI formats point at it)
    NOTES = "notes"  # what the file's header says of every line: ((kind, column, message), ...); kind
    # "warning" (a column close to a known one, not read) or "missing" (a required column's closest names)
    NUMERIC = "numeric"  # the columns whose spreadsheet cell was a number (a code may have lost a leading zero)


PROBLEM, PROBLEM_COLUMN, LINE = Mark.PROBLEM, Mark.COLUMN, Mark.LINE
NOTES, NUMERIC = Mark.NOTES, Mark.NUMERIC
RESERVED = frozenset(Mark)


class LineTooLong(Exception):
    """A physical line (or a CSV record) past `LINE_LIMIT` characters; it has been consumed whole."""


class Lines:
    """The physical lines of a text stream, each read at most `LINE_LIMIT` characters at a time (a longer
    line is consumed and raises `LineTooLong` in its place). `record` keeps the lines given since the
    last `taken()`, so that a CSV record that turns out broken is replaced by an `invalid` line for its first line
    and its other lines are read again (`again`): an unclosed quote costs one line, not the rest of the file."""

    def __init__(self, fh: io.TextIOBase) -> None:
        self.fh, self.number = fh, 0
        self.record: list[tuple[int, str | None]] = []
        self.size = 0
        self.again: deque[tuple[int, str | None]] = deque()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        number, text = self.again.popleft() if self.again else self._read()
        self.record.append((number, text))
        self.size += len(text or "")
        if text is None:
            raise LineTooLong(f"line {number} is longer than {LINE_LIMIT:,} characters")
        if self.size > LINE_LIMIT:
            raise LineTooLong(f"the record from line {self.record[0][0]} is longer than {LINE_LIMIT:,} characters")
        return text

    def _read(self) -> tuple[int, str | None]:
        text = self.fh.readline(LINE_LIMIT + 1)
        if not text:
            raise StopIteration
        self.number += 1
        if len(text) <= LINE_LIMIT or text[-1] in "\r\n":
            return self.number, text
        while (more := self.fh.readline(LINE_LIMIT)) and more[-1] not in "\r\n":
            pass  # the rest of a line too long to keep
        return self.number, None

    def taken(self) -> list[tuple[int, str | None]]:
        """The lines of the record just read, forgotten here."""
        record, self.record, self.size = self.record, [], 0
        return record

    def first(self) -> int:
        return self.record[0][0] if self.record else self.number

    def broken(self, exc: Exception) -> dict:
        """The reject record of a broken CSV record; its lines after the first are read again."""
        start = self.first()
        record = self.taken()
        self.again.extendleft(reversed([(n, t) for n, t in record[1:] if t is not None]))
        text = str(exc)
        if "unexpected end of data" in text:
            text = f"a quoted field opened on line {start} is never closed"
        elif "field larger than field limit" in text:
            text = f"a field from line {start} is longer than {LINE_LIMIT:,} characters"
        elif not isinstance(exc, LineTooLong):
            text = f"malformed CSV on line {start}: {text}"
        return {PROBLEM: text, LINE: start}


def bounded(record: dict) -> dict:
    """The record with no cell over `CELL_LIMIT` characters and no more than `RECORD_LIMIT` in all: a cell
    past the limit is dropped and is the line's problem, naming its column (every reader calls this)."""
    total, long = 0, None
    for name, value in record.items():
        if isinstance(name, Mark):  # what a reader notes beside the cells (a header's notes) is not a cell
            continue
        size = len(value) if type(value) is str else len(str(value)) if value is not None else 0
        total += size
        if size > CELL_LIMIT and long is None:
            long = name
    if long is None and total <= RECORD_LIMIT:
        return record
    if long is not None:
        kept = {k: v for k, v in record.items() if k not in (long, PROBLEM, PROBLEM_COLUMN)}
        return bounded({**kept, long: "", PROBLEM: f"longer than {CELL_LIMIT:,} characters", PROBLEM_COLUMN: long})
    marks = {k: v for k, v in record.items() if k in (LINE, NOTES)}
    return {**marks, PROBLEM: f"the line's cells hold more than {RECORD_LIMIT:,} characters in all"}


def check_width(cells: list[str], path: str) -> None:
    """Refuse a header wider than `MAX_COLUMNS` (the whole file: no line could be read)."""
    if len(cells) > MAX_COLUMNS:
        raise InputFileError(f"{path}: the header has {len(cells):,} columns (at most {MAX_COLUMNS:,})")


def repeated(names: list[str]) -> dict[str, list[int]]:
    """The columns a header names more than once, with their positions."""
    where: dict[str, list[int]] = {}
    for n, name in enumerate(names):
        if name:
            where.setdefault(name, []).append(n)
    return {name: places for name, places in where.items() if len(places) > 1}


def merge_repeats(record: dict, cells: list, repeats: dict[str, list[int]]) -> None:
    """A repeated column keeps its one non-empty value; two different values are this line's problem
    (never silently resolved to one of two declared customs values)."""
    for name, places in repeats.items():
        values = list(dict.fromkeys(v for n in places if n < len(cells) and (v := str(cells[n]).strip())))
        record[name] = values[0] if values else ""
        if len(values) > 1:
            record[PROBLEM] = twice(name, values[0], values[1])
            record[PROBLEM_COLUMN] = name


def twice(name: str, first: str, second: str) -> str:
    return f"the column {name!r} is given twice, with two values ({first!r} and {second!r})"
