"""The sums of a run that the run database keeps while the run is written, and the aggregates read from it.

`run_charges` holds, per run, the charge lines summed by month of entry, measure, charge (duty, tax, fee), heading
and currency: the number of charge lines and their exact sum in minor units. The heading is '' when it is the line's
own tariff code (the code begins with the heading's digits, as the general rate is charged): those are summed per
measure, the others (a Chapter 99 heading, say) per heading. A 1M-line run keeps a few thousand rows.
`write_lines` adds each batch's sums in the batch's own transaction (`batch_charges`, `add_charges`), so the sums of a
run always match its stored lines, also for a run that is killed or resumed; `delete_run` deletes them with the run.
Summing the 3M charge lines of a 1M-line run in SQL takes longer than the whole report may (README, The run report),
and these rows answer every question the report and `runs show` ask of the charges.

`fill_charges` computes the same sums from the stored lines, in SQL (the upgrade of an older database, and the
tests' check that the kept sums are those of the lines)."""

from __future__ import annotations

import sqlite3

from ..report.result_batch import ResultBatch

RUN_CHARGES = (
    "CREATE TABLE run_charges (run_id INTEGER NOT NULL REFERENCES runs(id), month TEXT NOT NULL, "
    "measure TEXT NOT NULL, charge TEXT NOT NULL, heading TEXT NOT NULL, currency TEXT NOT NULL, "
    "lines INTEGER NOT NULL, amount INTEGER NOT NULL, "
    "PRIMARY KEY (run_id, month, measure, charge, heading, currency)) WITHOUT ROWID"
)

# month ('' for a line without an entry date), measure, charge, heading ('': the line's own tariff code), currency
Key = tuple[str, str, str, str, str]


def own_code(hts_code: str | None, heading: str | None) -> bool:
    """Whether a charge's heading is the line's own tariff code: the code begins with the heading's digits."""
    if hts_code is None or heading is None:
        return False
    return hts_code.lower().startswith(heading.replace(".", "").lower())


def batch_charges(b: ResultBatch) -> dict[Key, list[int]]:
    """A batch's charge lines summed by month, measure, charge, heading other than the line's own code, and
    currency: key -> [charge lines, minor units]."""
    sums: dict[Key, list[int]] = {}
    heads: dict[tuple[str | None, int], tuple[str, str, str]] = {}  # (code, component) -> measure, charge, heading
    for n in range(len(b)):
        month, currency, code = (b.entry_date[n] or "")[:7], b.currency[n] or "", b.hts_code[n]
        for d in range(b.duty_start[n], b.duty_start[n + 1]):
            c = b.duty_component[d]
            head = heads.get((code, id(c)))
            if head is None:
                heading = "" if own_code(code, c.heading) else c.heading or ""
                head = heads[(code, id(c))] = (c.measure, c.charge, heading)
            cell = sums.setdefault((month, *head, currency), [0, 0])
            cell[0] += 1
            cell[1] += b.duty_amount[d]
    return sums


def add_charges(conn: sqlite3.Connection, run_id: int, sums: dict[Key, list[int]]) -> None:
    """Add a batch's sums to its run's (inside the caller's write transaction)."""
    conn.executemany(
        "INSERT INTO run_charges VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE "
        "SET lines = lines + excluded.lines, amount = amount + excluded.amount",
        [(run_id, *key, lines, amount) for key, (lines, amount) in sums.items()],
    )


# The same sums from the stored lines (`LIKE` as `own_code`: the code begins with the heading's digits, any case).
FILL = """
    SELECT l.run_id, coalesce(substr(l.entry_date, 1, 7), ''), c.measure, c.charge,
      CASE WHEN l.hts_code LIKE replace(c.heading, '.', '') || '%' THEN '' ELSE coalesce(c.heading, '') END,
      coalesce(l.currency, ''), count(*), sum(d.amount)
    FROM line_duties AS d JOIN lines AS l ON l.id = d.line_id JOIN duty_components AS c ON c.id = d.component_id
    GROUP BY 1, 2, 3, 4, 5, 6"""


def fill_charges(conn: sqlite3.Connection) -> None:
    """`run_charges` made again from every stored line (an upgrade: inside the caller's write transaction)."""
    conn.execute("DELETE FROM run_charges")
    conn.execute(f"INSERT INTO run_charges {FILL}")


def charges(conn: sqlite3.Connection, run_id: int) -> list[tuple]:
    """A run's charge lines summed by month (None: no entry date), measure, charge, currency and heading (None: the
    line's own tariff code): (month, measure, charge, currency, heading, lines, minor units). The HTML report's."""
    sql = """
        SELECT nullif(month, ''), measure, charge, nullif(currency, ''), nullif(heading, ''), lines, amount
        FROM run_charges WHERE run_id = ?"""
    return conn.execute(sql, [run_id]).fetchall()


def by_measure(conn: sqlite3.Connection, run_id: int) -> list[tuple]:
    """A run's charge lines summed by measure, heading (None: the line's own tariff code) and currency, the most
    charged heading of a measure first: (measure, heading, currency, lines, minor units). `runs show`'s."""
    sql = """
        SELECT measure, nullif(heading, ''), nullif(currency, ''), sum(lines) AS lines, sum(amount)
        FROM run_charges WHERE run_id = ? GROUP BY measure, heading, currency ORDER BY measure, lines DESC, heading"""
    return conn.execute(sql, [run_id]).fetchall()
