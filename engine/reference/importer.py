"""Import an official USITC export of the HTSUS (CSV) into the SQLite store, as one named edition.

The export has one row per line of the schedule: `HTS Number` (dotted, blank on text-only header rows),
`Indent` (the depth in the hierarchy), `Description`, `Unit of Quantity` (a JSON list such as ["No.","kg"]),
the three rate columns `General Rate of Duty`, `Special Rate of Duty`, `Column 2 Rate of Duty`, `Quota Quantity`
and `Additional Duties`. Rows are stored as they are, in file order (`pos`), with their parent row (the nearest
earlier row of smaller indent) and the nearest coded ancestor (`parent_code`). Rates are not copied down:
`HtsReference.lookup` resolves inheritance (see engine/reference/edition.py).

Tables: `hts_editions` (name, effective, source, sha256, lines, imported_at) and `hts_lines` (edition, pos, code,
indent, description, units, general, special, column2, quota, additional, parent, parent_code), indexed by
(edition, code). An import is one transaction: the edition is replaced whole or not at all."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

COLUMNS = {
    "HTS Number": "code",
    "Indent": "indent",
    "Description": "description",
    "Unit of Quantity": "units",
    "General Rate of Duty": "general",
    "Special Rate of Duty": "special",
    "Column 2 Rate of Duty": "column2",
    "Quota Quantity": "quota",
    "Additional Duties": "additional",
}
_CODE = re.compile(r"^\d{4}(\.\d{2}){0,3}$")
_EDITION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class HtsError(Exception):
    """The HTS store or an export cannot be used. The message is one line."""


@dataclass(frozen=True)
class ImportReport:
    edition: str
    effective: dt.date
    lines: int
    sha256: str
    seconds: float


MAX_UNIT = 64  # characters of one unit of quantity ("No.", "kg", "doz. pr.")


def units_of(text: str) -> list[str]:
    """`["No.","kg"]` -> ["No.", "kg"]; blanks and stray newlines dropped; plain text kept as one unit.
    Anything else (nested lists, numbers, a unit too long to be one) is an `HtsError`."""
    text = text.strip()
    if not text:
        return []
    try:
        items = json.loads(text, parse_int=str, parse_float=str) if text.startswith("[") else [text]
    except (json.JSONDecodeError, RecursionError):
        items = [text]
    if not isinstance(items, list) or not all(isinstance(u, str) and len(u) <= MAX_UNIT for u in items):
        raise HtsError(f"unit of quantity {text[:40]!r} is not a list of units")
    return [" ".join(u.split()) for u in items if u.strip()]


def read_export(data: bytes, source: str) -> list[dict]:
    """The rows of one export, ready to store (without the edition). Raises HtsError naming the row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HtsError(f"{source}: not UTF-8 text: {exc}") from exc
    if text and not text.endswith("\n"):
        raise HtsError(f"{source}: the export does not end with a line break: it is cut short")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[dict] = []
    stack: list[tuple[int, int]] = []  # (indent, pos) of the open ancestors
    try:
        header = next(reader, [])
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise HtsError(f"{source}: not an HTSUS export: missing column(s) {', '.join(missing)}")
        for pos, cells in enumerate(reader):
            if len(cells) != len(header):
                raise HtsError(f"{source}: row {pos + 2} has {len(cells)} fields, the header has {len(header)}")
            rows.append(_row(dict(zip(header, cells, strict=True)), pos, stack, rows, source))
    except csv.Error as exc:  # an unclosed quote: the file was cut inside a field
        raise HtsError(f"{source}: line {reader.line_num}: {exc}: the export is cut short or malformed") from None
    if not rows:
        raise HtsError(f"{source}: the export has no rows")
    return rows


