"""The figures of one stored run, for the HTML report: the report's ONE door into the run store.

Everything here is an SQL aggregate (or a bounded read of the lines the report lists) over the run database as
`engine/run/store.py` writes it: `runs`, `run_files`, `results` (a row per line, reasons as JSON) and `duties`
(a row per charge line with its amount in exact minor units). Money leaves this module as integers of minor units
with the currency's digits; `decimal_text` turns them into the Decimal text the page prints. When the store's
normalised tables land (issue #13: lines, content-addressed reasons, a `results` view), only this module changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlite_utils import Database

from ..run.store import decode, refunds_by_status
from .result import Result

FLAGGED = ("reject", "invalid", "review")  # the verdicts the report lists line by line, in this order
CHARGE_TOTALS = (("duty", "duty"), ("taxes", "tax"), ("fees", "fee"))  # runs column, duties.charge


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
        """Every charge line of the run, summed by month, measure, heading, currency and charge: one pass."""
        sql = """
            SELECT substr(r.entry_date, 1, 7) AS month, d.measure, d.charge, d.currency,
              CASE WHEN r.hts_code LIKE replace(d.heading, '.', '') || '%' THEN NULL ELSE d.heading END AS heading,
              count(*) AS lines, sum(d.amount_minor) AS minor, count(d.amount_minor) AS exact
            FROM duties AS d JOIN results AS r ON r.run_id = d.run_id AND r.file = d.file AND r.row = d.row
            WHERE d.run_id = ? GROUP BY 1, 2, 3, 4, 5"""
        out = []
        for r in self.db.query(sql, [self.run_id]):
            if r["exact"] != r["lines"]:  # an amount finer than the currency's minor unit: never summed as a float
                raise ValueError(f"run {self.run_id}: {r['measure']} has amounts that are not whole minor units")
            out.append(
                Charges(r["month"], r["measure"], r["heading"], r["currency"], r["charge"], r["lines"], r["minor"])
            )
        return out

    def entry_dates(self) -> tuple[str | None, str | None]:
        row = next(
            self.db.query(
                "SELECT min(entry_date) AS a, max(entry_date) AS b FROM results WHERE run_id = ?", [self.run_id]
            )
        )
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
        """The most frequent error and warning reasons (by rule) with an example and its citation."""
        sql = f"""
            SELECT json_extract(j.value, '$.severity') AS severity, json_extract(j.value, '$.rule') AS rule,
              count(*) AS lines, min(json_extract(j.value, '$.message')) AS example,
              min(json_extract(j.value, '$.citation')) AS citation
            FROM results AS r, json_each(r.reasons) AS j
            WHERE r.run_id = ? AND r.verdict IN ({_marks(FLAGGED)}) AND json_extract(j.value, '$.severity') != 'info'
            GROUP BY 1, 2 ORDER BY lines DESC, rule LIMIT ?"""
        return [TopReason(**r) for r in self.db.query(sql, [self.run_id, *FLAGGED, limit])]

    def declared(self) -> list[Declared]:
        """Under- and over-declared duty per currency. The schema on main keeps the declared amount only in the
        `declared.duty` reason's words (engine/resolve/declared.py); the normalised store has a column for it."""
        sql = f"""
            SELECT r.currency, json_extract(j.value, '$.message') AS message
            FROM results AS r, json_each(r.reasons) AS j
            WHERE r.run_id = ? AND r.verdict IN ({_marks(FLAGGED)})
              AND json_extract(j.value, '$.rule') = 'declared.duty'"""
        sums: dict[tuple[str, str], list[int]] = {}
        for r in self.db.query(sql, [self.run_id, *FLAGGED]):
            found = _DECLARED.match(r["message"])
            if found is None:
                raise ValueError(f"run {self.run_id}: unknown declared-duty wording: {r['message']!r}")
            kind = "under" if found["under"] else "over"
            key = (r["currency"], kind)
            amount = minor_of(found["under"] or found["over"], self.digits.get(r["currency"], 0))
            sums.setdefault(key, [0, 0])
            sums[key][0] += 1
            sums[key][1] += amount
        return [Declared(cur, kind, n, minor) for (cur, kind), (n, minor) in sorted(sums.items())]

    def refunds(self) -> list[dict]:
        """The run's entries by IEEPA refund status (a `clearance refunds` run; none otherwise)."""
        return refunds_by_status(self.db, self.run_id)

    def flagged(self, limit: int) -> Iterator[tuple[int, Result]]:
        """Up to `limit` lines of each flagged verdict, the largest duty first, as (file, `Result`)."""
        paths = [f["path"] for f in self.files]
        for verdict in FLAGGED:
            sql = """SELECT id FROM results WHERE run_id = ? AND verdict = ?
                     ORDER BY length(total_duty) DESC, total_duty DESC, file, row LIMIT ?"""
            ids = [r["id"] for r in self.db.query(sql, [self.run_id, verdict, limit])]
            rows = {r["id"]: r for r in self.db.query(f"SELECT * FROM results WHERE id IN ({_marks(ids)})", ids)}
            for i in ids:
                yield rows[i]["file"], decode(rows[i], paths[rows[i]["file"]])


_DECLARED = re.compile(r"under-declared by (?P<under>[0-9.]+) |over-declared: refund of (?P<over>[0-9.]+) ")


def _marks(values: tuple | list) -> str:
    return ", ".join("?" * len(values))
