"""Output formats: each a small module with `write(results, out, summary)`, behind one registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import TextIO

from ..result import VERDICTS, Result
from . import csv_format, json_format, jsonl_format, table_format


class Summary:
    """Counts per verdict and total duty per currency, filled in as results stream past."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(VERDICTS, 0)
        self.duty: dict[str, Decimal] = {}

    @property
    def lines(self) -> int:
        return sum(self.counts.values())

    def track(self, results: Iterable[Result]) -> Iterator[Result]:
        for r in results:
            self.counts[r.verdict] += 1
            if r.currency:
                self.duty[r.currency] = self.duty.get(r.currency, Decimal(0)) + r.total_duty
            yield r

    def line(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts.items())
        duty = ", ".join(f"{amount} {cur}" for cur, amount in sorted(self.duty.items())) or "0"
        return f"{self.lines} lines: {counts}; total duty {duty}"


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
