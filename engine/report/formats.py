"""Output formats: each a small module with `write(results, out, summary)`, behind one registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from . import csv_format, json_format, jsonl_format, table_format
from .result import Result
from .summary import Summary

Writer = Callable[[Iterable[Result], TextIO, Summary], None]
FORMATS: dict[str, Writer] = {
    "table": table_format.write,
    "json": json_format.write,
    "jsonl": jsonl_format.write,
    "csv": csv_format.write,
}


def write(fmt: str, results: Iterable[Result], out: TextIO) -> Summary:
    summary = Summary()
    FORMATS[fmt](summary.track(results), out, summary)
    return summary
