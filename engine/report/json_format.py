"""A JSON array of result records, streamed (decimals as strings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .result import Result

if TYPE_CHECKING:
    from .options import Options
    from .summary import Summary


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    out.write("[")
    for i, r in enumerate(results):
        out.write(",\n" if i else "\n")
        out.write(r.record_json())
    out.write("\n]\n")
