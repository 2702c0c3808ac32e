"""One JSON object per line (decimals as strings)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from ..result import Result

if TYPE_CHECKING:
    from . import Summary


def write(results: Iterable[Result], out: TextIO, summary: Summary) -> None:
    for r in results:
        out.write(json.dumps(r.record(), ensure_ascii=False))
        out.write("\n")
