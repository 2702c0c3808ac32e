"""The fuzz targets of `fuzz/fuzz_clearance.py`: each takes bytes and raises only on a finding."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from clearance.engine import BUNDLED_RULES, Checker, PackError, load_pack, load_rules
from clearance.engine.duty.expression import (
    DutyExpressionError,
    QuantityError,
    parse_duty_expression,
    plain_amount,
    round_money,
)
from clearance.engine.entries.line import COLUMNS, Line, parse_line
from clearance.engine.entries.readers import InputFileError, read_records
from clearance.engine.reference.importer import HtsError, read_export

LAW = dt.date(2026, 11, 25)
WORK = Path(tempfile.mkdtemp(prefix="clearance-fuzz-"))
KINDS = ("csv", "tsv", "json", "jsonl", "xlsx")  # XLSX: the bytes as a workbook (a zip), or as its sheet's XML
_checker: Checker | None = None


def checker() -> Checker:
    global _checker
    if _checker is None:
        _checker = Checker(load_rules(BUNDLED_RULES), LAW)
    return _checker


def one_result_each(records: list[dict]) -> None:
    results = list(checker().check(records))
    if [r.row for r in results] != list(range(1, len(records) + 1)):
        raise AssertionError(f"{len(records)} records gave rows {[r.row for r in results]}")
    for r in results:
        inputs = [x.rule for x in r.reasons if x.rule.startswith("input.")]
        if inputs and r.verdict != "reject":
            raise AssertionError(f"input problems {inputs} but verdict {r.verdict}")
        if any(x[6:] not in (*COLUMNS, "row") for x in inputs):
            raise AssertionError(f"a reject reason names no column: {inputs}")


def target_readers(data: bytes) -> None:
    kind = KINDS[data[0] % len(KINDS)] if data else "csv"
    path = WORK / f"entries.{kind}"
    body = data[1:]
    path.write_bytes(workbook(body) if kind == "xlsx" and body.lstrip().startswith(b"<") else body)
    try:
        records = list(read_records(path))
    except InputFileError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a multi-line error: {exc!r}") from exc
        return
    one_result_each(records)


def workbook(sheet_xml: bytes) -> bytes:
    """A minimal XLSX whose first sheet is `sheet_xml` (so that mutations reach the sheet parser, not the zip)."""
    import io
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["hts_code", "origin", "value", "entry_date"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename))
    return out.getvalue()


def target_hts(data: bytes) -> None:
    """The bytes as an HTSUS export: `read_export` returns rows, or raises a one-line `HtsError`."""
    try:
        read_export(data, "export.csv")
    except HtsError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a multi-line error: {exc!r}") from exc


def target_line(data: bytes) -> None:
    values = data.decode("utf-8", "replace").split("\x1f")
    one_result_each([dict(zip(COLUMNS, values, strict=False))])


BIGGEST = Decimal("999999999999999.999999")  # the largest value and quantity a line may declare
LINE = {"hts_code": "8479.89.94", "origin": "JP", "entry_date": "2025-06-01", "unit": "kg"}


def target_rate(data: bytes) -> None:
    """A rate a line may declare (`mfn_rate`, as the line parser accepts it) computes on the largest value
    and quantity a line may declare; a pack rate (`mfn`, `all-in`) parses or is a DutyExpressionError."""
    text = data.decode("utf-8", "replace")
    with contextlib.suppress(DutyExpressionError):
        parse_duty_expression(text, allow_special=True)
    line = parse_line(1, {**LINE, "mfn_rate": text, "value": str(BIGGEST), "quantity": str(BIGGEST)})
    if isinstance(line, Line) and line.mfn is not None:
        with contextlib.suppress(QuantityError):
            round_money(plain_amount(line.mfn, line.value, line.quantity, "kg", "USD"), 2)


HEADER = "id: t\ntitle: t\njurisdiction: US\ncurrency: USD\nminor_unit: 2\n"


def target_yaml(data: bytes) -> None:
    root = WORK / "pack"
    root.mkdir(exist_ok=True)
    (root / "pack.yaml").write_text(HEADER)
    (root / "m.yaml").write_bytes(data)
    try:
        load_pack(root)
    except PackError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a multi-line error: {exc!r}") from exc


TARGETS: dict[str, Callable[[bytes], None]] = {
    "readers": target_readers,
    "line": target_line,
    "rate": target_rate,
    "yaml": target_yaml,
    "hts": target_hts,
}
SEEDS: dict[str, list[bytes]] = {
    "readers": [
        b"\x00hts_code,origin,value,entry_date\n8479.89.94,JP,1000,2025-06-01\n",
        b'\x02[{"hts_code": "8479899400", "origin": "JP", "value": "1000", "entry_date": "2025-06-01"}]',
        b'\x03{"hts_code": "870323019", "destination": "JP", "origin": "US", "value": 1e3}\n[1]\n',
        b'\x04<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>hts_code</t></is></c></row></sheetData></worksheet>',
    ],
    "hts": [
        b"HTS Number,Indent,Description,Unit of Quantity,General Rate of Duty,Special Rate of Duty,"
        b'Column 2 Rate of Duty,Quota Quantity,Additional Duties\n"8479","0","Machines:","","","","","",""\n'
        b'"8479.89.94","1","Other","[""No.""]","2.5%","Free (A,AU)","35%","",""\n',
    ],
    "line": [
        "\x1f".join(["E1", "1", "US", "8479.89.94", "JP", "1000", "USD", "10", "kg", "2025-06-01"]).encode(),
        "\x1f".join(["E1", "1", "JP", "870323019", "US", "3000000", "", "1", "no", "2026-03-01"]).encode(),
    ],
    "rate": [b"Free", b"2.5%", b"$0.50/kg", "4.4¢/kg".encode(), b"$1.035/kg + 4.8%", b"33 1/3%", b"all-in 15%"],
    "yaml": [
        b"instrument: T\ncitations: [T]\nmeasures:\n  - {id: t.m, title: m, kind: duty, rate: 10%, "
        b"dates: {from: 2025-01-01}}\n",
    ],
}


def mutate(rng: random.Random, data: bytes) -> bytes:
    """A byte-level mutation (insert, delete, replace, duplicate a slice) for the plain mode."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(4)
        at = rng.randrange(len(out) + 1)
        if op == 0:
            out[at:at] = bytes([rng.randrange(256)]) * rng.choice((1, 1, 2, 64))
        elif op == 1 and out:
            del out[at : at + rng.randint(1, 4)]
        elif op == 2 and out:
            out[min(at, len(out) - 1)] = rng.choice(b'"\n\r,;:[]{}%$./+-0123456789\x00\xff')
        elif out:
            start = rng.randrange(len(out))
            out[at:at] = out[start : start + rng.randint(1, 32)]
    return bytes(out)
