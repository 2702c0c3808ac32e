"""The run store: every run of `clearance check` and every line's result, in SQLite (via sqlite-utils).

Tables:
- `runs`: one row per run: when it started and finished (NULL while unfinished), its status, the
  law-as-of date, the rule packs (id and content hash), the options, and running totals (lines, counts
  per verdict, total duty, taxes and fees per currency as decimal strings) kept in step with the stored lines.
- `run_files`: the input files of a run in order, with their SHA-256 and how many lines are stored.
- `results`: one row per input line (`file` is the position in `run_files`, `row` the line's row in
  that file): verdict, totals as TEXT decimals, and duties, taxes, fees, reasons, exclusions, quota claims
  and extra columns as JSON. Unique on (run_id, file, row): a line can never be stored twice.
- `duties`: one row per charge line (its `charge`: duty, tax or fee; measure, heading, amount as TEXT,
  and the same amount as an exact integer of minor units for sums in SQL), for the questions asked by
  measure and heading.

Lines are written one chunk per transaction, together with the run's totals, in WAL mode: a run that
is killed leaves every committed chunk and matching totals, and `finished` NULL."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import sqlite_utils
from pydantic import TypeAdapter
from sqlite_utils import Database as _Database  # bound now: tests replace sqlite_utils.Database

from ..packs.programme import STATUSES
from ..report.result import LINE_FIELDS, VERDICTS, Result
from ..report.summary import Summary
from .inputs import InputFile, same_input, schema_problem

SCHEMA_VERSION = 3  # 2: taxes and fees (results columns, duties.charge, runs totals); 3: the `invalid` verdict
RESULT_COLUMNS = (
    "file",
    "row",
    *LINE_FIELDS,
    "duties",
    "taxes",
    "fees",
    "reasons",
    "excluded",
    "quota",
    "extra",
)
JSON_COLUMNS = ("duties", "taxes", "fees", "reasons", "excluded", "quota", "extra")
DUTY_COLUMNS = ("file", "row", "charge", "measure", "heading", "amount", "amount_minor", "currency")
CHARGE_TOTALS = {"duty": "total_duty", "taxes": "total_taxes", "fees": "total_fees"}  # runs column: results column
Row = tuple
_JSON = {c: TypeAdapter(Result.model_fields[c].annotation).dump_json for c in JSON_COLUMNS}


class StoreError(Exception):
    """The run database cannot be used. The message is one line."""


def add_rows(totals: Summary, rows: Sequence[Row]) -> None:
    """Count stored rows (see `encode`) into a run's totals."""
    verdict, currency = RESULT_COLUMNS.index("verdict"), RESULT_COLUMNS.index("currency")
    at = [RESULT_COLUMNS.index(c) for c in CHARGE_TOTALS.values()]
    for r in rows:
        totals.count(r[verdict], r[currency], *(None if r[k] is None else Decimal(r[k]) for k in at))


def totals_json(totals: Summary) -> list[str]:
    """The duty, taxes and fees per currency, as the `runs` columns hold them (decimal strings)."""
    return [json.dumps({c: str(v) for c, v in sorted(getattr(totals, k).items())}) for k in CHARGE_TOTALS]


def encode(result: Result, file: int, minor_units: dict[str, int]) -> tuple[Row, list[Row]]:
    """A result as its `results` row and its `duties` rows: the JSON of `Result.record()` column by
    column (decimals as strings), serialised by pydantic's compiled serialiser."""
    row = (
        file,
        result.row,
        result.entry_number,
        result.line_number,
        result.destination,
        result.hts_code,
        result.origin,
        result.entry_date,
        result.verdict,
        None if result.total_duty is None else str(result.total_duty),  # an invalid line has no duty
        str(result.total_taxes),
        str(result.total_fees),
        result.currency,
        *(_json(c, getattr(result, c)) for c in JSON_COLUMNS),
    )
    scale = minor_units.get(result.currency)
    duties = [
        (file, result.row, charge, d.measure, d.heading, str(d.amount), _minor(d.amount, scale), result.currency)
        for charge, lines in (("duty", result.duties), ("tax", result.taxes), ("fee", result.fees))
        for d in lines
    ]
    return row, duties


def _json(column: str, value: list | dict) -> str:
    if not value:  # most lines have no exclusions, quota claims or extra columns
        return "{}" if isinstance(value, dict) else "[]"
    return _JSON[column](value).decode()


def _minor(amount: Decimal, scale: int | None) -> int | None:
    """The amount in minor units (cents, yen) when that is exact, for exact integer sums in SQL."""
    if scale is None:
        return None
    minor = amount.scaleb(scale)
    return int(minor) if minor == minor.to_integral_value() else None


