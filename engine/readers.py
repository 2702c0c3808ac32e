"""Input readers: CSV (with header), JSON array and JSONL, streamed record by record.

A file that cannot be read at all raises `InputFileError` (one line, exit code 2). A record that is
broken (a ragged CSV row, a JSON value that is not an object) is still yielded, carrying a `PROBLEM`
entry, so that it gets its own `reject` and every input line yields exactly one verdict."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

PROBLEM = "__problem__"
csv.field_size_limit(sys.maxsize)


class InputFileError(Exception):
    """An input file cannot be read. The message is one line."""


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    return "csv"


def read_records(path: Path | str, fmt: str | None = None) -> Iterator[dict]:
    """Yield one dict per input line of `path` (`-` is standard input, read as CSV unless `fmt`)."""
    p = Path(path)
    kind = detect_format(p, fmt)
    if str(path) != "-" and p.is_dir():
        raise InputFileError(f"{path}: is a directory, not an entry file")
    try:
        fh = sys.stdin if str(path) == "-" else p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    try:
        if kind == "csv":
            yield from _csv(fh, path)
        elif kind == "jsonl":
            yield from _jsonl(fh, path)
        else:
            yield from _json(fh, path)
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise InputFileError(f"{path}: malformed CSV: {exc}") from exc
    finally:
        if fh is not sys.stdin:
            fh.close()


def _csv(fh: io.TextIOBase, path: Path | str) -> Iterator[dict]:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise InputFileError(f"{path}: empty file (a header row is required)")
    names = [h.strip().lower() for h in header]
    if "hts_code" not in names:
        raise InputFileError(f"{path}: the header has no hts_code column (got: {', '.join(names[:8])})")
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        record = dict(zip(names, row, strict=False))
        if len(row) != len(names):
            record[PROBLEM] = f"row has {len(row)} fields, the header has {len(names)}"
        yield record


def _jsonl(fh: io.TextIOBase, path: Path | str) -> Iterator[dict]:
    for n, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield {PROBLEM: f"line {n} is not valid JSON: {exc}"}
            continue
        yield value if isinstance(value, dict) else {PROBLEM: f"line {n} is not a JSON object"}


def _json(fh: io.TextIOBase, path: Path | str) -> Iterator[dict]:
    try:
        value = json.load(fh)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputFileError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(value, list):
        raise InputFileError(f"{path}: a JSON input must be an array of line objects")
    for n, item in enumerate(value, start=1):
        yield item if isinstance(item, dict) else {PROBLEM: f"item {n} is not a JSON object"}
