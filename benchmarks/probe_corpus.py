"""The hostile corpus of `benchmarks/probe.py`: small builders of files a careless user or an attacker hands
clearance (entry files in every format, HTSUS exports, rule packs, run databases). Each builder writes into
the probe's own folder and returns the path it made; nothing here runs clearance."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

HEADER = "entry_number,hts_code,origin,value,entry_date,mfn_rate"
GOOD = "E{n},8479.89.94,JP,1000,2025-06-01,2.5%"
RECORD = {
    "entry_number": "E1",
    "hts_code": "8479.89.94",
    "origin": "JP",
    "value": "1000",
    "entry_date": "2025-06-01",
    "mfn_rate": "2.5%",
}
JP_CAR = "JP,870323019,US,3000000,3000,no,2026-03-01,JP-PHP,vehicle_type={kind}"
ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "rules"
HTS = ROOT.parent / "shared" / "data" / "hts" / "hts_2026_basic_edition_csv.csv"
ESC = "\x1b]0;pwned\x07\x1b[2J"


def lines_csv(where: Path, name: str, rows: list[str], header: str = HEADER) -> Path:
    path = where / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def good_csv(where: Path, n: int, name: str = "e.csv") -> Path:
    return lines_csv(where, name, [GOOD.format(n=i) for i in range(n)])


def jsonl(where: Path, name: str, records: list[object]) -> Path:
    path = where / name
    path.write_text("\n".join(json.dumps(r) if not isinstance(r, str) else r for r in records) + "\n")
    return path


def xlsx(where: Path, rows: list[list[object]], dimension: str | None, name: str = "e.xlsx") -> Path:
    """A workbook written by openpyxl whose sheet then claims `dimension` (openpyxl's read-only mode trusts it)."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    plain = where / ("plain-" + name)
    book.save(plain)
    path = where / name
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml" and dimension is not None:
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), data)
            out.writestr(item, data)
    return path


def xlsx_far_row(where: Path, far_row: int) -> Path:
    rows = [["hts_code", "origin", "value", "entry_date"], ["8479.89.94", "JP", 1000, "2025-06-01"]]
    path = xlsx(where, rows, "A1:XFD1048576")
    data_name = "xl/worksheets/sheet1.xml"
    tmp = where / "far.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == data_name:
                cell = f'<row r="{far_row}"><c r="XFD{far_row}" t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", cell.encode() + b"</sheetData>")
            out.writestr(item, data)
    return tmp


def hts_cut(where: Path, lines: int = 13_000) -> Path:
    """The 2026 export cut inside a quoted field, after `lines` lines."""
    data = HTS.read_bytes()
    at = 0
    for _ in range(lines):
        at = data.index(b"\n", at) + 1
    path = where / "hts-cut.csv"
    path.write_bytes(data[: at + data[at:].index(b'","') + 5])  # inside the second field of the next row
    return path


def hts_rows(where: Path, rows: list[list[str]], name: str = "hts.csv") -> Path:
    """The first lines of the 2026 export, then `rows` (written as CSV, so any character reaches a cell)."""
    head = HTS.read_text(encoding="utf-8-sig").splitlines()[:40]
    body = io.StringIO()
    csv.writer(body, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    path = where / name
    path.write_text("\n".join(head) + "\n" + body.getvalue(), encoding="utf-8")
    return path


def retitle(pack: Path, measure_id: str, prefix: str) -> None:
    """Put `prefix` (e.g. terminal escapes) before the title of one measure of a pack."""
    import yaml

    for path in sorted(pack.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for m in data.get("measures", []) if isinstance(data, dict) else []:
            if isinstance(m, dict) and m.get("id") == measure_id:
                m["title"] = prefix + str(m.get("title", ""))
                path.write_text(yaml.safe_dump(data), encoding="utf-8")
                return


def pack_copy(where: Path, name: str = "us") -> Path:
    target = where / "rules" / name
    shutil.copytree(BUNDLED / name, target)
    return where / "rules"


def tiny_pack(where: Path, measures: list[dict], lists: dict[str, str] | None = None) -> Path:
    root = where / "tiny"
    (root / "lists").mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(
        "id: t\ntitle: t\njurisdiction: US\ncurrency: USD\nminor_unit: 2\n", encoding="utf-8"
    )
    (root / "m.yaml").write_text(
        json.dumps({"instrument": "T", "citations": ["T"], "measures": measures}), encoding="utf-8"
    )
    for name, text in (lists or {}).items():
        (root / "lists" / name).write_text(text, encoding="utf-8")
    return root


def duty(n: int, **extra: object) -> dict:
    return {
        "id": f"t.m{n}",
        "title": f"m{n}",
        "kind": "duty",
        "heading": "9903.01.25",
        "rate": "1%",
        "scope": {"origins": ["JP"], "codes": {"prefixes": ["8479"]}},
        "dates": {"from": "2025-01-01"},
        **extra,
    }


def stacked_pack(where: Path, n: int) -> Path:
    """`n` duty measures that all match one line, each excluding the next (a chain to settle)."""
    measures = [
        duty(
            i,
            stacking={"group": f"g{i}", "excludes": [{"target": f"t.m{i + 1}", "when": "applies"}]}
            if i + 1 < n
            else {"group": f"g{i}"},
        )
        for i in range(n)
    ]
    return tiny_pack(where, measures)


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def foreign_db(where: Path, tables: str) -> Path:
    """A database stamped with the run store's schema version that holds other tables."""
    path = where / "foreign.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE clearance_meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO clearance_meta VALUES ('schema_version', '1')")
        if tables == "foreign":
            db.execute("CREATE TABLE runs (x TEXT)")
            db.execute("CREATE TABLE results (y TEXT)")
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path
