"""Input readers: CSV/TSV (with header), JSON array, JSONL and XLSX, streamed record by record.

Every reader streams: memory stays flat whatever the file size (a JSON array is decoded item by item,
an XLSX sheet row by row). Text files are UTF-8 (with or without BOM) or, detected from the first
64 KiB or given with `encoding`, Shift-JIS/CP932 or any other codec Python knows.

A file that cannot be read at all raises `InputFileError` (one line, exit code 2). A record that is
broken (a ragged CSV row, an unclosed or stray quote, a JSON value that is not an object, a line or a
cell past the size limits) is still yielded, carrying a `PROBLEM` entry, so that it gets its own verdict
and every input line yields exactly one. `PROBLEM` and `PROBLEM_COLUMN` are not strings, so no column
of a file can be taken for them. The readers are the one place hostile files are handled: a physical
line is read at most `LINE_LIMIT` characters at a time, a cell is kept only up to `CELL_LIMIT`, a record
up to `RECORD_LIMIT` and `MAX_COLUMNS` columns, and JSON integers of any length are read as Decimal."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .headers import ColumnMap
from .json_reader import json_records, jsonl_records
from .records import (
    CELL_LIMIT,
    LINE,
    LINE_LIMIT,
    MAX_COLUMNS,
    NOTES,
    NUMERIC,
    PROBLEM,
    PROBLEM_COLUMN,
    RECORD_LIMIT,
    InputFileError,
    Lines,
    LineTooLong,
    Mark,
    check_width,
)
from .table import Row, Shape, TableError
from .xlsx_reader import cell_text, xlsx_records

SNIFF_BYTES = 1 << 16
csv.field_size_limit(LINE_LIMIT)
FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "es003")  # es003: a CSV or XLSX ACE ES-003 report


def check_readable(path: str) -> None:
    """Refuse, before any line is read, a path that is not a readable file (`-` is standard input)."""
    if path == "-":
        return
    if os.path.isdir(path):
        raise InputFileError(f"{path}: is a directory, not an entry file")
    if not os.path.exists(path):
        raise InputFileError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{path}: permission denied")


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    return "csv"


def read_records(
    path: Path | str,
    fmt: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    columns: ColumnMap | None = None,
) -> Iterator[dict]:
    """Yield one dict per input line of `path` (`-` is standard input, read as CSV unless `fmt`)."""
    yield from RecordSource(path, fmt, encoding, sheet, columns)


class Hashed(io.RawIOBase):
    """A binary stream that hashes every byte read through it: the SHA-256 of what was checked, read once
    (standard input and FIFOs cannot be read twice; a file rewritten while it is read shows here)."""

    def __init__(self, raw: BinaryIO, owned: bool = True, limit: int | None = None) -> None:
        self.raw, self.owned, self.limit = raw, owned, limit  # limit: read no more than this many bytes
        self.digest = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.limit is not None:
            buffer = memoryview(buffer)[: max(0, self.limit - self.count)]
            if not len(buffer):
                return 0
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self.count += n
        return n or 0

    def tell(self) -> int:
        return self.count

    def close(self) -> None:
        if self.owned and not self.closed:
            self.raw.close()
        super().close()


@dataclass(frozen=True)
class Span:
    """A byte range `[start, end)` of a CSV/TSV/JSONL file read on its own (a partition, engine/entries/partitions.py):
    `start` 0 reads the header too; a later `start` is the first byte of a record, numbered `first_line`, whose
    columns are the file's `header` (read from the file's start, with its `delimiter`). `end` None: the end of file."""

    start: int
    end: int | None
    first_line: int = 1
    header: tuple[str, ...] = ()
    delimiter: str = ","


class RecordSource:
    """The records of one input file, how far into the file the reading has got (`position`), and, once every
    record has been read, the SHA-256 and size of the bytes they were read from (`sha256`, `bytes_read`).
    `columns` maps column names (default: the built-in aliases); `fmt` es003 reads a CSV or XLSX file as an
    ES-003 report (detected from its header otherwise); `span` reads only that byte range (its encoding given)."""

    def __init__(
        self,
        path: Path | str,
        fmt: str | None = None,
        encoding: str | None = None,
        sheet: str | None = None,
        columns: ColumnMap | None = None,
        span: Span | None = None,
    ) -> None:
        self.path = str(path)
        self.span = span
        self.kind = detect_format(Path(path), None if fmt == "es003" else fmt)
        self.columns = columns or ColumnMap()
        self.shape = Shape(self.columns, es003=fmt == "es003")
        self.encoding = _codec(encoding) if encoding else None
        self.sheet = sheet
        self._raw: BinaryIO | None = None
        self.sha256: str | None = None  # set when the last record has been read
        self.bytes_read: int | None = None

    @property
    def size(self) -> int | None:
        """Bytes in the file, or None for standard input."""
        return None if self.path == "-" else Path(self.path).stat().st_size

    def position(self) -> int | None:
        """Bytes consumed so far (text formats), for progress; None when not known."""
        try:
            return self._raw.tell() if self._raw is not None and not self._raw.closed else None
        except (OSError, ValueError):
            return None

    def __iter__(self) -> Iterator[dict]:
        if self.path != "-" and Path(self.path).is_dir():
            raise InputFileError(f"{self.path}: is a directory, not an entry file")
        if self.kind == "xlsx":
            yield from xlsx_records(self.path, self.sheet, self.shape)
            self.sha256, self.bytes_read = _digest(self.path)  # openpyxl reads by path: what it read, still there
            return
        hashed = self._open()
        raw = io.BufferedReader(hashed, SNIFF_BYTES)
        self._raw = raw
        try:
            with self._problems():
                fh = io.TextIOWrapper(raw, encoding=self._encoding(raw), newline="")
                yield from self._records(fh)
            self.sha256, self.bytes_read = hashed.digest.hexdigest(), hashed.count
        finally:
            raw.close()  # standard input itself stays open (Hashed does not own it)

    def head(self) -> tuple[str, list[str], str, int]:
        """A CSV/TSV/JSONL file's text encoding (given or detected) and, for CSV/TSV, its header's cells, its
        delimiter and the physical lines the header takes (what engine/entries/partitions.py plans with)."""
        raw = io.BufferedReader(self._open(), SNIFF_BYTES)
        try:
            with self._problems():
                encoding = self._encoding(raw)
                if self.kind not in ("csv", "tsv"):
                    return encoding, [], ",", 0
                lines = Lines(io.TextIOWrapper(raw, encoding=encoding, newline=""))
                header, delimiter = csv_header(lines, self.path, "\t" if self.kind == "tsv" else None)
                return encoding, header, delimiter, lines.number
        finally:
            raw.close()

    def _encoding(self, raw: io.BufferedReader) -> str:
        encoding = self.encoding or sniff_encoding(raw.peek(SNIFF_BYTES)[:SNIFF_BYTES], self.path)
        if self.span is not None and self.span.start > 0 and encoding == "utf-8-sig":
            return "utf-8"  # a BOM is only at the file's start: a U+FEFF further on is text
        return encoding

    @contextlib.contextmanager
    def _problems(self) -> Iterator[None]:
        """What makes a whole file unreadable, as one line."""
        try:
            yield
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{self.path}: {_decode_problem(exc, self.encoding)}") from exc
        except csv.Error as exc:
            raise InputFileError(f"{self.path}: malformed CSV: {exc}") from exc
        except TableError as exc:
            raise InputFileError(f"{self.path}: {exc}") from exc

    def _open(self) -> Hashed:
        if self.path == "-":
            return Hashed(sys.stdin.buffer, owned=False)  # type: ignore[arg-type]
        try:
            raw = open(self.path, "rb", buffering=0)  # noqa: SIM115 (Hashed owns it)
            if self.span is None:
                return Hashed(raw)
            raw.seek(self.span.start)
            return Hashed(raw, limit=None if self.span.end is None else self.span.end - self.span.start)
        except OSError as exc:
            raise InputFileError(f"{self.path}: cannot open: {exc.strerror or exc}") from exc

    def _records(self, fh: io.TextIOBase) -> Iterator[dict]:
        if self.span is not None and self.span.start > 0:
            return self._span_records(fh, self.span)
        if self.kind in ("csv", "tsv"):
            return _csv(fh, self.path, "\t" if self.kind == "tsv" else None, self.shape)
        records = jsonl_records(fh, self.path) if self.kind == "jsonl" else json_records(fh, self.path)
        return map(self.columns.record, records)

    def _span_records(self, fh: io.TextIOBase, span: Span) -> Iterator[dict]:
        """The records of a range that starts past the header: numbered from its first line, with the header given."""
        if self.kind == "jsonl":
            return map(self.columns.record, jsonl_records(fh, self.path, span.first_line))
        if self.kind not in ("csv", "tsv"):
            raise InputFileError(f"{self.path}: a {self.kind} file is read whole, not in byte ranges")
        lines = Lines(fh)
        lines.number = span.first_line - 1
        return csv_body(lines, list(span.header), span.delimiter, self.shape)


def _digest(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _codec(name: str) -> str:
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise InputFileError(f"unknown encoding {name!r} (try utf-8 or cp932)") from None
    if not getattr(info, "_is_text_encoding", True):  # rot13, hex, base64, zlib: bytes or text to the same
        raise InputFileError(f"{name!r} is not a text encoding (try utf-8 or cp932)")
    return "utf-8-sig" if info.name == "utf-8" else info.name


def sniff_encoding(head: bytes, path: str = "") -> str:
    """UTF-8 (BOM or not) or CP932 (Shift-JIS with the Windows extensions), from the first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp932"):
        if _decodes(head, encoding):
            return "utf-8-sig" if encoding == "utf-8" else encoding
    raise InputFileError(f"{path}: neither UTF-8 nor Shift-JIS text: give the encoding with --encoding")


