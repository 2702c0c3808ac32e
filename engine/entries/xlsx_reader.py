"""XLSX entry files, read as Excel shows them: the first sheet (or a named one), row by row, read-only.

A cell is the text a person sees, from its value and its number format: a percent cell 0.025 is `2.5%`,
a date cell is a date (its time only if the format shows one), a number formatted `000000000` keeps its
leading zeros and one formatted `0.00` its two decimals (never fewer digits than the value has). Numbers
are read to at most 15 significant digits, as a spreadsheet shows them, so no binary float digits reach
money. The columns whose cells were numbers are noted on the record: a tariff code that lost its leading
zero is restored from the schedule's code lengths, or named in the line's problem."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from .records import InputFileError, check_width
from .table import Row, Shape, TableError


def xlsx_records(path: str, sheet: str | None, shape: Shape) -> Iterator[dict]:
    if path == "-":
        raise InputFileError("an XLSX input must be a file, not standard input")
    import openpyxl  # imported here: only XLSX input needs it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors all mean the same thing here
        raise InputFileError(f"{path}: not a readable XLSX workbook: {exc}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputFileError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # the sheet's <dimension> tag may understate (rows lost) or overstate (CPU burnt)
        yield from _sheet_records(ws.iter_rows(), path, shape)
    except InputFileError:
        raise
    except TableError as exc:
        raise InputFileError(f"{path}: {exc}") from exc
    except Exception as exc:  # a sheet whose XML is cut off or broken inside a valid zip
        raise InputFileError(f"{path}: the XLSX sheet cannot be read: {type(exc).__name__}: {exc}") from exc
    finally:
        book.close()


def _sheet_records(rows: Iterator[tuple], path: str, shape: Shape) -> Iterator[dict]:
    shown = (_row(cells, line) for line, cells in enumerate(rows, start=1))  # read-only sheets start at row 1
    filled = (row for row in shown if any(t.strip() for t in row.cells))
    first = next(filled, None)
    if first is None:
        raise InputFileError(f"{path}: empty sheet (a header row is required)")
    header = first.cells
    while header and not header[-1].strip():
        header.pop()
    check_width(header, path)
    yield from shape.records(header, _body(filled, len(header)))


def _body(rows: Iterator[Row], width: int) -> Iterator[Row]:
    for row in rows:
        last = max(n for n, t in enumerate(row.cells, start=1) if t.strip())
        if last > width:
            yield Row(row.cells, row.line, f"row has a value in column {last}, past the header's {width} columns")
        else:
            yield row


def _row(cells: tuple, line: int) -> Row:
    texts = [shown_text(getattr(c, "value", c), getattr(c, "number_format", None)) for c in cells]
    numeric = tuple(n for n, c in enumerate(cells) if _is_number(getattr(c, "value", c)))
    return Row(texts, line, None, numeric)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def shown_text(value: object, number_format: str | None) -> str:
    """A cell as Excel shows it, from its value and number format (see the module's docstring)."""
    fmt = _format(number_format or "General")
    if isinstance(value, dt.datetime) and not fmt.time and fmt.date:
        return value.date().isoformat()
    if not _is_number(value) or fmt.plain:
        return cell_text(value)
    number = Decimal(cell_text(value))
    if not number.is_finite():  # inf or nan: no format makes it a number a person reads
        return cell_text(value)
    if fmt.percent:
        return f"{number.scaleb(2):f}%"
    if fmt.decimals and -number.as_tuple().exponent < fmt.decimals:  # type: ignore[operator]
        with contextlib.suppress(InvalidOperation):  # more digits than a Decimal holds: the value as it is
            number = number.quantize(Decimal(1).scaleb(-fmt.decimals))
    text = f"{number:f}"
    return text.zfill(fmt.digits) if fmt.digits and number == number.to_integral_value() else text


class _Format:
    """What a number format shows: a percent, a date or time, a fixed count of decimals, leading zeros."""

    def __init__(self, text: str) -> None:
        body = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", text.split(";")[0])  # literal text, escapes, [colour]
        self.percent = "%" in body
        self.date = bool(re.search(r"[ymd]", body, re.IGNORECASE))
        self.time = bool(re.search(r"[hs]", body, re.IGNORECASE))
        decimals = re.search(r"\.(0+)", body)
        self.decimals = min(len(decimals[1]), 30) if decimals else 0
        zeros = re.fullmatch(r"0{2,}", body.strip())
        self.digits = min(len(zeros[0]), 30) if zeros else 0
        self.plain = not (self.percent or self.decimals or self.digits)


_format = functools.lru_cache(maxsize=256)(_Format)


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person sees: numbers to at most 15 significant digits (as a
    spreadsheet shows them, so that no binary float digits reach money), dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
