"""XLSX entry files: the first sheet (or a named one), row by row, read-only, cells as a person sees them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .records import LINE, PROBLEM, InputFileError, bounded, header_names, merge_repeats, repeated


def xlsx_records(path: str, sheet: str | None) -> Iterator[dict]:
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
        yield from _sheet_records(ws.iter_rows(values_only=True), path)
    except InputFileError:
        raise
    except Exception as exc:  # a sheet whose XML is cut off or broken inside a valid zip
        raise InputFileError(f"{path}: the XLSX sheet cannot be read: {type(exc).__name__}: {exc}") from exc
    finally:
        book.close()


def _sheet_records(rows: Iterator[tuple], path: str) -> Iterator[dict]:
    names: list[str] | None = None
    repeats: dict[str, list[int]] = {}
    for line, cells in enumerate(rows, start=1):  # read-only sheets yield every row from the first
        texts = [cell_text(c) for c in cells]
        if not any(t.strip() for t in texts):
            continue
        if names is None:
            names = header_names(texts, path)
            while names and not names[-1]:
                names.pop()
            repeats = repeated(names)
            continue
        record = dict(zip(names, texts, strict=False))
        record[LINE] = line
        if repeats:
            merge_repeats(record, texts, repeats)
        last = max(n for n, t in enumerate(texts, start=1) if t.strip())
        if last > len(names):
            record[PROBLEM] = f"row has a value in column {last}, past the header's {len(names)} columns"
        yield bounded(record)
    if names is None:
        raise InputFileError(f"{path}: empty sheet (a header row is required)")


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: numbers to at most 15 significant digits (as a
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
