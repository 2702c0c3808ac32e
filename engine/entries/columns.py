"""A batch of raw input records as columns, validated column by column.

Each column's texts are parsed by the same parsers as `parse_line`, once per distinct value for the
low-cardinality columns (codes, origins, dates, units, modes, rates, document and attribute lists) and
with a fast path for plain numbers. A row whose every column parses cleanly becomes a `LineView` (what
the later stages read of a line); any other row is left to `parse_line`, so that its problems and their
messages are exactly those of the per-line parser."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..duty.codes import format_code
from ..duty.expression import parse_duty_expression
from ..packs.load import Contract
from .line import (
    _PARSERS,
    _PLAIN_NUMBER,
    ANY_CODE,
    CONTENT_FIELDS,
    MAX_FIELD,
    REQUIRED,
    Line,
    _code,
    column_name,
    normalise_keys,
    text_of,
)
from .records import NUMERIC, PROBLEM

MONEY = frozenset({"value", "quantity", *CONTENT_FIELDS, "declared_duty", "declared_fees"})
PLAIN_TEXT = frozenset({"entry_number", "line_number", "unit"})  # parsed by `str`: the text itself
MAX_CACHED = 50_000  # distinct values remembered per column (then the cache starts again)
_BAD = object()  # a text the column's parser refuses


class LineView:
    """A validated line as the match and resolve stages read it (the fields of `Line`, plus its MFN rate
    parsed and its code formatted as a heading)."""

    __slots__ = (
        "aluminum_value",
        "attributes",
        "copper_value",
        "currency",
        "declared_duty",
        "declared_fees",
        "declared_heading_duty",
        "declared_headings",
        "destination",
        "documents",
        "entry_date",
        "entry_number",
        "heading",
        "hts_code",
        "line_number",
        "loaded_date",
        "mfn",
        "mfn_rate",
        "origin",
        "quantity",
        "row",
        "spi",
        "steel_value",
        "transport_mode",
        "unit",
        "us_content_value",
        "value",
    )  # fmt: skip

    def content(self, field: str) -> Decimal | None:
        return self.value if field == "value" else getattr(self, field)


def columns(records: list[dict]) -> dict[str, list[str]]:
    """Column name (as `normalise_keys` names it) -> each record's stripped text ('' when missing)."""
    if not records:
        return {}
    first = tuple(records[0])
    names = [column_name(k) if type(k) is str else column_name(str(k)) for k in first]
    if len(set(names)) == len(names) and all(tuple(r) == first for r in records):  # CSV, TSV, XLSX
        return {
            name: list(map(_text, col))
            for name, col in zip(names, zip(*(r.values() for r in records), strict=True), strict=True)
        }
    rows = [normalise_keys(r) for r in records]  # records of differing columns (JSON): one by one
    out: dict[str, list[str]] = {}
    for n, row in enumerate(rows):
        for name, text in row.items():
            out.setdefault(name, [""] * len(rows))[n] = text
    return out


def _text(value: object) -> str:
    if type(value) is str and value.isascii():
        return value.strip()
    return "" if value is None else text_of(value)


