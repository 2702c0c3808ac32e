"""Duty expressions: parse the text of a rate ("15%", "$0.50/kg + 4.8%", "341 JPY/kg", "all-in 15%")
and compute duty amounts with Decimal arithmetic. Floats never touch money here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from .rounding import minor_unit_rounding

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class DutyExpressionError(ValueError):
    """The text is not a duty expression this parser understands."""


# unit spelling -> (canonical unit, factor to the canonical unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("kg", Decimal(1)),
    "kgs": ("kg", Decimal(1)),
    "g": ("kg", Decimal("0.001")),
    "gram": ("kg", Decimal("0.001")),
    "t": ("kg", Decimal(1000)),
    "ton": ("kg", Decimal(1000)),
    "tonne": ("kg", Decimal(1000)),
    "l": ("l", Decimal(1)),
    "liter": ("l", Decimal(1)),
    "litre": ("l", Decimal(1)),
    "no": ("no", Decimal(1)),
    "no.": ("no", Decimal(1)),
    "pcs": ("no", Decimal(1)),
    "pc": ("no", Decimal(1)),
    "each": ("no", Decimal(1)),
    "unit": ("no", Decimal(1)),
    "units": ("no", Decimal(1)),
    "u": ("no", Decimal(1)),
    "doz": ("no", Decimal(12)),
    "doz.": ("no", Decimal(12)),
    "dozen": ("no", Decimal(12)),
    "pair": ("pair", Decimal(1)),
    "pairs": ("pair", Decimal(1)),
    "prs": ("pair", Decimal(1)),
    "prs.": ("pair", Decimal(1)),
    "m": ("m", Decimal(1)),
    "m2": ("m2", Decimal(1)),
    "m3": ("m3", Decimal(1)),
    # Spellings of the HTSUS export (its rates and its Unit of Quantity column). A unit that is measured on
    # something other than the goods' own weight or count (drained weight, a metal content, proof liters,
    # clean yield) is a unit of its own: it computes only from a quantity declared in that unit.
    "liters": ("l", Decimal(1)),
    "litres": ("l", Decimal(1)),
    "pf.l": ("pf.l", Decimal(1)),
    "pf.liter": ("pf.l", Decimal(1)),
    "pf.liters": ("pf.l", Decimal(1)),
    "pf. liter": ("pf.l", Decimal(1)),
    "pf. liters": ("pf.l", Decimal(1)),
    "proof liter": ("pf.l", Decimal(1)),
    "proof liters": ("pf.l", Decimal(1)),
    "pf. liter on ethyl alcohol content": ("pf.l", Decimal(1)),
    "bbl": ("bbl", Decimal(1)),
    "barrel": ("bbl", Decimal(1)),
    "barrels": ("bbl", Decimal(1)),
    "head": ("no", Decimal(1)),
    "article": ("no", Decimal(1)),
    "articles": ("no", Decimal(1)),
    "hundreds": ("no", Decimal(100)),
    "1000": ("no", Decimal(1000)),
    "1,000": ("no", Decimal(1000)),
    "1,000 pins": ("no", Decimal(1000)),
    "thousand": ("no", Decimal(1000)),
    "thousands": ("no", Decimal(1000)),
    "thou- sand": ("no", Decimal(1000)),
    "dz pcs": ("no", Decimal(12)),
    "pr": ("pair", Decimal(1)),
    "pr.": ("pair", Decimal(1)),
    "doz. prs.": ("pair", Decimal(12)),
    "gross": ("gross", Decimal(1)),
    "gross of immediate containers": ("gross immediate containers", Decimal(1)),
    "gross immediate containers": ("gross immediate containers", Decimal(1)),  # every canonical unit parses
    "line/gross": ("gr.lines", Decimal(1)),
    "line/ gross": ("gr.lines", Decimal(1)),
    "gr.lines": ("gr.lines", Decimal(1)),
    "pack": ("pack", Decimal(1)),
    "packs": ("pack", Decimal(1)),
    "jewel": ("jewel", Decimal(1)),
    "jewels": ("jewel", Decimal(1)),
    "jwls.": ("jewel", Decimal(1)),
    "jewel over 7": ("jewel over 7", Decimal(1)),
    "lin. m": ("m", Decimal(1)),
    "lin.m": ("m", Decimal(1)),
    "m²": ("m2", Decimal(1)),
    "m2 of recording surface": ("m2 recording surface", Decimal(1)),
    "m2of recording surface": ("m2 recording surface", Decimal(1)),
    "m2 recording surface": ("m2 recording surface", Decimal(1)),
    "clean kg": ("clean kg", Decimal(1)),
    "cy kg": ("clean kg", Decimal(1)),
    "kg on drained weight": ("kg drained", Decimal(1)),
    "kg on drained weght": ("kg drained", Decimal(1)),
    "kg drained": ("kg drained", Decimal(1)),
    "kg of total sugars": ("kg ttl sug", Decimal(1)),
    "kg ttl sug": ("kg ttl sug", Decimal(1)),
    "kg of anhydrous morphine content": ("kg amc", Decimal(1)),
    "kg amc": ("kg amc", Decimal(1)),
    "kg, including weight of container": ("kg gross", Decimal(1)),
    "t, including weight of container": ("kg gross", Decimal(1000)),
    "kg on contents and container": ("kg gross", Decimal(1)),
    "kg gross": ("kg gross", Decimal(1)),
    "kg on entire contents of container": ("kg contents", Decimal(1)),
    "kg contents": ("kg contents", Decimal(1)),
}
# "/kg on copper content" is per kg of the metal, the export's "Cu kg"
_CONTENT = {
    "copper": "Cu",
    "lead": "Pb",
    "zinc": "Zn",
    "molybdenum": "Mo",
    "tungsten": "W",
    "magnesium": "Mg",
    "manganese": "Mn",
    "silicon": "Si",
}
for _name, _symbol in _CONTENT.items():
    UNITS[f"kg on {_name} content"] = (f"{_symbol} kg", Decimal(1))
    UNITS[f"{_symbol.lower()} kg"] = (f"{_symbol} kg", Decimal(1))

# currency sign or code -> (ISO code, factor to one unit of that currency)
CURRENCY_SIGNS: dict[str, tuple[str, Decimal]] = {
    "$": ("USD", Decimal(1)),
    "usd": ("USD", Decimal(1)),
    "¢": ("USD", Decimal("0.01")),
    "c": ("USD", Decimal("0.01")),
    "cents": ("USD", Decimal("0.01")),
    "¥": ("JPY", Decimal(1)),
    "jpy": ("JPY", Decimal(1)),
    "yen": ("JPY", Decimal(1)),
    "eur": ("EUR", Decimal(1)),
    "€": ("EUR", Decimal(1)),
}

_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_PERCENT = re.compile(rf"^({_NUMBER})\s*%?$")
_FRACTION_PERCENT = re.compile(r"^(\d+) (\d+)/(\d+)\s*%$")  # 33 1/3%
_RATIO = re.compile(r"^(\d+)\s*/\s*(\d+)$")  # 22/78 of the basis (Japan's local consumption tax)
_PORTION = re.compile(rf"^({_NUMBER})\s*(?:%|percent)\s+((?:on|of|upon) .+)$", re.IGNORECASE)  # 45% on the case
_PREFIX_MONEY = re.compile(rf"^([$¥€])\s*({_NUMBER})\s*(?:/\s*(.+)|\s(each))$")
_SUFFIX_MONEY = re.compile(rf"^({_NUMBER})\s*(¢|c|cents|usd|jpy|yen|eur)\s*(?:/\s*(.+)|\s(each))$", re.IGNORECASE)


@dataclass(frozen=True)
class Specific:
    """A specific duty: `rate` of `currency` per `per` canonical `unit`s, as written (5¢/doz is 0.05 USD
    per 12 no). Kept undivided so that a duty divides once, last, and stays exact: 1¢/doz on half a
    dozen is exactly 0.005, which rounds half up to 0.01."""

    rate: Decimal
    currency: str
    unit: str
    per: Decimal = Decimal(1)

    @property
    def amount(self) -> Decimal:
        """Per one canonical unit (rounded to the decimal context when `per` does not divide it)."""
        return self.rate / self.per

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.currency}/{self.unit}"


@dataclass(frozen=True)
class Portion:
    """An ad valorem rate on a part of the value that the line does not declare ("45% on the case",
    "2 percent of the fair retail value"): it never computes, so the line goes to review."""

    fraction: Decimal
    basis: str

    def __str__(self) -> str:
        return f"{percent(self.fraction)}% {self.basis}"


@dataclass(frozen=True)
class DutyExpression:
    """A parsed rate. `kind` is `plain` (ad valorem and/or specific parts), `mfn` (the line's own
    column-1 rate) or `all_in` (top up to `ad_valorem` including the MFN duty). A plain `ratio` (22/78)
    is kept as numerator and denominator, so that the basis is multiplied before it is divided."""

    text: str
    kind: Literal["plain", "mfn", "all_in"] = "plain"
    ad_valorem: Decimal = ZERO  # a fraction: 15% -> 0.15
    specific: tuple[Specific, ...] = ()
    portions: tuple[Portion, ...] = ()
    ratio: tuple[Decimal, Decimal] | None = None

    @property
    def is_ad_valorem_only(self) -> bool:
        return self.kind == "plain" and not self.specific and not self.portions

    def describe(self) -> str:
        return _describe(self)


@lru_cache(maxsize=4096)
def _describe(expr: DutyExpression) -> str:
    """The rate as written back (cached: expressions are frozen and few)."""
    if expr.kind == "mfn":
        return "MFN"
    if expr.text.lower() == "free":
        return "Free"
    if expr.ratio is not None:
        return f"{expr.ratio[0]}/{expr.ratio[1]}"
    parts = []
    if expr.ad_valorem or not (expr.specific or expr.portions):
        parts.append(f"{percent(expr.ad_valorem)}%")
    parts.extend(str(s) for s in expr.specific)
    parts.extend(str(p) for p in expr.portions)
    text = " + ".join(parts)
    return f"all-in {text}" if expr.kind == "all_in" else text


def percent(fraction: Decimal) -> str:
    """0.025 -> '2.5' (no exponent, no trailing zeros)."""
    text = f"{(fraction * HUNDRED).normalize():f}"
    return text


def computed_percent(fraction: Decimal) -> str:
    """A computed rate (an ad valorem equivalent, a top-up) as a percentage to four decimals: 0.0123456 -> '1.2346'."""
    return percent(fraction.quantize(Decimal("0.000001")))


def all_in(rate: Decimal, mfn_duty: Decimal, value: Decimal, basis: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """An all-in rate over MFN: (the MFN ad valorem equivalent, the top-up rate, the duty on `basis`), unrounded.
    The duty is the all-in rate x value - MFN duty, multiplied before any division so a half cent stays exact."""
    ave = mfn_duty / value if value else ZERO
    top_up = max(ZERO, rate - ave)
    if top_up == 0 or not value:
        return ave, top_up, ZERO
    whole = rate * value - mfn_duty
    return ave, top_up, whole if basis == value else whole * basis / value


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - regexes admit only digits
        raise DutyExpressionError(f"not a number: {text!r}") from exc


def _unit(text: str) -> tuple[str, Decimal]:
    key = text.strip().lower()
    if key not in UNITS:
        raise DutyExpressionError(f"unknown unit {text!r}")
    return UNITS[key]


def _component(text: str, bare_number_is_percent: bool) -> Decimal | Specific | Portion:
    """One `+`-separated part: an ad valorem fraction, a specific duty or a portion."""
    text = text.strip()
    m = _PERCENT.match(text)
    if m and (text.endswith("%") or bare_number_is_percent):
        return _decimal(m.group(1)) / HUNDRED
    m = _FRACTION_PERCENT.match(text)
    if m:
        whole, num, den = (_decimal(g) for g in m.groups())
        if not den:
            raise DutyExpressionError(f"zero denominator in {text!r}")
        return (whole + num / den) / HUNDRED
    m = _PORTION.match(text)
    if m:
        return Portion(_decimal(m.group(1)) / HUNDRED, m.group(2))
    m = _PREFIX_MONEY.match(text)
    if m:
        sign, number, unit_text, each = m.groups()
        code, factor = CURRENCY_SIGNS[sign]
    else:
        m = _SUFFIX_MONEY.match(text)
        if not m:
            raise DutyExpressionError(f"cannot read duty component {text!r}")
        number, sign, unit_text, each = m.groups()
        code, factor = CURRENCY_SIGNS[sign.lower()]
    unit, unit_factor = _unit(unit_text or each)
    return Specific(_decimal(number) * factor, code, unit, unit_factor)


def parse_duty_expression(text: str, *, allow_special: bool = True) -> DutyExpression:
    """Parse a rate. `allow_special` admits `mfn` and `all-in N%` (rule packs); the line's own
    `mfn_rate` column is parsed with it off. A bare number is read as a percentage."""
    if not isinstance(text, str):
        raise DutyExpressionError(f"a rate must be text, got {type(text).__name__}")
    return _parse(text, allow_special)


@lru_cache(maxsize=4096)
def _parse(text: str, allow_special: bool) -> DutyExpression:
    raw = " ".join(text.split())
    low = raw.lower()
    if not raw:
        raise DutyExpressionError("empty rate")
    if low == "free":
        return DutyExpression(text=raw)
    if allow_special and low == "mfn":
        return DutyExpression(text=raw, kind="mfn")
    ratio = _RATIO.match(raw) if allow_special else None
    if ratio:
        num, den = (_decimal(g) for g in ratio.groups())
        if not den:
            raise DutyExpressionError(f"zero denominator in {raw!r}")
        return DutyExpression(text=raw, ad_valorem=num / den, ratio=(num, den))
    kind: Literal["plain", "all_in"] = "plain"
    body = raw
    if allow_special and low.startswith("all-in "):
        kind, body = "all_in", raw[len("all-in ") :]
    ad_valorem = ZERO
    specific: list[Specific] = []
    portions: list[Portion] = []
    for part in body.split("+"):
        comp = _component(part, bare_number_is_percent=True)
        if isinstance(comp, Specific):
            specific.append(comp)
        elif isinstance(comp, Portion):
            portions.append(comp)
        else:
            ad_valorem += comp
    if kind == "all_in" and (specific or portions):
        raise DutyExpressionError("an all-in rate must be a percentage")
    return DutyExpression(
        text=raw, kind=kind, ad_valorem=ad_valorem, specific=tuple(specific), portions=tuple(portions)
    )


class QuantityError(ValueError):
    """A specific duty cannot be computed from the line's quantity."""


