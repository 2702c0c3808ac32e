"""A run database as clearance wrote it at schema 3 (one wide `results` row per line, lists as JSON, decimals as
text; a `duties` table), frozen here so that the upgrade to the normalised store can be tested. Not used by the
package: this is a fixture of an old file format."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from clearance.engine.report.result import Result

TABLES = """
CREATE TABLE [clearance_meta] ([key] TEXT PRIMARY KEY, [value] TEXT);
INSERT INTO clearance_meta VALUES ('schema_version', '3');
CREATE TABLE [runs] ([id] INTEGER PRIMARY KEY, [started] TEXT, [finished] TEXT, [status] TEXT, [pid] INTEGER,
  [version] TEXT, [law_as_of] TEXT, [destination] TEXT, [rules] TEXT, [rule_packs] TEXT, [rules_hash] TEXT,
  [options] TEXT, [minor_units] TEXT, [lines] INTEGER, [accept] INTEGER, [review] INTEGER, [reject] INTEGER,
  [invalid] INTEGER, [duty] TEXT, [taxes] TEXT, [fees] TEXT);
CREATE TABLE [run_files] ([run_id] INTEGER REFERENCES [runs]([id]), [position] INTEGER, [path] TEXT, [sha256] TEXT,
  [bytes] INTEGER, [lines] INTEGER, PRIMARY KEY ([run_id], [position]));
CREATE TABLE [results] ([id] INTEGER PRIMARY KEY, [run_id] INTEGER REFERENCES [runs]([id]), [file] INTEGER,
  [row] INTEGER, [entry_number] TEXT, [line_number] TEXT, [destination] TEXT, [hts_code] TEXT, [origin] TEXT,
  [entry_date] TEXT, [verdict] TEXT, [total_duty] TEXT, [total_taxes] TEXT, [total_fees] TEXT, [currency] TEXT,
  [duties] TEXT, [taxes] TEXT, [fees] TEXT, [reasons] TEXT, [excluded] TEXT, [quota] TEXT, [extra] TEXT);
CREATE UNIQUE INDEX [results_line] ON [results] ([run_id], [file], [row]);
CREATE INDEX [results_verdict] ON [results] ([run_id], [verdict]);
CREATE INDEX [results_entry] ON [results] ([entry_number]);
CREATE TABLE [duties] ([run_id] INTEGER REFERENCES [runs]([id]), [file] INTEGER, [row] INTEGER, [charge] TEXT,
  [measure] TEXT, [heading] TEXT, [amount] TEXT, [amount_minor] INTEGER, [currency] TEXT);
CREATE INDEX [duties_measure] ON [duties] ([run_id], [measure], [heading]);
"""
SCALARS = ("entry_number", "line_number", "destination", "hts_code", "origin", "entry_date", "verdict")
TOTALS = ("total_duty", "total_taxes", "total_fees")
LISTS = ("duties", "taxes", "fees", "reasons", "excluded", "quota", "extra")


def write_schema3(path: Path, runs: list[tuple[str | None, list[list[Result]]]], units: dict[str, int]) -> None:
    """A schema-3 database holding `runs`: each its `finished` time (None: unfinished) and its files' results."""
    con = sqlite3.connect(path)
    con.executescript(TABLES)
    for run_id, (finished, files) in enumerate(runs, start=1):
        results = [r for f in files for r in f]
        status = "interrupted" if finished is None else "finished"
        counts = [sum(r.verdict == v for r in results) for v in ("accept", "review", "reject", "invalid")]
        con.execute(
            "INSERT INTO runs VALUES (?, '2026-12-01T10:00:00+00:00', ?, ?, 1, '0.3', '2026-11-25', NULL, 'bundled', "
            "'[]', 'h', '{}', ?, ?, ?, ?, ?, ?, '{}', '{}', '{}')",
            [run_id, finished, status, json.dumps(units), len(results), *counts],
        )
        for position, lines in enumerate(files):
            path_of = lines[0].file if lines else None
            con.execute("INSERT INTO run_files VALUES (?, ?, ?, 'sha', 10, ?)", [run_id, position, path_of, len(lines)])
            for r in lines:
                record = json.loads(r.model_dump_json())
                con.execute(
                    f"INSERT INTO results VALUES (NULL, ?, ?, ?, {', '.join('?' * 18)})",
                    [
                        run_id,
                        position,
                        r.row,
                        *(record[c] for c in SCALARS),
                        *(record[c] for c in TOTALS),
                        r.currency,
                        *(json.dumps(record[c], ensure_ascii=False) for c in LISTS),
                    ],
                )
    con.commit()
    con.close()