def _row(raw: dict, pos: int, stack: list[tuple[int, int]], rows: list[dict], source: str) -> dict:
    where = f"{source}: row {pos + 2}"  # the header is line 1
    vals = {key: (raw.get(col) or "").strip() for col, key in COLUMNS.items()}
    code = vals["code"]
    if code and not _CODE.match(code):
        raise HtsError(f"{where}: {code!r} is not an HTS number")
    if not vals["indent"].isascii() or not vals["indent"].isdigit() or len(vals["indent"]) > 3:
        raise HtsError(f"{where}: indent {vals['indent']!r} is not a number")
    indent = int(vals["indent"])
    try:
        units = units_of(vals["units"])
    except HtsError as exc:
        raise HtsError(f"{where}: {exc}") from None
    while stack and stack[-1][0] >= indent:
        stack.pop()
    parent = stack[-1][1] if stack else None
    stack.append((indent, pos))
    parent_code = None
    if parent is not None:
        parent_code = rows[parent]["code"] or rows[parent]["parent_code"]
    return {
        **vals,
        "pos": pos,
        "code": code.replace(".", ""),
        "indent": indent,
        "units": json.dumps(units, ensure_ascii=False),
        "parent": parent,
        "parent_code": parent_code,
    }


def ensure_schema(db: sqlite_utils.Database) -> None:
    if "hts_editions" not in db.table_names():
        db["hts_editions"].create(
            {"name": str, "effective": str, "source": str, "sha256": str, "lines": int, "imported_at": str},
            pk="name",
        )
    if "hts_lines" not in db.table_names():
        db["hts_lines"].create(
            {
                "edition": str,
                "pos": int,
                "code": str,
                "indent": int,
                "description": str,
                "units": str,
                "general": str,
                "special": str,
                "column2": str,
                "quota": str,
                "additional": str,
                "parent": int,
                "parent_code": str,
            },
            pk=("edition", "pos"),
        )
        db["hts_lines"].create_index(["edition", "code"])


def import_edition(db_path: str | Path, csv_path: str | Path, edition: str, effective: dt.date) -> ImportReport:
    """Load one export as `edition`, in force from `effective` (on the entry date) until the next edition.
    Re-importing a name replaces that edition; two editions may not share an effective date."""
    started = time.perf_counter()
    if not _EDITION.match(edition):
        raise HtsError(f"edition name {edition!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    path = Path(csv_path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HtsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    rows = read_export(data, str(path))
    sha = hashlib.sha256(data).hexdigest()
    db = _open(db_path)
    try:
        _store(db, rows, edition, effective, path.name, sha)
    except sqlite3.DatabaseError as exc:
        raise HtsError(f"{db_path}: {exc}") from exc
    finally:
        db.close()
    return ImportReport(edition, effective, len(rows), sha, time.perf_counter() - started)


def _store(
    db: sqlite_utils.Database, rows: list[dict], edition: str, effective: dt.date, source: str, sha: str
) -> None:
    """One transaction: the edition is replaced whole or not at all."""
    with db.atomic():
        ensure_schema(db)
        _check_effective(db, edition, effective)
        db["hts_lines"].delete_where("edition = ?", [edition])
        db["hts_editions"].delete_where("name = ?", [edition])
        db["hts_lines"].insert_all(({**r, "edition": edition} for r in rows), batch_size=2000)
        db["hts_editions"].insert(
            {
                "name": edition,
                "effective": effective.isoformat(),
                "source": source,
                "sha256": sha,
                "lines": len(rows),
                "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )


def _check_effective(db: sqlite_utils.Database, edition: str, effective: dt.date) -> None:
    clash = list(
        db.query("SELECT name FROM hts_editions WHERE effective = ? AND name != ?", [effective.isoformat(), edition])
    )
    if clash:
        raise HtsError(f"edition {clash[0]['name']!r} is already in force from {effective}: choose another date")


def _open(db_path: str | Path) -> sqlite_utils.Database:
    try:
        return sqlite_utils.Database(str(db_path))
    except Exception as exc:  # sqlite3 errors on a bad path or a non-database file
        raise HtsError(f"{db_path}: cannot open the database: {exc}") from exc
