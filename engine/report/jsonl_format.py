"""One JSON object per line (decimals as strings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .records import Renderer
from .result import Result
from .result_batch import ResultBatch

if TYPE_CHECKING:
    from .options import Options
    from .summary import Summary


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    for r in results:
        out.write(r.record_json())
        out.write("\n")


def write_batches(batches: Iterable[ResultBatch], out: TextIO) -> None:
    """The same lines, rendered from result batches (a stored run: no per-line objects)."""
    for b in batches:
        for text in Renderer(b).records():
            out.write(text)
            out.write("\n")