def _decodes(head: bytes, encoding: str) -> bool:
    """The bytes decode, allowing a character cut in two at the end of the sample."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _decode_problem(exc: UnicodeDecodeError, explicit: str | None) -> str:
    name = "UTF-8" if exc.encoding.replace("_", "-").startswith("utf-8") else exc.encoding
    hint = "" if explicit else "; give the encoding with --encoding (cp932 for Shift-JIS)"
    return f"not {name} text ({exc.reason} at byte {exc.start}){hint}"


def _csv(fh: io.TextIOBase, path: str, delimiter: str | None, shape: Shape) -> Iterator[dict]:
    lines = Lines(fh)
    header, delimiter = csv_header(lines, path, delimiter)
    return csv_body(lines, header, delimiter, shape)


def csv_header(lines: Lines, path: str, delimiter: str | None) -> tuple[list[str], str]:
    """The header row's cells and the delimiter (a CSV whose header has tabs and no commas is TSV)."""
    try:
        first = next(lines, "")
    except LineTooLong as exc:
        raise InputFileError(f"{path}: the header {exc}") from None
    if not first.strip():
        raise InputFileError(f"{path}: empty file (a header row is required)")
    if delimiter is None:
        delimiter = "\t" if "\t" in first and "," not in first else ","
    lines.again.append(lines.taken()[0])
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = [cell.lstrip("\ufeff") for cell in next(reader)]
    except (csv.Error, LineTooLong, StopIteration) as exc:
        raise InputFileError(f"{path}: the header row cannot be read: {exc}") from None
    lines.taken()
    check_width(header, path)
    return header, delimiter


