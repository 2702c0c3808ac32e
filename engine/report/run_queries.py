"""The figures of one stored run, for the HTML report: the report's ONE door into the run store.

Everything here is an SQL aggregate (or a bounded read of the lines the report lists) over the run database as
`engine/run/store_schema.py` makes it: `runs`, `run_files`, `lines` (a narrow row per line, money in minor units,
`declared_delta`), the charge sums the store keeps per run (`run_charges`, engine/run/store_sums.py), and the reasons
counted per plan (`store.top_reasons`, which `runs show` prints too). Money leaves this module as integers of minor
units with the currency's digits; `decimal_text` turns them into the Decimal text the page prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlite_utils import Database

from ..run.store import refunds_by_status, top_reasons
from ..run.store_lines import read_picked
from ..run.store_sums import charges
from .adapter import to_results
from .result import Result

FLAGGED = ("reject", "invalid", "review")  # the verdicts the report lists line by line, in this order
CHARGE_TOTALS = (("duty", "duty"), ("taxes", "tax"), ("fees", "fee"))  # runs column, duty_components.charge


def decimal_text(minor: int, digits: int) -> str:
    """Minor units as the Decimal text of the currency (`1234, 2 -> "12.34"`), thousands separated."""
    return f"{Decimal(minor).scaleb(-digits):,}"


def minor_of(text: str, digits: int) -> int:
    """A stored decimal string as exact minor units (a stored amount is always a whole number of them)."""
    minor = Decimal(text).scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text} is not a whole number of minor units ({digits} digits)")
    return int(minor)


@dataclass(frozen=True)
class Charges:
    """Charge lines summed by month of entry, measure, heading (None: the line's own tariff code), currency, charge."""

    month: str | None
    measure: str
    heading: str | None
    currency: str
    charge: str
    lines: int
    minor: int


@dataclass(frozen=True)
class Declared:
    """Lines whose declared duty differs from the computed, per currency: under-declared (extra liability) or
    over-declared (a refund)."""

    currency: str
    kind: str  # under | over
    lines: int
    minor: int


@dataclass(frozen=True)
class TopReason:
    severity: str
    rule: str
    lines: int
    example: str
    citation: str


class RunFigures:
    """The figures of run `run_id` in a run database."""

    def __init__(self, db: Database, run_id: int) -> None:
        self.db, self.run_id = db, run_id
        rows = list(db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
        if not rows:
            raise LookupError(f"no run {run_id}")
        self.run = rows[0]
        self.digits: dict[str, int] = json.loads(self.run["minor_units"])
        self.packs: list[dict] = json.loads(self.run["rule_packs"])
        self.files = list(db.query("SELECT * FROM run_files WHERE run_id = ? ORDER BY position", [run_id]))

    def counts(self) -> dict[str, int]:
        return {v: self.run[v] for v in ("accept", "review", "reject", "invalid")}

    def totals(self) -> dict[str, dict[str, int]]:
        """The run's totals kept with its lines: charge name (duty, taxes, fees) -> currency -> minor units."""
        return {
            name: {cur: minor_of(text, self.digits.get(cur, 0)) for cur, text in json.loads(self.run[name]).items()}
            for name, _ in CHARGE_TOTALS
        }

    def charges(self) -> list[Charges]:
        """Every charge line of the run, summed by month, measure, heading, currency and charge: read from the sums
        the store keeps as the run is written (`store_sums.charges`), exact minor units of the line's currency."""
        return [
            Charges(month, measure, heading, currency, charge, lines, minor)
            for month, measure, charge, currency, heading, lines, minor in charges(self.db.conn, self.run_id)
        ]

    def entry_dates(self) -> tuple[str | None, str | None]:
        sql = "SELECT min(entry_date) AS a, max(entry_date) AS b FROM lines WHERE run_id = ?"
        row = next(self.db.query(sql, [self.run_id]))
        return row["a"], row["b"]

    def hts_editions(self, first: str | None, last: str | None) -> list[dict]:
        """The HTSUS editions (imported into this database by `clearance hts import`) in force on the run's
        entry dates: the latest one effective on the first date, and every later one up to the last."""
        if first is None or not self.db["hts_editions"].exists():
            return []
        editions = list(self.db.query("SELECT name, effective, source, sha256 FROM hts_editions ORDER BY effective"))
        start = max((e["effective"] for e in editions if e["effective"] <= first), default="")
        return [e for e in editions if start <= e["effective"] <= (last or first)]

    def top_reasons(self, limit: int = 10) -> list[TopReason]:
        """The most frequent error and warning reasons (by rule), with an example and its citation
        (`store.top_reasons`: a plan's reasons counted once per line that follows it)."""
        return [TopReason(**r) for r in top_reasons(self.db.conn, self.run_id, limit)]

    def declared(self) -> list[Declared]:
        """Under- and over-declared duty per currency, from each line's declared-minus-computed difference."""
        sql = f"""
            SELECT currency, CASE WHEN declared_delta < 0 THEN 'under' ELSE 'over' END AS kind, count(*) AS lines,
              sum(abs(declared_delta)) AS minor
            FROM lines WHERE run_id = ? AND verdict IN ({_marks(FLAGGED)}) AND declared_delta != 0
            GROUP BY 1, 2 ORDER BY 1, 2"""
        return [Declared(**r) for r in self.db.query(sql, [self.run_id, *FLAGGED])]

    def refunds(self) -> list[dict]:
        """The run's entries by IEEPA refund status (a `clearance refunds` run; none otherwise)."""
        return refunds_by_status(self.db, self.run_id)

    def flagged(self, limit: int) -> Iterator[tuple[int, Result]]:
        """Up to `limit` lines of each flagged verdict, the largest duty first, as (file, `Result`)."""
        for verdict in FLAGGED:
            sql = """SELECT l.id FROM lines AS l JOIN run_files AS f ON f.id = l.file_id
                     WHERE l.run_id = ? AND l.verdict = ? ORDER BY l.total_duty DESC, f.position, l.row LIMIT ?"""
            ids = [r["id"] for r in self.db.query(sql, [self.run_id, verdict, limit])]
            picked = read_picked(self.db.conn, ids) if ids else {}
            batches = {id(b): b for _, b, _ in picked.values()}  # lines of one file share a batch: made once
            results = {key: to_results(b) for key, b in batches.items()}
            for i in ids:
                file, batch, n = picked[i]
                yield file, results[id(batch)][n]


def _marks(values: tuple | list) -> str:
    return ", ".join("?" * len(values))
