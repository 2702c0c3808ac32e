"""Older run databases upgraded in place, each step inside the caller's write transaction (all or nothing).

- schema 2 -> 3: the `invalid` verdict's count (0 in the runs before it: their unreadable lines were rejects).
- schema 3 -> 4: one wide row per line (`results`, lists as JSON, decimals as text) and a `duties` table become the
  normalised store (store_schema.py). Each stored row is read back as the `Result` it was made from and written as
  a result batch, so that `runs export` gives the very records it gave before (tests/run/test_migrate.py). The
  `runs` table is kept as it is (its columns did not change); `run_files` gets integer ids. The file keeps its
  size until it is vacuumed (`sqlite3 FILE VACUUM`).
- schema 4 -> 5: `run_charges`, each run's charge lines summed (store_sums.py), filled from the stored lines.
- schema 5 -> 6: `line_reasons` rows hold a shared template (a `reasons` row whose numbers are holes) and the
  line's numbers instead of their whole text (store_lines.numbers_apart); a `line_duties` basis the same as the
  line's first charge line's is NULL; the same records come back."""

from __future__ import annotations

import json
from itertools import islice

import sqlite_utils
from pydantic import TypeAdapter

from ..report.adapter import from_results
from ..report.result import Result
from ..report.result_batch import Text
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


def from_5(db: sqlite_utils.Database) -> None:
    conn = db.conn
    if "reason_id" in {c.name for c in db["line_reasons"].columns}:  # made as today's by a schema-3 upgrade
        _stamp(db, "6")
        return
    for view in ("results", "line_reasons_all", "duty_lines"):  # they name the tables remade: made again below
        conn.execute(f"DROP VIEW IF EXISTS [{view}]")
    conn.execute("ALTER TABLE line_reasons RENAME TO line_reasons_4")
    store_schema.create_child(db, "line_reasons")
    shared = SharedRows(conn)
    rows = conn.execute(
        "SELECT o.line_id, o.position, o.after, o.severity, o.rule, o.message, coalesce(c.text, '') "
        "FROM line_reasons_4 o LEFT JOIN citations c ON c.id = o.citation_id ORDER BY o.line_id, o.position"
    )
    while chunk := rows.fetchmany(BATCH):
        conn.executemany(
            "INSERT INTO line_reasons VALUES (?, ?, ?, ?, ?)",
            [(line, position, after, *shared.line_reason(Text(*text))) for line, position, after, *text in chunk],
        )
    conn.execute("DROP TABLE line_reasons_4")
    conn.execute("ALTER TABLE line_duties RENAME TO line_duties_4")
    store_schema.create_child(db, "line_duties")
    conn.execute(
        "INSERT INTO line_duties SELECT d.line_id, d.position, d.component_id, CASE WHEN d.position > 0 AND "
        "d.basis_value = (SELECT f.basis_value FROM line_duties_4 f WHERE f.line_id = d.line_id AND f.position = 0) "
        "THEN NULL ELSE d.basis_value END, d.amount FROM line_duties_4 d"
    )
    conn.execute("DROP TABLE line_duties_4")
    store_schema.create_views(db)
    _stamp(db, "6")


def decode(row: dict) -> Result:
    """A schema-3 `results` row as the `Result` it was made from."""
    data = {c: v for c, v in row.items() if c not in ("id", "run_id", "file", *JSON_COLUMNS)}
    data.update({c: _LOAD[c](row[c]) for c in JSON_COLUMNS})
    return Result.model_validate(data)


def _stamp(db: sqlite_utils.Database, version: str) -> None:
    db.execute("UPDATE clearance_meta SET value = ? WHERE key = 'schema_version'", [version])