def csv_body(lines: Lines, header: list[str], delimiter: str, shape: Shape) -> Iterator[dict]:
    """The records of the body rows that `lines` holds (after the header, or from a partition's first line)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    return shape.records(header, _csv_rows(reader, lines, len(header)))


def _csv_rows(reader: Iterator[list[str]], lines: Lines, width: int) -> Iterator[Row]:
    """The body rows (blank rows skipped), each with its physical line and its problem (ragged, broken)."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, LineTooLong) as exc:
            broken = lines.broken(exc)
            yield Row([], broken[LINE], broken[PROBLEM])
            continue
        line = lines.taken()[0][0]
        if not cells or all(not cell.strip() for cell in cells):
            continue
        yield Row(cells, line, f"row has {len(cells)} fields, the header has {width}" if len(cells) != width else None)


__all__ = [
    "CELL_LIMIT",
    "FORMATS",
    "LINE_LIMIT",
    "MAX_COLUMNS",
    "NOTES",
    "NUMERIC",
    "PROBLEM",
    "PROBLEM_COLUMN",
    "RECORD_LIMIT",
    "InputFileError",
    "Mark",
    "RecordSource",
    "Span",
    "cell_text",
    "check_readable",
    "detect_format",
    "read_records",
    "sniff_encoding",
]
