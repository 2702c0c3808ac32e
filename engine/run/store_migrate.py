"""Older run databases upgraded in place, each step inside the caller's write transaction (all or nothing).

- schema 2 -> 3: the `invalid` verdict's count (0 in the runs before it: their unreadable lines were rejects).
- schema 3 -> 4: one wide row per line (`results`, lists as JSON, decimals as text) and a `duties` table become the
  normalised store (store_schema.py). Each stored row is read back as the `Result` it was made from and written as
  a result batch, so that `runs export` gives the very records it gave before (tests/run/test_migrate.py). The
  `runs` table is kept as it is (its columns did not change); `run_files` gets integer ids. The file keeps its
  size until it is vacuumed (`sqlite3 FILE VACUUM`).
- schema 4 -> 5: `run_charges`, each run's charge lines summed (store_sums.py), filled from the stored lines."""

from __future__ import annotations

import json
from itertools import islice

import sqlite_utils
from pydantic import TypeAdapter

from ..report.adapter import from_results
from ..report.result import Result
from . import store_schema
from .store_lines import SharedRows, write_lines
from .store_sums import RUN_CHARGES, fill_charges

# schema 3's `results` columns that hold JSON
JSON_COLUMNS = ("duties", "taxes", "fees", "reasons", "excluded", "quota", "extra")
_LOAD = {c: TypeAdapter(Result.model_fields[c].annotation).validate_json for c in JSON_COLUMNS}
BATCH = 1000  # lines per batch written


def from_2(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE runs ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0")
    _stamp(db, "3")


def from_3(db: sqlite_utils.Database) -> None:
    conn = db.conn
    for table in ("run_files", "results", "duties"):
        conn.execute(f"ALTER TABLE [{table}] RENAME TO [{table}_3]")
    store_schema.create_lines(db)
    shared = SharedRows(conn)
    files = "SELECT run_id, position, path, sha256, bytes, lines FROM run_files_3 ORDER BY run_id, position"
    for run_id, position, path, sha256, size, lines in conn.execute(files).fetchall():
        cursor = conn.execute(
            "INSERT INTO run_files (run_id, position, path, sha256, bytes, lines) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, position, path, sha256, size, lines),
        )
        units = json.loads(conn.execute("SELECT minor_units FROM runs WHERE id = ?", [run_id]).fetchone()[0] or "{}")
        rows = db.query("SELECT * FROM results_3 WHERE run_id = ? AND file = ? ORDER BY row", [run_id, position])
        while chunk := [decode(row) for row in islice(rows, BATCH)]:
            write_lines(conn, shared, run_id, int(cursor.lastrowid), from_results(chunk, position, path, units))  # type: ignore[arg-type]
    for table in ("duties_3", "results_3", "run_files_3"):
        conn.execute(f"DROP TABLE [{table}]")
    _stamp(db, "4")


def from_4(db: sqlite_utils.Database) -> None:
    db.execute("DROP TABLE IF EXISTS run_charges")  # made by a schema-3 upgrade just before: filled again here
    db.execute(RUN_CHARGES)
    fill_charges(db.conn)
    _stamp(db, "5")


def decode(row: dict) -> Result:
    """A schema-3 `results` row as the `Result` it was made from."""
    data = {c: v for c, v in row.items() if c not in ("id", "run_id", "file", *JSON_COLUMNS)}
    data.update({c: _LOAD[c](row[c]) for c in JSON_COLUMNS})
    return Result.model_validate(data)


def _stamp(db: sqlite_utils.Database, version: str) -> None:
    db.execute("UPDATE clearance_meta SET value = ? WHERE key = 'schema_version'", [version])
