"""One run's totals: lines per verdict and duty, taxes and fees per currency, filled in as results stream past."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from .result import VERDICTS, Result


class Summary:
    """Counts per verdict and total duty (and taxes and fees, when a line has any) per currency."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(VERDICTS, 0)
        self.duty: dict[str, Decimal] = {}
        self.taxes: dict[str, Decimal] = {}
        self.fees: dict[str, Decimal] = {}

    @property
    def lines(self) -> int:
        return sum(self.counts.values())

    def track(self, results: Iterable[Result]) -> Iterator[Result]:
        for r in results:
            self.counts[r.verdict] += 1
            if r.currency:
                self.duty[r.currency] = self.duty.get(r.currency, Decimal(0)) + r.total_duty
                for sums, amount in ((self.taxes, r.total_taxes), (self.fees, r.total_fees)):
                    if amount:
                        sums[r.currency] = sums.get(r.currency, Decimal(0)) + amount
            yield r

    def line(self) -> str:
        counts = ", ".join(f"{n:,} {v}" for v, n in self.counts.items())
        duty = money(self.duty) or "0"
        charges = (("taxes", self.taxes), ("fees", self.fees))
        others = "".join(f"; total {name} {money(sums)}" for name, sums in charges if sums)
        return f"{self.lines:,} lines: {counts}; total duty {duty}{others}"


def money(sums: dict[str, Decimal]) -> str:
    """`1,500 JPY, 9,500.10 USD`: amounts per currency, in currency order, with thousands separators."""
    return ", ".join(f"{amount:,} {cur}" for cur, amount in sorted(sums.items()))
