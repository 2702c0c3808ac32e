"""ACE report ES-003 ("Entry Summary Line Tariff Details"): one row per HTS number per entry summary line,
grouped here into one input record per entry line, before the line model sees it.

Rows are grouped by (entry summary number, line number) as they come (the report lists a line's rows
together) and put in tariff ordinal order. The one row whose HTS number is not in Chapter 99 gives the
line's code, value, quantity and unit; the Chapter 99 rows give `declared_headings` in filed order; every
row's duty sums to `declared_duty` (what was deposited for the line), and each heading's duty is kept in
`declared_heading_duty` for the per-heading comparison. Entry-level fields (entry type, liquidation,
reconciliation, protest) pass through under the names of `aliases.yaml`. A group that cannot be made into
one line (no or two non-Chapter-99 rows, a line whose rows are split apart) is one record with its problem."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from .headers import alias_table, column_key
from .line import money
from .records import LINE, NUMERIC, PROBLEM, PROBLEM_COLUMN

_ORDINAL = re.compile(r"[0-9]{1,9}")
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ROW_ONLY = frozenset({"ordinal", "hts_number", "duty"})  # fields of one report row, not of the entry line
MAX_ROWS = 100  # rows of one entry line kept (ACE files a handful); past it the line is its own problem


class Es003:
    """The report's columns as `aliases.yaml` lists them."""

    def __init__(self) -> None:
        table = alias_table()["es003"]
        self.detect: tuple[str, ...] = tuple(table["detect"])
        self.columns = {column_key(k): v for k, v in table["columns"].items()}
        self.dates: tuple[str, ...] = tuple(table["dates"])
        self.no_unit = frozenset(str(u).upper() for u in table["no_unit"])


ES003 = Es003()


def is_es003(cells: Iterable[object]) -> bool:
    """Whether a header row is an ES-003 report's (it has every column ES-003 is recognised by)."""
    keys = {column_key(str(c or "")) for c in cells}
    return all(column_key(name) in keys for name in ES003.detect)


def es003_names(cells: list[str]) -> list[str]:
    """The row fields of an ES-003 header (unknown columns keep their own lower-case names)."""
    return [ES003.columns.get(column_key(c), c.strip().lower()) for c in cells]


def not_es003(cells: list[str]) -> str:
    """What an ES-003 header lacks."""
    keys = {column_key(c) for c in cells}
    missing = ", ".join(repr(n) for n in ES003.detect if column_key(n) not in keys)
    return f"not an ES-003 report: the header has no {missing} column"


def us_date(text: str) -> str:
    """A report date MM/DD/YYYY as YYYY-MM-DD; anything else unchanged (the line parser names it)."""
    m = _US_DATE.fullmatch(text.strip())
    return f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}" if m else text


def _amount(text: str) -> Decimal | None:
    """A row's duty (`$1,500.00`; empty is none) as Decimal, or None if it is not an amount."""
    try:
        return money(text) if text.strip() else Decimal(0)
    except ValueError:
        return None


def group(rows: Iterator[dict]) -> Iterator[dict]:
    """One record per entry line, in the order the lines first appear. A row that could not be read at all
    (no cells: a broken CSV record) is a record of its own, and the line it interrupts carries a problem."""
    seen: set[tuple[str, str]] = set()
    bucket: list[dict] = []
    extra = 0  # rows of the bucket's line past MAX_ROWS, not kept
    for row in rows:
        if PROBLEM in row and not _key(row)[0]:
            if bucket:
                bucket.append(_interrupted(row))
            yield row
            continue
        if bucket and _key(row) != _key(bucket[0]):
            yield _line(bucket, seen, extra)
            bucket, extra = [], 0
        if len(bucket) < MAX_ROWS:
            bucket.append(row)
        else:
            extra += 1
    if bucket:
        yield _line(bucket, seen, extra)


def _key(row: dict) -> tuple[str, str]:
    return str(row.get("entry_number") or "").strip(), str(row.get("line_number") or "").strip().lstrip("0")


def _interrupted(row: dict) -> dict:
    """A placeholder in a line's rows for a row that could not be read (its own record says why)."""
    return {PROBLEM: f"a row among this line's rows cannot be read (line {row.get(LINE)})", PROBLEM_COLUMN: "row"}


def _line(rows: list[dict], seen: set[tuple[str, str]], extra: int = 0) -> dict:
    key = _key(rows[0])
    first = {"entry_number": key[0], "line_number": str(rows[0].get("line_number") or "").strip()}
    if LINE in rows[0]:
        first[LINE] = rows[0][LINE]  # type: ignore[index]
    again = key in seen
    seen.add(key)
    if again:
        return _problem(
            first,
            f"the rows of entry {key[0]} line {first['line_number']} are not together "
            "(the report must list each line's rows one after another)",
            "line_number",
        )
    if extra:
        return _problem(first, f"has {len(rows) + extra:,} rows (at most {MAX_ROWS})", "row")
    broken = next((r for r in rows if PROBLEM in r), None)
    if broken is not None:
        return {**first, PROBLEM: broken[PROBLEM], PROBLEM_COLUMN: broken.get(PROBLEM_COLUMN, "row")}
    bad = next((r.get("ordinal") for r in rows if not _ORDINAL.fullmatch(str(r.get("ordinal") or "").strip())), None)
    if bad is not None:
        return _problem(first, f"Tariff Ordinal Number {bad!r} is not a number", "ordinal")
    rows = sorted(rows, key=lambda r: int(str(r["ordinal"]).strip()))
    chapter_99 = [r for r in rows if _digits(r).startswith("99")]
    goods = [r for r in rows if not _digits(r).startswith("99")]
    if len(goods) != 1:
        found = ", ".join(str(r.get("hts_number") or "") for r in goods) or "none"
        return _problem(first, f"needs exactly one HTS number outside Chapter 99 (found: {found})", "hts_code")
    return {**_record(goods[0], chapter_99, rows), **first}


def _digits(row: dict) -> str:
    return re.sub(r"[^0-9]", "", str(row.get("hts_number") or ""))


def _problem(first: dict, message: str, column: str) -> dict:
    return {**first, PROBLEM: message, PROBLEM_COLUMN: column}


def _record(goods: dict, chapter_99: list[dict], rows: list[dict]) -> dict:
    record = {k: v for k, v in goods.items() if k not in _ROW_ONLY}
    record["hts_code"] = goods.get("hts_number") or ""
    if NUMERIC in goods:  # a workbook's numeric cells: the code may have lost its leading zero
        record[NUMERIC] = tuple("hts_code" if c == "hts_number" else c for c in goods[NUMERIC])
    unit = str(goods.get("unit") or "").strip()
    if unit.upper() in ES003.no_unit:
        record["unit"] = record["quantity"] = ""
    for field in ES003.dates:
        if record.get(field):
            record[field] = us_date(str(record[field]))
    record["declared_headings"] = ";".join(str(r.get("hts_number") or "").strip() for r in chapter_99)
    amounts = [(str(r.get("hts_number") or "").strip(), str(r.get("duty") or "")) for r in rows]
    parsed = [_amount(text) for _, text in amounts]
    bad = next((text for (_, text), amount in zip(amounts, parsed, strict=True) if amount is None), None)
    if bad is not None:  # the line parser names the column and the text
        record["declared_duty"] = bad
    else:
        record["declared_duty"] = str(sum(parsed, Decimal(0)))  # type: ignore[arg-type]
        record["declared_heading_duty"] = ";".join(f"{h}={a}" for (h, _), a in zip(amounts, parsed, strict=True))
    return record