class Validator:
    """Validates batches of records column by column; its caches of parsed values outlive a batch."""

    def __init__(self, default_destination: str | None, contract: Contract) -> None:
        self.default = (default_destination or contract.default or "").upper()
        self.contract = contract
        self._caches: dict[str, dict[str, object]] = {}

    def lines(self, records: list[dict], first_row: int) -> list[LineView | None]:
        """One entry per record: its `LineView`, or None when `parse_line` must read it."""
        n = len(records)
        cols = columns(records)
        ok = [PROBLEM not in r and "hts_code" not in r.get(NUMERIC, ()) for r in records]  # a number cell: parse_line
        given = cols.get("destination", [""] * n)
        dests = [d.upper() if d else self.default for d in given]
        for i, (g, d) in enumerate(zip(given, dests, strict=True)):
            if not (len(d) == 2 and d.isascii() and d.isalpha() and g.isascii()):
                ok[i] = False
        parsed: dict[str, list] = {"destination": dests}
        for column, parse in _PARSERS:
            texts = cols.get(column)
            if texts is None:
                if column in REQUIRED:
                    return [None] * n
                parsed[column] = [None] * n
                continue
            if column == "hts_code":
                values = [self._code(t, d) if t else None for t, d in zip(texts, dests, strict=True)]
            elif column in MONEY:
                values = [_number(t) if t else None for t in texts]
            elif column in PLAIN_TEXT:
                values = [t or None for t in texts]
            else:
                values = self._parsed(column, parse, texts)  # type: ignore[arg-type]
            required = column in REQUIRED
            for i, (t, v) in enumerate(zip(texts, values, strict=True)):
                if v is _BAD or (v is None and required) or len(t) > MAX_FIELD:
                    ok[i] = False
            parsed[column] = values
        return _views(parsed, ok, first_row)

    def _code(self, text: str, destination: str) -> object:
        try:
            digits = self.contract.digits.get(destination, ANY_CODE)
            return _code(text, destination, digits, destination in self.contract.suffixed)
        except ValueError:
            return _BAD

    def _parsed(self, column: str, parse: Callable[[str], object], texts: list[str]) -> list[object]:
        cache = self._caches.setdefault(column, {})
        out = []
        for t in texts:
            if not t:
                out.append(None)
                continue
            v = cache.get(t, cache)
            if v is cache:
                try:
                    v = parse(t)
                except ValueError:
                    v = _BAD
                if len(cache) >= MAX_CACHED:
                    cache.clear()
                cache[t] = v
            out.append(v)
        return out


def _number(text: str) -> object:
    """A plain number (digits and a point) within the range `parse_line` takes; any other text (a currency
    symbol, thousands separators, a sign) makes the row one for `parse_line`, which names its problem."""
    if not _PLAIN_NUMBER.fullmatch(text):
        return _BAD
    value = Decimal(text)
    if abs(value.as_tuple().exponent) <= 6 and value.adjusted() <= 15:  # type: ignore[operator]
        return value
    return _BAD


_EMPTY: frozenset[str] = frozenset()


def _views(parsed: dict[str, list], ok: list[bool], first_row: int) -> list[LineView | None]:
    fields = [(name, parsed[name]) for name in LineView.__slots__ if name in parsed]
    out: list[LineView | None] = []
    for i, good in enumerate(ok):
        if not good:
            out.append(None)
            continue
        v = LineView()
        v.row = first_row + i
        for name, col in fields:
            setattr(v, name, col[i])
        v.spi = v.spi or _EMPTY
        v.documents = v.documents or _EMPTY
        v.attributes = v.attributes or {}  # parsed once per distinct text and shared: never changed
        v.declared_headings = v.declared_headings or ()
        v.declared_heading_duty = v.declared_heading_duty or ()
        with_rate(v, v.mfn_rate)
        v.heading = format_code(v.hts_code)
        out.append(v if _consistent(v) else None)
    return out


def _consistent(v: LineView) -> bool:
    """The cross-column checks of `parse_line` (content within the value, loaded before entry)."""
    for column in CONTENT_FIELDS:
        part = getattr(v, column)
        if part is not None and part > v.value:
            return False
    return not (v.loaded_date is not None and v.loaded_date > v.entry_date)


def view_of(line: Line) -> LineView:
    """A `Line` (read by `parse_line`) as the view the later stages read."""
    v = LineView()
    for name in LineView.__slots__:
        if name not in ("mfn", "heading"):
            setattr(v, name, getattr(line, name))
    v.mfn, v.heading = line.mfn, format_code(line.hts_code)
    return v


def with_rate(v: LineView, mfn_rate: str | None) -> None:
    """Give the line another MFN rate (filled in from reference data)."""
    v.mfn_rate = mfn_rate
    v.mfn = parse_duty_expression(mfn_rate, allow_special=False) if mfn_rate else None
