"""One entry line: parse the raw columns of an input record into a validated `Line`, or a list of
input problems naming the column. Column names are case-insensitive; unknown columns pass through."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pycountry
from pydantic import BaseModel, ConfigDict

from ..duty.codes import format_code
from ..duty.expression import DutyExpression, DutyExpressionError, parse_duty_expression
from ..packs.load import Contract, bundled_contract
from .records import NUMERIC

COLUMNS = (
    "entry_number",
    "line_number",
    "destination",
    "hts_code",
    "origin",
    "value",
    "currency",
    "quantity",
    "unit",
    "entry_date",
    "loaded_date",
    "transport_mode",
    "mfn_rate",
    "steel_value",
    "aluminum_value",
    "copper_value",
    "us_content_value",
    "spi",
    "documents",
    "attributes",
    "declared_headings",
    "declared_duty",
    "declared_heading_duty",
    "declared_fees",
)
REQUIRED = ("hts_code", "origin", "value", "entry_date")
MODES = ("vessel", "air", "truck", "rail", "mail")
ANY_CODE = tuple(range(6, 11))  # a destination whose pack states no code lengths
CONTENT_FIELDS = ("steel_value", "aluminum_value", "copper_value", "us_content_value")
MAX_FIELD = 10_000
_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)
_ASCII_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also admits '²' and '٣'
_CHECK = re.compile(r"[0-9A-Za-z]")


class InputProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    column: str
    message: str


class Line(BaseModel):
    """A validated entry line. Money is Decimal; codes are digits only."""

    model_config = ConfigDict(frozen=True)

    row: int
    entry_number: str | None = None
    line_number: str | None = None
    destination: str
    hts_code: str
    origin: str
    value: Decimal
    currency: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    entry_date: dt.date
    loaded_date: dt.date | None = None
    transport_mode: str | None = None
    mfn_rate: str | None = None
    steel_value: Decimal | None = None
    aluminum_value: Decimal | None = None
    copper_value: Decimal | None = None
    us_content_value: Decimal | None = None
    spi: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    attributes: dict[str, str] = {}
    declared_headings: tuple[str, ...] = ()
    declared_duty: Decimal | None = None
    declared_heading_duty: tuple[tuple[str, Decimal], ...] = ()  # (heading, duty declared on it), as filed
    declared_fees: Decimal | None = None  # the fees the line declared (compared per entry: the MPF is per entry)

    @property
    def mfn(self) -> DutyExpression | None:
        return parse_duty_expression(self.mfn_rate, allow_special=False) if self.mfn_rate else None

    def content(self, field: str) -> Decimal | None:
        return self.value if field == "value" else getattr(self, field)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_of(value: object) -> str:
    """Stripped text, with lone surrogates (a JSON `"\\ud800"` escape) made U+FFFD: they cannot be
    written as UTF-8, and every column may be echoed into the output."""
    if type(value) is str and value.isascii():  # the usual case: nothing to replace
        return value.strip()
    return _LONE_SURROGATE.sub("\ufffd", str(value)).strip()


@lru_cache(maxsize=1024)
def column_name(key: str) -> str:
    """A column name as the parser sees it: trimmed, lower case, no byte-order mark."""
    return text_of(key).lower().lstrip("\ufeff")


def normalise_keys(raw: dict[str, object]) -> dict[str, str]:
    """Lower-case, trimmed column names; values as stripped text ('' for missing)."""
    out: dict[str, str] = {}
    for key, val in raw.items():
        if type(key) is not str:  # a reader's mark (readers.Mark), never a column
            continue
        name = column_name(key)
        text = "" if val is None else text_of(val)
        if not out.get(name):  # the first non-empty value of a repeated column wins
            out[name] = text
    return out


SYMBOLS = {"$": "USD", "¥": "JPY", "￥": "JPY"}  # a money column may start with its currency's symbol
MONEY = ("value", *CONTENT_FIELDS, "declared_duty", "declared_fees")
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")  # 1,234,567.89


def money(text: str) -> Decimal:
    """An amount: a number, after at most one leading currency symbol (checked against the line's
    currency by `_symbol_problems`); a symbol anywhere else is not a number."""
    return _number(text[1:].strip() if text[:1] in SYMBOLS else text)


def _number(text: str) -> Decimal:
    """A plain decimal: ASCII digits, an optional point, commas only as thousands separators (so a
    European `1,5` is refused, not read as 15), no exponent (a spreadsheet's `1.23457E+11` has lost
    digits), no sign, no symbol."""
    cleaned = text
    if cleaned.startswith("-"):
        raise ValueError(f"{text!r} is negative")
    if _GROUPED_NUMBER.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not a number")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits and a point
        raise ValueError(f"{text!r} is not a number") from exc
    if abs(value.as_tuple().exponent) > 6 or value.adjusted() > 15:  # type: ignore[operator]
        raise ValueError(f"{text!r} is out of range")
    return value


_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})")  # YYYY-MM-DD, or YYYY/MM/DD as Japan writes it
_SLASHED = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}")  # MM/DD/YYYY or DD/MM/YYYY: never guessed


@lru_cache(maxsize=4096)
def _date(text: str) -> dt.date:
    m = _DATE.fullmatch(text)
    if m is None:
        hint = " (if the file writes MM/DD/YYYY, say so: --date-order mdy)" if _SLASHED.fullmatch(text) else ""
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD{hint}")
    try:
        return dt.date(int(m[1]), int(m[3]), int(m[4]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date") from exc


@lru_cache(maxsize=65536)
def _code(text: str, destination: str, allowed: tuple[int, ...], suffix: bool = False, numeric: bool = False) -> str:
    """The code's digits. `suffix`: the schedule's codes may carry one more check character (NACCS's tenth),
    accepted and dropped. `numeric`: the spreadsheet cell was a number, so a code one digit short of a valid
    length lost its leading zero, which is restored."""
    digits = re.sub(r"[.\s-]", "", text)
    checked = suffix and len(digits) == max(allowed) + 1 and _CHECK.fullmatch(digits[-1])
    if checked and _ASCII_DIGITS.fullmatch(digits[:-1]):
        return digits[:-1]
    short = _ASCII_DIGITS.fullmatch(digits) and len(digits) not in allowed and len(digits) + 1 in allowed
    if short and numeric:
        return "0" + digits
    if not _ASCII_DIGITS.fullmatch(digits) or len(digits) not in allowed:
        want = " or ".join(str(n) for n in allowed)
        lost = f" (a spreadsheet may have dropped its leading zero: 0{digits}?)" if short else ""
        raise ValueError(f"{text!r} is not a {destination} tariff code of {want} digits{lost}")
    return digits


def ascii_code(text: str, what: str) -> str:
    """A code in upper case. Only ASCII: `upper()` would fold a compatibility or look-alike character
    (`ſ`, `ﬁ`, the Kelvin sign) into another code's letters."""
    if not text.isascii():
        raise ValueError(f"{text!r} is not {what}")
    return text.upper()


def attribute_value(text: str) -> str:
    """An attribute value as it is compared everywhere (scopes, conditions, caps): compatibility forms
    folded, case folded, blanks collapsed, so `XYZ-2`, `xyz-2` and `ＸＹＺ-2` are one vehicle type."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _country(text: str) -> str:
    code = ascii_code(text, "an ISO 3166 alpha-2 country code")
    if code not in _COUNTRIES:
        raise ValueError(f"{text!r} is not an ISO 3166 alpha-2 country code")
    return code


def _items(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


@lru_cache(maxsize=4096)
def _names(text: str) -> frozenset[str]:
    return frozenset(ascii_code(s, "a code") for s in _items(text))


@lru_cache(maxsize=4096)
def _attributes(text: str) -> dict[str, str]:
    out = {}
    for item in _items(text):
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{item!r} is not key=value")
        out[key.strip().lower()] = attribute_value(val)
    return out


def _headings(text: str) -> tuple[str, ...]:
    out = []
    for item in _items(text):
        digits = re.sub(r"[.\s]", "", item)
        if not _ASCII_DIGITS.fullmatch(digits) or len(digits) not in (8, 9, 10):
            raise ValueError(f"{item!r} is not a heading")
        out.append(format_code(digits))
    return tuple(out)


def parse_line(
    row: int, raw: dict[str, object], default_destination: str | None = None, contract: Contract | None = None
) -> Line | list[InputProblem]:
    """Validate one record. Returns the `Line`, or every problem found (one per column)."""
    cols = normalise_keys(raw)
    problems: list[InputProblem] = []
    fields: dict[str, object] = {"row": row}
    contract = contract or bundled_contract()
    given = cols.get("destination") or default_destination or contract.default or ""
    dest = given.upper()
    if not re.fullmatch(r"[A-Z]{2}", dest) or not given.isascii():
        message = f"{dest!r} is not a country code" if dest else "missing (no --destination and no default pack)"
        problems.append(InputProblem(column="destination", message=message))
    fields["destination"] = dest
    for column, parse in _PARSERS:
        text = cols.get(column, "")
        if not text:
            if column in REQUIRED:
                problems.append(InputProblem(column=column, message="missing (required)"))
            continue
        if len(text) > MAX_FIELD:
            problems.append(InputProblem(column=column, message=f"longer than {MAX_FIELD} characters"))
            continue
        try:
            fields[column] = _tariff_code(text, dest, contract, raw) if parse is None else parse(text)
        except ValueError as exc:
            problems.append(InputProblem(column=column, message=str(exc)))
    problems += _symbol_problems(cols, fields.get("currency") or contract.currencies.get(dest))  # type: ignore[arg-type]
    if problems:
        return problems
    line = Line.model_validate(fields)  # faster than model_construct for parsed values (measured: 2 vs 7.7 us)
    return _check_consistency(line) or line


def _symbol_problems(cols: dict[str, str], currency: str | None) -> list[InputProblem]:
    """A currency symbol that is not the line's currency's: `¥1000` on a USD line is not 1000 USD."""
    out = []
    for column in MONEY:
        text = cols.get(column, "")
        if text[:1] in SYMBOLS and currency and SYMBOLS[text[:1]] != currency:
            out.append(InputProblem(column=column, message=f"{text!r} is not an amount in {currency}"))
    return out


def _tariff_code(text: str, destination: str, contract: Contract, raw: dict[str, object]) -> str:
    allowed = contract.digits.get(destination, ANY_CODE)
    numeric = "hts_code" in raw.get(NUMERIC, ())  # type: ignore[call-overload,operator]
    return _code(text, destination, allowed, destination in contract.suffixed, numeric)


def _heading_duties(text: str) -> tuple[tuple[str, Decimal], ...]:
    """`HEADING=AMOUNT;...`: the duty declared on each heading (ES-003's per-row duty)."""
    out = []
    for item in _items(text):
        heading, sep, amount = item.partition("=")
        headings = _headings(heading)
        if not sep or len(headings) != 1:
            raise ValueError(f"{item!r} is not HEADING=AMOUNT")
        out.append((headings[0], money(amount.strip())))
    return tuple(out)


def _bad(text: str, what: str) -> str:
    raise ValueError(f"{text!r} is not {what}")


@lru_cache(maxsize=4096)
def _rate(text: str) -> str:
    try:
        expr = parse_duty_expression(text, allow_special=False)
    except DutyExpressionError as exc:
        raise ValueError(f"{text!r} is not a rate: {exc}") from exc
    numbers = [expr.ad_valorem, *(spec.amount for spec in expr.specific)]
    if any(n.adjusted() > 6 for n in numbers if n):  # a rate of a million percent or a million a unit is a typo
        raise ValueError(f"{text!r} is out of range")
    return text


def _currency(text: str) -> str:
    return text.upper() if re.fullmatch(r"[A-Za-z]{3}", text) else _bad(text, "a currency code")


def _mode(text: str) -> str:
    return text.lower() if text.isascii() and text.lower() in MODES else _bad(text, "one of " + ", ".join(MODES))


def _attribute_copy(text: str) -> dict[str, str]:
    return dict(_attributes(text))  # a copy: the cached dict is never handed out


# Each column and its parser, in the order problems are reported (hts_code: parsed for the line's destination).
_PARSERS: tuple[tuple[str, Callable[[str], object] | None], ...] = (
    ("entry_number", str),
    ("line_number", str),
    ("unit", str),
    ("hts_code", None),
    ("origin", _country),
    ("value", money),
    ("currency", _currency),
    ("quantity", _number),
    ("entry_date", _date),
    ("loaded_date", _date),
    ("transport_mode", _mode),
    ("mfn_rate", _rate),
    *((column, money) for column in CONTENT_FIELDS),
    ("spi", _names),
    ("documents", _names),
    ("attributes", _attribute_copy),
    ("declared_headings", _headings),
    ("declared_duty", money),
    ("declared_heading_duty", _heading_duties),
    ("declared_fees", money),
)


def _check_consistency(line: Line) -> list[InputProblem]:
    problems = []
    for column in CONTENT_FIELDS:
        part = getattr(line, column)
        if part is not None and part > line.value:
            problems.append(InputProblem(column=column, message=f"{part} exceeds the customs value {line.value}"))
    if line.loaded_date and line.loaded_date > line.entry_date:
        problems.append(InputProblem(column="loaded_date", message="is after the entry date"))
    return problems
