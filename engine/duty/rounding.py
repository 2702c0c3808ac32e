"""Rounding of money amounts, driven by rule-pack data: a mode (`half-up`, or `down` = truncation, as in
Japan's National Tax General Rules Act arts. 118-119) and a unit (0.01, 1, 100, 1000). The US pack rounds
each duty line half up to the cent; the Japanese pack truncates bases and amounts to their units. One
function does both: no amount is rounded anywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

MODES = {"half-up": ROUND_HALF_UP, "down": ROUND_DOWN}
ONE = Decimal(1)


@dataclass(frozen=True)
class Rounding:
    """Round to a multiple of `unit` (a positive Decimal), half up or down (towards zero)."""

    mode: str
    unit: Decimal
    _quantum: bool = field(init=False, repr=False, compare=False)  # a power of ten up to 1: one quantize

    def __post_init__(self) -> None:
        object.__setattr__(self, "_quantum", is_quantum(self.unit))

    def apply(self, amount: Decimal) -> Decimal:
        if self._quantum:  # the usual case (cents, whole yen), decided once per rounding rule
            return amount.quantize(self.unit, rounding=MODES[self.mode])
        return round_amount(amount, self.mode, self.unit)

    def describe(self) -> str:
        unit = f"{self.unit.normalize():f}"
        return f"truncated to a multiple of {unit}" if self.mode == "down" else f"rounded half up to {unit}"


def round_amount(amount: Decimal, mode: str, unit: Decimal) -> Decimal:
    """`amount` rounded to a multiple of `unit`: 534795 down to 1000 is 534000, 750.005 half up to 0.01 is
    750.01. The result keeps the unit's exponent (0.00 for cents)."""
    if is_quantum(unit):
        return amount.quantize(unit, rounding=MODES[mode])
    return (amount / unit).quantize(ONE, rounding=MODES[mode]) * unit


def is_quantum(unit: Decimal) -> bool:
    """Whether the unit is 1, 0.1, 0.01, ...: rounding to it is one quantize."""
    _sign, digits, exponent = unit.as_tuple()
    return digits == (1,) and isinstance(exponent, int) and exponent <= 0


@lru_cache(maxsize=16)
def minor_unit_rounding(minor_unit: int) -> Rounding:
    """The default: half up to the currency's minor unit (2 for cents, 0 for whole yen)."""
    return Rounding("half-up", ONE.scaleb(-minor_unit))
