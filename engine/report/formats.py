"""Output formats: each a small module with `write(results, out, summary, options)`, behind one registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from . import csv_format, github_format, json_format, jsonl_format, junit_format, sarif_format, table_format
from .options import Options
from .result import Result
from .summary import Summary

Writer = Callable[[Iterable[Result], TextIO, Summary, Options], None]
FORMATS: dict[str, Writer] = {
    "text": table_format.write,  # the table, for people (`--format table`: its old name, still taken)
    "json": json_format.write,
    "jsonl": jsonl_format.write,
    "csv": csv_format.write,
    "sarif": sarif_format.write,
    "junit": junit_format.write,
    "github": github_format.write,
}


def write(fmt: str, results: Iterable[Result], out: TextIO, options: Options | None = None) -> Summary:
    summary = Summary()
    FORMATS[fmt](summary.track(results), out, summary, options or Options())
    return summary
