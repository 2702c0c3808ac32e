"""One run's totals: lines per verdict and duty per currency, filled in as results stream past."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from .result import VERDICTS, Result


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
