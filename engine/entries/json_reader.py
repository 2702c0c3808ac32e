"""JSON inputs: a JSON array of line objects (decoded item by item from blocks, so memory stays flat) and
JSONL (one object a line). Numbers are Decimal (never a binary float; an integer of any length); an object
that gives one column twice with two different values, or is not an object, is still a record, carrying its
`PROBLEM`; a file that is not a JSON array at all is an `InputFileError`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal

from .records import LINE, MAX_COLUMNS, PROBLEM, PROBLEM_COLUMN, InputFileError, Lines, LineTooLong, bounded, twice

JSON_BLOCK = 1 << 20
MAX_JSON_ITEM = 64 << 20


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
            conflicted.problem = twice(name, first[name], text)
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


def jsonl_records(fh: io.TextIOBase, path: str, first_line: int = 1) -> Iterator[dict]:
    """One record per non-blank line; `first_line`: the number of the stream's first line (a partition's)."""
    lines = Lines(fh)
    lines.number = first_line - 1
    while True:
        try:
            text = next(lines)
        except StopIteration:
            return
        except LineTooLong as exc:
            yield {PROBLEM: str(exc), LINE: lines.taken()[0][0]}
            continue
        lines.taken()
        n = lines.number
        if not text.strip():
            continue
        try:
            value = json_value(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield {PROBLEM: f"line {n} is not valid JSON: {exc}", LINE: n}
            continue
        record = _record(value, f"line {n}")
        record[LINE] = n
        yield record


def json_records(fh: io.TextIOBase, path: str) -> Iterator[dict]:
    items = JsonArray(fh, path)
    for n, item in enumerate(items, start=1):
        record = _record(item, f"item {n}")
        record[LINE] = items.item_line
        yield record


class JsonArray:
    """The items of a JSON array, decoded one at a time from a text stream read in blocks."""

    def __init__(self, fh: io.TextIOBase, path: str) -> None:
        self.fh, self.path = fh, path
        self.buf, self.pos, self.eof, self.done = "", 0, False, 0
        self.newlines, self.counted = 0, 0  # line breaks in the text before buf[counted]
        self.item_line = 1  # the physical line where the last item yielded starts
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
            self.item_line = self._line()
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

    def _line(self) -> int:
        """The physical line of buf[pos], counting line breaks only once as reading moves on."""
        self.newlines += self.buf.count("\n", self.counted, self.pos)
        self.counted = self.pos
        return self.newlines + 1

    def _fill(self) -> bool:
        if self.eof:
            return False
        self._line()
        self.counted = 0  # the text before pos is dropped from buf
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