def specific_amount(spec: Specific, quantity: Decimal | None, unit: str | None, currency: str) -> Decimal:
    """Duty for one specific component, in `currency` (which must be the component's own)."""
    if spec.currency != currency:
        raise QuantityError(f"rate is in {spec.currency} but duties are computed in {currency}")
    if quantity is None or unit is None:
        raise QuantityError(f"a quantity in {spec.unit} is needed for {spec}")
    canonical, factor = _unit(unit) if unit.lower() in UNITS else (unit.lower(), Decimal(1))
    if canonical != spec.unit:
        raise QuantityError(f"quantity is in {unit} but the rate is per {spec.unit}")
    return spec.rate * quantity * factor / spec.per


def plain_amount(
    expr: DutyExpression, basis: Decimal, quantity: Decimal | None, unit: str | None, currency: str
) -> Decimal:
    """Unrounded duty of a plain expression: ad valorem on `basis` plus each specific part."""
    if expr.portions:
        p = expr.portions[0]
        raise QuantityError(f"the rate charges {p}, a part of the value that the line does not declare")
    total = basis * expr.ratio[0] / expr.ratio[1] if expr.ratio else expr.ad_valorem * basis
    for spec in expr.specific:
        total += specific_amount(spec, quantity, unit, currency)
    return total


def round_money(amount: Decimal, minor_unit: int) -> Decimal:
    """Round once, half-up, to the currency's minor unit (2 for cents, 0 for whole yen)."""
    return minor_unit_rounding(minor_unit).apply(amount)
