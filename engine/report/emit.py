"""One interface for every report a command prints besides check results (lint findings, golden outcomes, the
catalog, explain, diff, an HTS line, the runs of the run database): an `Emitter` maps each format name to a
function from the report to its text, the way `report.formats` maps each format of check results to its
writer. A command offers `emitter.names` as its `--format` choices and prints `emitter.emit(report, fmt)`; it
renders nothing itself. `text` is for people, `json` for programs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Emitter(Generic[T]):
    formats: Mapping[str, Callable[[T], str]]

    @property
    def names(self) -> list[str]:
        return list(self.formats)

    def emit(self, report: T, fmt: str) -> str:
        return self.formats[fmt](report)


def printable(text: str) -> str:
    """Control characters (newlines, terminal escapes) written as escapes, so a message stays one safe line."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def json_text(data: object) -> str:
    """JSON for programs: indented, ASCII only (so no control character reaches a terminal), decimals as text."""
    return json.dumps(data, indent=2, default=str)


def text_and_json(text: Callable[[T], str], data: Callable[[T], object]) -> Emitter[T]:
    """The usual pair: `text` for people, `json` (of `data(report)`) for programs."""
    return Emitter({"text": text, "json": lambda report: json_text(data(report))})
