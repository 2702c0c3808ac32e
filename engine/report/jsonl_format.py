"""One JSON object per line (decimals as strings)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .result import Result

if TYPE_CHECKING:
    from .options import Options
    from .summary import Summary


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    for r in results:
        out.write(r.record_json())
        out.write("\n")
