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
import csv
import datetime as dt
import enum
import io
import json
import os
import sys
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO


class Mark(enum.Enum):
    """The keys a reader adds to a record: not strings, so that no column of a file can be one of them."""

    PROBLEM = "problem"  # why the record cannot be read
    COLUMN = "problem column"  # the column the problem is about, when it is one column


PROBLEM, PROBLEM_COLUMN = Mark.PROBLEM, Mark.COLUMN
FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx")
SNIFF_BYTES = 1 << 16
JSON_BLOCK = 1 << 20
MAX_JSON_ITEM = 64 << 20
LINE_LIMIT = 16 << 20  # characters of one physical line (or one CSV record) read at once
CELL_LIMIT = 64 << 10  # characters of one cell kept; a longer one is its line's problem
RECORD_LIMIT = 256 << 10  # characters of the cells of one record kept
MAX_COLUMNS = 1000
csv.field_size_limit(LINE_LIMIT)


class InputFileError(Exception):
    """An input file cannot be read. The message is one line."""


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
    path: Path | str, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None
) -> Iterator[dict]:
    """Yield one dict per input line of `path` (`-` is standard input, read as CSV unless `fmt`)."""
    yield from RecordSource(path, fmt, encoding, sheet)


class RecordSource:
    """The records of one input file, and how far into the file the reading has got (`position`)."""

    def __init__(
        self, path: Path | str, fmt: str | None = None, encoding: str | None = None, sheet: str | None = None
    ) -> None:
        self.path = str(path)
        self.kind = detect_format(Path(path), fmt)
        self.encoding = _codec(encoding) if encoding else None
        self.sheet = sheet
        self._raw: BinaryIO | None = None

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
            yield from _xlsx(self.path, self.sheet)
            return
        raw = self._open()
        self._raw = raw
        fh = None
        try:
            encoding = self.encoding or sniff_encoding(raw.peek(SNIFF_BYTES)[:SNIFF_BYTES], self.path)
            fh = io.TextIOWrapper(raw, encoding=encoding, newline="")
            yield from self._records(fh)
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{self.path}: {_decode_problem(exc, self.encoding)}") from exc
        except csv.Error as exc:
            raise InputFileError(f"{self.path}: malformed CSV: {exc}") from exc
        finally:
            if self.path != "-":
                raw.close()
            elif fh is not None:
                fh.detach()  # standard input stays open for whoever owns it

    def _open(self) -> io.BufferedReader:
        if self.path == "-":
            stdin = sys.stdin.buffer
            if hasattr(stdin, "peek"):
                return stdin  # type: ignore[return-value]
            return io.BufferedReader(stdin, SNIFF_BYTES)  # type: ignore[arg-type]
        try:
            return open(self.path, "rb", buffering=SNIFF_BYTES)
        except OSError as exc:
            raise InputFileError(f"{self.path}: cannot open: {exc.strerror or exc}") from exc

    def _records(self, fh: io.TextIOBase) -> Iterator[dict]:
        if self.kind in ("csv", "tsv"):
            return _csv(fh, self.path, "\t" if self.kind == "tsv" else None)
        if self.kind == "jsonl":
            return _jsonl(fh, self.path)
        return _json(fh, self.path)


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


class LineTooLong(Exception):
    """A physical line (or a CSV record) past `LINE_LIMIT` characters; it has been consumed whole."""