def decode(row: dict, path: str | None) -> Result:
    """A stored `results` row back as the `Result` it was made from."""
    data = {c: row[c] for c in RESULT_COLUMNS if c not in ("file", *JSON_COLUMNS)}
    data.update({c: json.loads(row[c]) for c in JSON_COLUMNS})
    return Result.model_validate(dict(data, file=path))


class Store:
    """One SQLite run database (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 30000")
            # a result row is about 2.5 KB: 16 KB pages hold several (a new file only; no-op on an existing one)
            self.db.execute("PRAGMA page_size = 16384")
            self._wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._schema()
        except Exception as exc:  # sqlite3.DatabaseError and OS errors: not a usable database
            raise StoreError(f"{self.path}: cannot use as a run database: {exc}") from exc

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
            self._at_version(None, self._create)
        if self._version() == "2":
            self._at_version("2", self._upgrade_from_2)
        version = self._version()
        if version != str(SCHEMA_VERSION):
            raise StoreError(f"{self.path}: run database schema {version}, this clearance writes {SCHEMA_VERSION}")
        if problem := schema_problem(self.db.conn, lambda conn: create_schema(_Database(conn))):
            raise StoreError(f"{self.path}: stamped schema {version} but {problem}: not a clearance run database")

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

    def _upgrade_from_2(self) -> None:
        """Schema 2 had no `invalid` verdict: its runs count none (their unreadable lines were rejects)."""
        self.db.execute("ALTER TABLE runs ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0")
        self.db.execute("UPDATE clearance_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])

    def _version(self) -> str | None:
        if not self.db["clearance_meta"].exists():
            return None
        row = self.db.execute("SELECT value FROM clearance_meta WHERE key = 'schema_version'").fetchone()
        return row[0] if row else "missing"

    def _create(self) -> None:
        create_schema(self.db)

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
            **dict.fromkeys(CHARGE_TOTALS, "{}"),
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
            raise StoreError(f"{self.path}: cannot write the run database: {exc}") from exc

    def write_chunk(
        self, run_id: int, file: int, lines_in_file: int, rows: Sequence[Row], duties: Sequence[Row], totals: Summary
    ) -> None:
        """Store a chunk's lines and duties, the file's progress and the run's totals: all or nothing."""
        with self.writing() as conn:
            conn.executemany(_insert("results", ("run_id", *RESULT_COLUMNS), run_id), rows)
            conn.executemany(_insert("duties", ("run_id", *DUTY_COLUMNS), run_id), duties)
            conn.execute(
                "UPDATE run_files SET lines = ? WHERE run_id = ? AND position = ?", (lines_in_file, run_id, file)
            )
            conn.execute(
                f"UPDATE runs SET lines = ?, {', '.join(f'{v} = ?' for v in (*VERDICTS, *CHARGE_TOTALS))}, "
                "status = ?, pid = ? WHERE id = ?",
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
        sums = {kind: {cur: Decimal(v) for cur, v in json.loads(run[kind]).items()} for kind in CHARGE_TOTALS}
        return Summary(counts={v: run[v] for v in VERDICTS}, **sums)

    def quota_results(self, run_id: int) -> Iterator[Result]:
        """The stored lines that carry quota claims, in input order (to rebuild the caps' ledger)."""
        sql = "SELECT * FROM results WHERE run_id = ? AND quota != '[]' ORDER BY file, row"
        for row in self.db.query(sql, [run_id]):
            yield decode(row, None)

    # --- reading runs ---------------------------------------------------------------------------------

    def run(self, run_id: int) -> dict:
        rows = list(self.db["runs"].rows_where("id = ?", [run_id]))
        if not rows:
            raise StoreError(f"{self.path}: no run {run_id}")
        return rows[0]

    def runs(self) -> list[dict]:
        return list(self.db["runs"].rows_where(order_by="id"))

    def records(self, run_id: int) -> Iterator[Result]:
        """Every stored line of a run as its `Result`, in input order."""
        paths = [f["path"] for f in self.files(run_id)]
        for row in self.db.query("SELECT * FROM results WHERE run_id = ? ORDER BY file, row", [run_id]):
            yield decode(row, paths[row["file"]])

    def duty_by_measure(self, run_id: int) -> list[dict]:
        """Lines and total duty per measure, heading and currency (exact: summed in minor units)."""
        scale = json.loads(self.run(run_id)["minor_units"])
        sql = (
            "SELECT measure, heading, currency, count(*) AS lines, sum(amount_minor) AS minor, "
            "count(amount_minor) AS exact FROM duties WHERE run_id = ? "
            "GROUP BY measure, heading, currency ORDER BY measure, lines DESC, heading"
        )
        out = []
        for r in self.db.query(sql, [run_id]):
            if r["exact"] == r["lines"] and r["currency"] in scale:
                amount = Decimal(r["minor"] or 0).scaleb(-scale[r["currency"]])
            else:  # some amount was not a whole number of minor units: add the decimal strings
                amount = self._sum_text(run_id, r["measure"], r["heading"], r["currency"])
            out.append({k: r[k] for k in ("measure", "heading", "currency", "lines")} | {"amount": amount})
        return out

    def _sum_text(self, run_id: int, measure: str, heading: str, currency: str) -> Decimal:
        sql = "SELECT amount FROM duties WHERE run_id = ? AND measure = ? AND heading = ? AND currency = ?"
        return sum((Decimal(r["amount"]) for r in self.db.query(sql, [run_id, measure, heading, currency])), Decimal(0))

    def top_reasons(self, run_id: int, limit: int = 10) -> list[dict]:
        """The most frequent error and warning reasons (by rule), with one example message."""
        sql = (
            "SELECT json_extract(r.value, '$.severity') AS severity, json_extract(r.value, '$.rule') AS rule, "
            "count(*) AS lines, min(json_extract(r.value, '$.message')) AS example "
            "FROM results, json_each(results.reasons) AS r WHERE results.run_id = ? "
            "AND json_extract(r.value, '$.severity') != 'info' GROUP BY 1, 2 ORDER BY lines DESC, rule LIMIT ?"
        )
        return list(self.db.query(sql, [run_id, limit]))


    # --- refunds (clearance refunds): one row per entry of a run, in a table of its own ---------------------

    def write_refunds(self, run_id: int, rows: Sequence[dict]) -> None:
        """The run's entries as the refund programme sorted them (see `refunds.run`), all or nothing."""
        with self.writing():
            self.db.execute(REFUNDS_TABLE)
            self.db["refunds"].insert_all(({"run_id": run_id, **r} for r in rows), batch_size=1000)

    def refunds_by_status(self, run_id: int) -> list[dict]:
        return refunds_by_status(self.db, run_id)


def refunds_by_status(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """Entries and refundable amount (Decimal, summed exactly) per refund status and currency, in the order of the
    statuses; none for a run that was not a `clearance refunds` run."""
    if not db["refunds"].exists():
        return []
    sums: dict[tuple[str, str], list] = {}
    for r in db.query("SELECT status, currency, refundable FROM refunds WHERE run_id = ?", [run_id]):
        row = sums.setdefault((r["status"], r["currency"]), [0, Decimal(0)])
        row[0] += 1
        row[1] += Decimal(r["refundable"])
    rows = [{"status": s, "currency": c, "entries": n, "refundable": a} for (s, c), (n, a) in sums.items()]
    order = {status: n for n, status in enumerate(STATUSES)}
    return sorted(rows, key=lambda r: (order.get(r["status"], len(order)), r["currency"]))


REFUNDS_TABLE = """CREATE TABLE IF NOT EXISTS refunds (
    run_id INTEGER REFERENCES runs(id), entry_number TEXT, status TEXT, rule TEXT, phase TEXT, refundable TEXT,
    currency TEXT, deadline TEXT, declaration TEXT)"""


def _same(stored: dict, given: InputFile) -> bool:
    return same_input(stored["path"], stored["sha256"], given)


def create_schema(db: sqlite_utils.Database) -> None:
    """The tables and indexes of a run database (sqlite-utils DDL, inside the caller's transaction)."""
    db["clearance_meta"].create({"key": str, "value": str}, pk="key")
    db.execute("INSERT INTO clearance_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    db["runs"].create(
        {
            "id": int,
            "started": str,
            "finished": str,
            "status": str,
            "pid": int,
            "version": str,
            "law_as_of": str,
            "destination": str,
            "rules": str,
            "rule_packs": str,
            "rules_hash": str,
            "options": str,
            "minor_units": str,
            "lines": int,
            **dict.fromkeys(VERDICTS, int),
            **dict.fromkeys(CHARGE_TOTALS, str),
        },
        pk="id",
    )
    db["run_files"].create(
        {"run_id": int, "position": int, "path": str, "sha256": str, "bytes": int, "lines": int},
        pk=("run_id", "position"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    columns = {c: int if c in ("file", "row") else str for c in RESULT_COLUMNS}
    db["results"].create({"id": int, "run_id": int, **columns}, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["results"].create_index(["run_id", "file", "row"], "results_line", unique=True)
    db["results"].create_index(["run_id", "verdict"], "results_verdict")
    db["results"].create_index(["entry_number"], "results_entry")
    db["duties"].create(
        {c: int if c in ("file", "row", "amount_minor") else str for c in ("run_id", *DUTY_COLUMNS)},
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["duties"].create_index(["run_id", "measure", "heading"], "duties_measure")


def _insert(table: str, columns: Sequence[str], run_id: int) -> str:
    """An INSERT with the run id inlined (an int), so that the rows need not carry it."""
    values = ", ".join([str(int(run_id))] + ["?"] * (len(columns) - 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
