"""A run's input read by the workers (`--executor dask`): each file in partitions (engine/entries/partitions.py),
each partition one task that reads its own records from the file's path and checks them.

The client plans the byte ranges of a file, then has the workers count the records of each range but the last
(`count_part`: a task that reads, no checking), in order, a bounded window ahead: a range's first row is one
past the records of the ranges before it, so the row numbers are the local run's. A range whose reader ended
inside a quoted field (a malformed file misled the planner) is not checked: it takes in the next range and is
counted again, until it ends where a record ends (each range after it is checked the same way). A
file that cannot be split (XLSX, a JSON array, an ES-003 report) is one partition, read whole by a worker. The
workers must reach the files at the path the client names (a shared filesystem, or the client's machine); a
worker that cannot read one ends the run with a one-line error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..entries.date_order import dates_read
from ..entries.headers import ColumnMap
from ..entries.partitions import ends_inside_quotes, plan
from ..entries.readers import InputFileError, RecordSource, Span
from .check import Checker
from .chunks import Chunk, ChunkOut, check_chunk
from .workers import Executor


@dataclass(frozen=True)
class Part:
    """One partition of input file `file` (`path` as results name it, `where` as the workers open it), read
    with the run's reading settings; `span` None reads the whole file. Its first record is row `first_row`;
    its first `skip` records were stored by the run being resumed."""

    file: int
    path: str
    where: str
    fmt: str | None
    encoding: str | None
    sheet: str | None
    columns: tuple
    span: Span | None = None
    first_row: int = 1
    skip: int = 0
    date_order: str | None = None  # --date-order: how the file writes its dates (entries/date_order.py)

    def source(self) -> RecordSource:
        return RecordSource(self.where, self.fmt, self.encoding, self.sheet, ColumnMap(self.columns), self.span)

    def records(self) -> list[dict]:
        """The partition's records, read where this runs (a worker)."""
        if not os.access(self.where, os.R_OK):
            why = "no such file" if not os.path.exists(self.where) else "permission denied"
            raise InputFileError(
                f"{self.path}: a worker cannot read {self.where} ({why}): with --executor dask the workers read "
                "the input files themselves, at the same path (a shared filesystem)"
            )
        return list(dates_read(self.source(), self.date_order))

    @property
    def end(self) -> int | None:
        """The byte where the partition ends (None: the file's end)."""
        return None if self.span is None else self.span.end


@dataclass(frozen=True)
class Counted:
    records: int
    cut: bool  # the range ends inside a record: the planner was misled


def count_part(checker: Checker | None, part: Part) -> Counted:
    """The task that counts a partition's records (the unit of work's signature; nothing is checked)."""
    records = part.records()
    return Counted(len(records), part.end is not None and ends_inside_quotes(records))


def check_part(checker: Checker, item: Part | Chunk, keep: str = "none") -> ChunkOut:
    """The task that reads a partition and checks its records (`chunks.check_chunk`); a chunk of records read
    by the client (standard input) is checked as it is."""
    if isinstance(item, Chunk):
        return check_chunk(checker, item, keep)
    records = item.records()[item.skip :]
    return check_chunk(checker, Chunk(item.file, item.first_row + item.skip, records, item.path), keep)


def file_parts(run: Executor, whole: Part, chunk_size: int, done: int = 0) -> Iterator[Part]:
    """The partitions of one file (`whole`), about `chunk_size` lines each, in input order, skipping the `done`
    records a resumed run stored (a partition may come out with no record left: its output is empty)."""
    planned = plan(whole.source(), chunk_size)
    if planned is None:
        yield replace(whole, skip=done)
        return
    parts = [replace(whole, encoding=planned.encoding, span=span) for span in planned.spans]
    counts = run.map(count_part, parts[:-1])
    row, k = 1, 0
    try:
        while k < len(parts) - 1:
            part, counted = parts[k], next(counts)
            k += 1
            while counted.cut:  # the range ends inside a record: it takes in the next range, and is counted again
                part = replace(part, span=replace(part.span, end=parts[k].end))  # type: ignore[type-var]
                if k == len(parts) - 1:  # the file's last range taken in: this is the last partition
                    yield replace(part, first_row=row, skip=max(done - row + 1, 0))
                    return
                next(counts)  # the count of a range that began inside a record
                k += 1
                (counted,) = run.map(count_part, [part])
            if done - row + 1 < counted.records:
                yield replace(part, first_row=row, skip=max(done - row + 1, 0))
            row += counted.records
    finally:
        counts.close()  # type: ignore[attr-defined]
    yield replace(parts[-1], first_row=row, skip=max(done - row + 1, 0))
