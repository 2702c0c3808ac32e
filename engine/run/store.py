"""The run store: every run of `clearance check` and every line's result, in SQLite (schema and views made with
sqlite-utils; see run/store_schema.py for the tables, run/store_lines.py for how lines go in and come out).

Lines are written one batch per transaction, together with the file's progress and the run's totals, in WAL mode:
a run that is killed leaves every committed batch and matching totals, and `finished` NULL. A database of an older
schema is upgraded in place, in one transaction (run/store_migrate.py); a newer or unknown one is refused with a
one-line error."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import sqlite_utils
from sqlite_utils import Database as _Database  # bound now: tests replace sqlite_utils.Database

from ..packs.programme import STATUSES
from ..report.adapter import to_results
from ..report.result import VERDICTS, QuotaClaim, Result
from ..report.result_batch import ResultBatch, money
from ..report.summary import SUMS, Summary
from . import store_migrate, store_schema
from .inputs import InputFile, same_input, schema_problem
from .store_lines import SharedCache, SharedRows, read_lines, read_picked, write_lines
from .store_sums import by_measure

__all__ = ["InputFile", "Store", "StoreError"]

SCHEMA_VERSION = store_schema.SCHEMA_VERSION
UPGRADES: dict[str, Callable[[_Database], None]] = {
    "2": store_migrate.from_2,  # the `invalid` verdict's count
    "3": store_migrate.from_3,  # one JSON row per line -> the normalised store
    "4": store_migrate.from_4,  # each run's charge sums (run_charges)
    "5": store_migrate.from_5,  # line reasons as shared templates and the line's numbers
}


class StoreError(Exception):
    """The run database cannot be used. The message is one line."""


def totals_json(totals: Summary) -> list[str]:
    """The duty, taxes and fees per currency, as the `runs` columns hold them (decimal strings)."""
    return [json.dumps({c: str(v) for c, v in sorted(getattr(totals, k).items())}) for k in SUMS]


class Store:
    """One SQLite run database (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self._refuse(self._version())  # before anything in the file is changed
            self.db.execute("PRAGMA foreign_keys = ON")
            self._wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._schema()
        except StoreError:
            raise
        except Exception as exc:  # sqlite3.DatabaseError and OS errors: not a usable database
            raise StoreError(f"{self.path}: cannot use as a run database: {exc}") from exc
        self.shared = SharedRows(self.db.conn)
        self._file_ids: dict[tuple[int, int], int] = {}

    def close(self) -> None:
        self.db.close()

    def _wal(self, attempts: int = 200) -> None:
        """Switch to WAL. On a new file, runs starting together race for the lock this needs, and SQLite does
        not wait on its busy timeout for it: retry for up to about ten seconds."""
        for attempt in range(attempts):
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == attempts - 1:
                    raise
                time.sleep(0.05)

    def _schema(self) -> None:
        """Check the schema version, or create the whole schema in one write transaction: runs starting
        together on a new file, or a crash half-way, never leave half a schema behind."""
        if self._version() is None:
            self._at_version(None, lambda: store_schema.create(self.db))
        while (version := self._version()) in UPGRADES:
            self._at_version(version, functools.partial(UPGRADES[version], self.db))
        version = self._version()
        self._refuse(version)
        if problem := schema_problem(self.db.conn, lambda conn: store_schema.create(_Database(conn))):
            raise StoreError(f"{self.path}: stamped schema {version} but {problem}: not a clearance run database")

    def _refuse(self, version: str | None) -> None:
        """A schema this clearance can neither read nor upgrade (older than 2, or newer) is a one-line error."""
        if version is not None and version != str(SCHEMA_VERSION) and version not in UPGRADES:
            raise StoreError(
                f"{self.path}: run database schema {version}, this clearance reads and writes schema {SCHEMA_VERSION}: "
                "open it with the clearance that wrote it, or give another --db"
            )

    def _at_version(self, version: str | None, change: Callable[[], None]) -> None:
        """Make a schema change in one write transaction, if the schema is still at `version` once this
        run holds the lock (another run may have made it while this one waited)."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._version() == version:
                change()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    def _version(self) -> str | None:
        if not self.db["clearance_meta"].exists():
            return None
        row = self.db.execute("SELECT value FROM clearance_meta WHERE key = 'schema_version'").fetchone()
        return row[0] if row else "missing"

    # --- writing a run --------------------------------------------------------------------------------

    def begin_run(self, meta: dict, files: Sequence[InputFile], minor_units: dict[str, int]) -> int:
        """Record a new, unfinished run and its input files; returns the run id."""
        record = dict(
            meta,
            started=_now(),
            status="running",
            pid=os.getpid(),
            minor_units=json.dumps(minor_units, sort_keys=True),
            lines=0,
            **dict.fromkeys(SUMS, "{}"),
            **dict.fromkeys(VERDICTS, 0),
        )
        with self.writing():
            run_id = self.db["runs"].insert(record).last_pk
            self.db["run_files"].insert_all(
                {"run_id": run_id, "position": n, "path": f.path, "sha256": f.sha256, "bytes": f.size, "lines": 0}
                for n, f in enumerate(files)
            )
        return int(run_id)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a database that cannot be written (full disk, read-only, locked too
        long) is a one-line `StoreError`, and nothing of the transaction is kept."""
        try:
            with self.db.conn:
                yield self.db.conn
        except sqlite3.Error as exc:
            self.shared.forget()  # ids found or added in the transaction may have been rolled back
            raise StoreError(f"{self.path}: cannot write the run database: {exc}") from exc
        except BaseException:
            self.shared.forget()
            raise

    def file_id(self, run_id: int, position: int) -> int:
        key = (run_id, position)
        if key not in self._file_ids:
            row = self.db.execute(
                "SELECT id FROM run_files WHERE run_id = ? AND position = ?", [run_id, position]
            ).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: run {run_id} has no file {position}")
            self._file_ids[key] = row[0]
        return self._file_ids[key]

    def write_batch(self, run_id: int, batch: ResultBatch, lines_in_file: int, totals: Summary) -> None:
        """Store a batch's lines, the file's progress and the run's totals: all or nothing."""
        file_id = self.file_id(run_id, batch.file)
        with self.writing() as conn:
            conn.execute("UPDATE run_files SET lines = ? WHERE id = ?", (lines_in_file, file_id))  # takes the lock
            write_lines(conn, self.shared, run_id, file_id, batch)
            counts = ", ".join(f"[{name}] = ?" for name in (*totals.counts, *SUMS))
            conn.execute(
                f"UPDATE runs SET lines = ?, {counts}, status = ?, pid = ? WHERE id = ?",
                (totals.lines, *totals.counts.values(), *totals_json(totals), "running", os.getpid(), run_id),
            )

    def finish(self, run_id: int, status: str) -> None:
        """`finished` (and the time) or `interrupted`/`failed` (left unfinished, resumable)."""
        with self.writing() as conn:  # a finished run stays finished (a failed --resume racing it changes nothing)
            conn.execute(
                "UPDATE runs SET status = ?, finished = ? WHERE id = ? AND finished IS NULL",
                (status, _now() if status == "finished" else None, run_id),
            )

    def record_input(self, run_id: int, position: int, sha256: str, size: int) -> None:
        """The SHA-256 and size of a stream input (standard input, a FIFO), known once it has been read."""
        with self.writing() as conn:
            conn.execute(
                "UPDATE run_files SET sha256 = ?, bytes = ? WHERE run_id = ? AND position = ?",
                (sha256, size, run_id, position),
            )

    # --- resuming -------------------------------------------------------------------------------------

    def resumable(self, files: Sequence[InputFile], rules_hash: str, run_id: int | None = None) -> dict | None:
        """The latest unfinished run over the same files (same content at the same file, see `same_input`)
        and rule packs, if any."""
        where = "finished IS NULL AND rules_hash = ?" + (" AND id = ?" if run_id is not None else "")
        params = [rules_hash] + ([run_id] if run_id is not None else [])
        for run in self.db["runs"].rows_where(where, params, order_by="id DESC"):
            stored = self.files(run["id"])
            if len(stored) == len(files) and all(map(_same, stored, files)):
                return run
        return None

    def files(self, run_id: int) -> list[dict]:
        return list(self.db["run_files"].rows_where("run_id = ?", [run_id], order_by="position"))

    def totals(self, run_id: int) -> Summary:
        run = self.run(run_id)
        sums = ({cur: Decimal(v) for cur, v in json.loads(run[name]).items()} for name in SUMS)
        return Summary({v: run[v] for v in VERDICTS}, *sums)

    def quota_claims(self, run_id: int) -> Iterator[QuotaClaim]:
        """The stored cap claims of a run, in input order (to rebuild the caps' ledger)."""
        sql = (
            "SELECT q.claim FROM line_quota q JOIN lines l ON l.id = q.line_id JOIN run_files f ON f.id = l.file_id "
            "WHERE l.run_id = ? ORDER BY f.position, l.row, q.position"
        )
        for (claim,) in self.db.execute(sql, [run_id]):
            yield QuotaClaim.model_validate_json(claim)

    # --- reading runs ---------------------------------------------------------------------------------

    def run(self, run_id: int) -> dict:
        rows = list(self.db["runs"].rows_where("id = ?", [run_id]))
        if not rows:
            raise StoreError(f"{self.path}: no run {run_id}")
        return rows[0]

    def runs(self) -> list[dict]:
        return list(self.db["runs"].rows_where(order_by="id"))

    def batches(self, run_id: int) -> Iterator[ResultBatch]:
        """Every stored line of a run, as result batches in input order."""
        units = json.loads(self.run(run_id)["minor_units"])
        cache = SharedCache(self.db.conn)
        for f in self.files(run_id):
            yield from read_lines(self.db.conn, cache, f["id"], f["position"], f["path"], units)

    def records(self, run_id: int) -> Iterator[Result]:
        """Every stored line of a run as its `Result`, in input order (for people and tests: one object a line)."""
        for b in self.batches(run_id):
            yield from to_results(b)

    def duty_by_measure(self, run_id: int) -> list[dict]:
        """Lines and total charges per measure, heading and currency (exact: summed in minor units)."""
        scale = json.loads(self.run(run_id)["minor_units"])
        return [
            {"measure": m, "heading": h, "currency": c, "lines": n, "amount": Decimal(money(minor, scale.get(c, 0)))}
            for m, h, c, n, minor in by_measure(self.db.conn, run_id)
        ]

    def top_reasons(self, run_id: int, limit: int = 10) -> list[dict]:
        return top_reasons(self.db.conn, run_id, limit)

    # --- refunds (clearance refunds): one row per entry of a run, in a table of its own ---------------------

    def write_refunds(self, run_id: int, rows: Sequence[dict]) -> None:
        """The run's entries as the refund programme sorted them (see `refunds.run`), all or nothing."""
        with self.writing():
            self.db.execute(REFUNDS_TABLE)
            self.db["refunds"].insert_all(({"run_id": run_id, **r} for r in rows), batch_size=1000)

    def refunds_by_status(self, run_id: int) -> list[dict]:
        return refunds_by_status(self.db, run_id)


def top_reasons(conn: sqlite3.Connection, run_id: int, limit: int = 10) -> list[dict]:
    """The most frequent error and warning reasons of a run (by severity and rule): lines, the least citation, and
    an example, the message of the first line that has it. A plan's reasons count once per line that follows it
    (lines share plans), each line's own reasons (`line_reasons`) once. The one count of them (`runs show`, report)."""
    sql = """
        SELECT severity, rule, sum(lines) AS lines, min(line) AS line, min(citation) AS citation FROM (
          SELECT x.severity, x.rule, p.lines, p.line, t.text AS citation
          FROM (SELECT plan_id, count(*) AS lines, min(id) AS line FROM lines WHERE run_id = ? GROUP BY plan_id) AS p
          JOIN plan_reasons AS q ON q.plan_id = p.plan_id JOIN reasons AS x ON x.id = q.reason_id
          JOIN citations AS t ON t.id = x.citation_id WHERE x.severity != 'info'
          UNION ALL
          SELECT x.severity, x.rule, 1, o.line_id, t.text FROM line_reasons AS o
          CROSS JOIN lines AS l ON l.id = o.line_id JOIN reasons AS x ON x.id = o.reason_id
          JOIN citations AS t ON t.id = x.citation_id WHERE l.run_id = ? AND x.severity != 'info'
        ) GROUP BY 1, 2 ORDER BY lines DESC, rule LIMIT ?"""
    rows = conn.execute(sql, [run_id, run_id, limit]).fetchall()
    picked = read_picked(conn, sorted({line for *_, line, _ in rows})) if rows else {}
    batches = {id(b): to_results(b) for b in {id(b): b for _, b, _ in picked.values()}.values()}
    out = []
    for severity, rule, lines, line, citation in rows:
        _, b, n = picked[line]
        said = (r.message for r in batches[id(b)][n].reasons if (r.severity, r.rule) == (severity, rule))
        example = next(said, "")
        out.append({"severity": severity, "rule": rule, "lines": lines, "example": example, "citation": citation})
    return out


def refunds_by_status(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """Entries and refundable amount (Decimal, summed exactly) per refund status and currency, in the order of the
    statuses; none for a run that was not a `clearance refunds` run."""
    if not db["refunds"].exists():
        return []
    sums: dict[tuple[str, str], list] = {}
    for r in db.query("SELECT status, currency, refundable FROM refunds WHERE run_id = ?", [run_id]):
        row = sums.setdefault((r["status"], r["currency"]), [0, Decimal(0)])
        row[0] += 1
        row[1] += Decimal(r["refundable"] or 0)  # none: the amount is not known (the entry is `review`)
    rows = [{"status": s, "currency": c, "entries": n, "refundable": a} for (s, c), (n, a) in sums.items()]
    order = {status: n for n, status in enumerate(STATUSES)}
    return sorted(rows, key=lambda r: (order.get(r["status"], len(order)), r["currency"]))


REFUNDS_TABLE = """CREATE TABLE IF NOT EXISTS refunds (
    run_id INTEGER REFERENCES runs(id), entry_number TEXT, status TEXT, rule TEXT, phase TEXT, refundable TEXT,
    currency TEXT, deadline TEXT, declaration TEXT)"""


def _same(stored: dict, given: InputFile) -> bool:
    return same_input(stored["path"], stored["sha256"], given)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