class Lines:
    """The physical lines of a text stream, each read at most `LINE_LIMIT` characters at a time (a longer
    line is consumed and raises `LineTooLong` in its place). `record` keeps the lines given since the
    last `taken()`, so that a CSV record that turns out broken is replaced by a reject for its first line
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
        return {PROBLEM: text}


def _csv(fh: io.TextIOBase, path: str, delimiter: str | None) -> Iterator[dict]:
    lines = Lines(fh)
    try:
        first = next(lines, "")
    except LineTooLong as exc:
        raise InputFileError(f"{path}: the header {exc}") from None
    if not first.strip():
        raise InputFileError(f"{path}: empty file (a header row is required)")
    if delimiter is None:  # a CSV whose header has tabs and no commas is TSV
        delimiter = "\t" if "\t" in first and "," not in first else ","
    lines.again.append(lines.taken()[0])
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        names = header_names(next(reader), path)
    except (csv.Error, LineTooLong, StopIteration) as exc:
        raise InputFileError(f"{path}: the header row cannot be read: {exc}") from None
    lines.taken()
    repeats = repeated(names)
    width = len(names)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, LineTooLong) as exc:
            yield lines.broken(exc)
            continue
        lines.taken()
        if not row or all(not cell.strip() for cell in row):
            continue
        record = dict(zip(names, row, strict=False))
        if repeats:
            _merge_repeats(record, row, repeats)
        if len(row) != width:
            record[PROBLEM] = f"row has {len(row)} fields, the header has {width}"
        yield bounded(record)


def bounded(record: dict) -> dict:
    """The record with no cell over `CELL_LIMIT` characters and no more than `RECORD_LIMIT` in all: a cell
    past the limit is dropped and is the line's problem, naming its column (every reader calls this)."""
    total, long = 0, None
    for name, value in record.items():
        size = len(value) if type(value) is str else len(str(value)) if value is not None else 0
        total += size
        if size > CELL_LIMIT and long is None:
            long = name
    if long is None and total <= RECORD_LIMIT:
        return record
    if long is not None:
        kept = {k: v for k, v in record.items() if k != long and not isinstance(k, Mark)}
        return bounded({**kept, long: "", PROBLEM: f"longer than {CELL_LIMIT:,} characters", PROBLEM_COLUMN: long})
    return {PROBLEM: f"the line's cells hold more than {RECORD_LIMIT:,} characters in all"}


def header_names(cells: list[str], path: str) -> list[str]:
    """Column names as the line parser sees them: trimmed, lower case."""
    names = [c.strip().lower().lstrip("\ufeff") for c in cells]
    if len(names) > MAX_COLUMNS:
        raise InputFileError(f"{path}: the header has {len(names):,} columns (at most {MAX_COLUMNS:,})")
    if "hts_code" not in names:
        raise InputFileError(f"{path}: the header has no hts_code column (got: {', '.join(names[:8])})")
    return names


def repeated(names: list[str]) -> dict[str, list[int]]:
    """The columns a header names more than once, with their positions."""
    where: dict[str, list[int]] = {}
    for n, name in enumerate(names):
        if name:
            where.setdefault(name, []).append(n)
    return {name: places for name, places in where.items() if len(places) > 1}


def _merge_repeats(record: dict, cells: list, repeats: dict[str, list[int]]) -> None:
    """A repeated column keeps its one non-empty value; two different values are this line's problem
    (never silently resolved to one of two declared customs values)."""
    for name, places in repeats.items():
        values = list(dict.fromkeys(v for n in places if n < len(cells) and (v := str(cells[n]).strip())))
        record[name] = values[0] if values else ""
        if len(values) > 1:
            record[PROBLEM] = _twice(name, values[0], values[1])
            record[PROBLEM_COLUMN] = name


def _twice(name: str, first: str, second: str) -> str:
    return f"the column {name!r} is given twice, with two values ({first!r} and {second!r})"


class Conflicted(dict):
    """A JSON object that gives one column twice (names compared as the line parser does) with two
    different values; `problem` says which."""

    problem = ""
    column = ""


