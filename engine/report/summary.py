"""One run's totals: lines per verdict and duty, taxes and fees per currency. The output formats fill them in as
results stream past; the run database adds up each stored batch (`add`) and keeps the totals with it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from .result import VERDICTS, Result
from .result_batch import ResultBatch
from .result_batch import money as decimal_text

SUMS = {"duty": "total_duty", "taxes": "total_taxes", "fees": "total_fees"}  # attribute: batch column
CHECKED = ("accept", "review", "reject")  # the verdicts of lines that were checked; `invalid` is counted apart


class Summary:
    """Counts per verdict and total duty (and taxes and fees, when a line has any) per currency."""

    def __init__(
        self,
        counts: dict[str, int] | None = None,
        duty: dict[str, Decimal] | None = None,
        taxes: dict[str, Decimal] | None = None,
        fees: dict[str, Decimal] | None = None,
    ) -> None:
        self.counts = dict.fromkeys(VERDICTS, 0) | (counts or {})
        self.duty: dict[str, Decimal] = dict(duty or {})
        self.taxes: dict[str, Decimal] = dict(taxes or {})
        self.fees: dict[str, Decimal] = dict(fees or {})

    @property
    def lines(self) -> int:
        return sum(self.counts.values())

    def track(self, results: Iterable[Result]) -> Iterator[Result]:
        for r in results:
            self.count(r.verdict, r.currency, r.total_duty, r.total_taxes, r.total_fees)
            yield r

    def add(self, b: ResultBatch) -> None:
        """A batch's lines, summed per currency in minor units (exact), as `count` counts each line."""
        for verdict in b.verdict:
            self.counts[verdict] += 1
        minor: dict[str, dict[str, int]] = {name: {} for name in SUMS}
        for n, (currency, duty) in enumerate(zip(b.currency, b.total_duty, strict=True)):
            if not currency or duty is None:
                continue
            minor["duty"][currency] = minor["duty"].get(currency, 0) + duty
            for name in ("taxes", "fees"):
                amount = getattr(b, SUMS[name])[n]
                if amount:
                    minor[name][currency] = minor[name].get(currency, 0) + amount
        for name, per_currency in minor.items():
            sums = getattr(self, name)
            for currency, units in per_currency.items():
                amount = Decimal(decimal_text(units, b.minor_units.get(currency, 0)))
                sums[currency] = sums.get(currency, Decimal(0)) + amount

    def count(
        self, verdict: str, currency: str | None, duty: Decimal | None, taxes: Decimal | None, fees: Decimal | None
    ) -> None:
        """One more line: duty is summed per currency even when zero, taxes and fees only when a line has any;
        an invalid line (no duty) is only counted."""
        self.counts[verdict] += 1
        if currency and duty is not None:
            self.duty[currency] = self.duty.get(currency, Decimal(0)) + duty
            for sums, amount in ((self.taxes, taxes), (self.fees, fees)):
                if amount:
                    sums[currency] = sums.get(currency, Decimal(0)) + amount

    def line(self) -> str:
        counts = ", ".join(f"{self.counts[v]:,} {v}" for v in CHECKED)
        invalid = self.counts["invalid"]
        apart = f"; {invalid:,} invalid (not checked)" if invalid else ""
        duty = money(self.duty) or "0"
        charges = (("taxes", self.taxes), ("fees", self.fees))
        others = "".join(f"; total {name} {money(sums)}" for name, sums in charges if sums)
        return f"{self.lines:,} lines: {counts}{apart}; total duty {duty}{others}"


def money(sums: dict[str, Decimal]) -> str:
    """`1,500 JPY, 9,500.10 USD`: amounts per currency, in currency order, with thousands separators."""
    return ", ".join(f"{amount:,} {cur}" for cur, amount in sorted(sums.items()))