def json_object(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object as a record (the `object_pairs_hook`): a repeated column must not hide a second value."""
    record = dict(pairs)
    if len(record) == len(pairs) and len({k.strip().lower() for k in record}) == len(record):
        return record
    first: dict[str, str] = {}
    for key, value in pairs:
        name, text = key.strip().lower(), "" if value is None else str(value).strip()
        if name and text and first.get(name) and first[name] != text:
            conflicted = Conflicted(pairs)
            conflicted.problem = _twice(name, first[name], text)
            conflicted.column = name
            return conflicted
        if text or name not in first:
            first[name] = text
    return record


def json_value(text: str) -> object:
    """One JSON document: numbers as Decimal (never a binary float; an integer of any length), objects checked."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, object_pairs_hook=json_object)


def _record(value: object, where: str) -> dict:
    """A decoded JSON value as one record; anything but a clean object carries its problem."""
    if not isinstance(value, dict):
        return {PROBLEM: f"{where} is not a JSON object"}
    if len(value) > MAX_COLUMNS:
        return {PROBLEM: f"{where} has {len(value):,} columns (at most {MAX_COLUMNS:,})"}
    if isinstance(value, Conflicted):
        return bounded({**value, PROBLEM: value.problem, PROBLEM_COLUMN: value.column})
    return bounded(value)


def _jsonl(fh: io.TextIOBase, path: str) -> Iterator[dict]:
    lines = Lines(fh)
    while True:
        try:
            text = next(lines)
        except StopIteration:
            return
        except LineTooLong as exc:
            lines.taken()
            yield {PROBLEM: str(exc)}
            continue
        lines.taken()
        n = lines.number
        if not text.strip():
            continue
        try:
            value = json_value(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield {PROBLEM: f"line {n} is not valid JSON: {exc}"}
            continue
        yield _record(value, f"line {n}")


def _json(fh: io.TextIOBase, path: str) -> Iterator[dict]:
    for n, item in enumerate(JsonArray(fh, path), start=1):
        yield _record(item, f"item {n}")


class JsonArray:
    """The items of a JSON array, decoded one at a time from a text stream read in blocks."""

    def __init__(self, fh: io.TextIOBase, path: str) -> None:
        self.fh, self.path = fh, path
        self.buf, self.pos, self.eof, self.done = "", 0, False, 0
        self.decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, object_pairs_hook=json_object)

    def __iter__(self) -> Iterator[object]:
        if self._next_char() != "[":
            if self._next_char() == "":
                raise InputFileError(f"{self.path}: not valid JSON: the file is empty")
            raise InputFileError(f"{self.path}: a JSON input must be an array of line objects")
        self.pos += 1
        char = self._next_char()
        while char != "]":
            if char == "":
                self._invalid("the array is not closed")
            yield self._item()
            char = self._next_char()
            if char == ",":
                self.pos += 1
                char = self._next_char()
                if char == "]":
                    self._invalid(f"a comma before ']' at character {self.done + self.pos}")
            elif char not in ("]", ""):
                self._invalid(f"expected ',' or ']' at character {self.done + self.pos}")
        self.pos += 1
        if self._next_char() != "":
            self._invalid(f"extra data after the array at character {self.done + self.pos}")

    def _next_char(self) -> str:
        """The next non-blank character (not consumed), or '' at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or not self._fill():
                return self.buf[self.pos : self.pos + 1]

    def _fill(self) -> bool:
        if self.eof:
            return False
        block = self.fh.read(JSON_BLOCK)
        self.eof = not block
        self.done += self.pos
        self.buf, self.pos = self.buf[self.pos :] + block, 0
        return bool(block)

    def _item(self) -> object:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except (json.JSONDecodeError, RecursionError) as exc:
                if len(self.buf) - self.pos > MAX_JSON_ITEM or not self._fill():
                    self._invalid(str(exc))
                continue
            if end < len(self.buf) or not self._fill():  # a number may go on in the next block
                self.pos = end
                return value

    def _invalid(self, problem: str) -> None:
        raise InputFileError(f"{self.path}: not valid JSON: {problem}")


def _xlsx(path: str, sheet: str | None) -> Iterator[dict]:
    if path == "-":
        raise InputFileError("an XLSX input must be a file, not standard input")
    import openpyxl  # imported here: only XLSX input needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors all mean the same thing here
        raise InputFileError(f"{path}: not a readable XLSX workbook: {exc}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputFileError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # the sheet's <dimension> tag may understate (rows lost) or overstate (CPU burnt)
        yield from _sheet_records(ws.iter_rows(values_only=True), path)
    except InputFileError:
        raise
    except Exception as exc:  # a sheet whose XML is cut off or broken inside a valid zip
        raise InputFileError(f"{path}: the XLSX sheet cannot be read: {type(exc).__name__}: {exc}") from exc
    finally:
        book.close()


def _sheet_records(rows: Iterator[tuple], path: str) -> Iterator[dict]:
    names: list[str] | None = None
    repeats: dict[str, list[int]] = {}
    for cells in rows:
        texts = [cell_text(c) for c in cells]
        if not any(t.strip() for t in texts):
            continue
        if names is None:
            names = header_names(texts, path)
            while names and not names[-1]:
                names.pop()
            repeats = repeated(names)
            continue
        record = dict(zip(names, texts, strict=False))
        if repeats:
            _merge_repeats(record, texts, repeats)
        last = max(n for n, t in enumerate(texts, start=1) if t.strip())
        if last > len(names):
            record[PROBLEM] = f"row has a value in column {last}, past the header's {len(names)} columns"
        yield bounded(record)
    if names is None:
        raise InputFileError(f"{path}: empty sheet (a header row is required)")


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: numbers to at most 15 significant digits (as a
    spreadsheet shows them, so that no binary float digits reach money), dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
