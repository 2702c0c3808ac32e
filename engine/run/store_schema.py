"""The run database's schema (version 6): tables, indexes and views, created in one transaction.

Normalised for size and for SQL (Datasette) use:
- `runs`, `run_files`: one row per run and per input file of a run (integer ids, foreign keys).
- `lines`: one narrow row per input line: where it came from, what it is, its verdict, its total duty and its
  declared-minus-computed difference as INTEGER minor units of `currency`, and the plan it follows.
- shared, content-addressed and kept across runs: `citations`, `reasons` (message templates, see
  engine/report/result_batch.py), `exclusions`, `duty_components` (measure, family, heading, rate, basis) and
  `plans` with their `plan_reasons` and `plan_exclusions`.
- per line, only where a line has them: `line_duties` (one row per duty line: component, basis (NULL: the same as
  the line's first duty line's), amount), and the
  sparse `line_reasons` (reasons with the line's own numbers: a shared `reasons` row whose numbers are holes
  `{0}`, `{1}`, ... and the line's numbers, space-separated, `args`), `line_portions`, `line_quota`, `line_fields`
  (fields of the record that have no columns yet, as JSON).
`run_charges`: each run's charge lines summed as the run is written (store_sums.py), what the report and `runs show`
read instead of summing the line duties again.
Views give the whole record back: `results` (today's record, one row per line, lists as JSON), `duty_lines` (one row
per duty line with its line's facts, for sums by measure, family, heading and month) and `line_reasons_all`
(every reason of every line, messages filled in).

The child tables are WITHOUT ROWID tables keyed by (line_id, position): no second copy of the key, about half the
size of a rowid table with a unique index (sqlite-utils cannot create those, so their DDL is written here)."""

from __future__ import annotations

import sqlite_utils

from ..report.result import VERDICTS
from ..report.result_batch import CHARGES
from ..report.summary import SUMS
from .store_sums import RUN_CHARGES

SCHEMA_VERSION = 6  # 2: taxes and fees; 3: the `invalid` verdict; 4: the normalised store; 5: run_charges;
# 6: line reasons as shared templates and the line's numbers (store_migrate.py)
ARGS = 12  # at most this many of a line reason's numbers are holes (the rest stay in its text)

_CHILDREN = {
    "plan_reasons": "plan_id INTEGER NOT NULL REFERENCES plans(id), position INTEGER NOT NULL, "
    "reason_id INTEGER NOT NULL REFERENCES reasons(id), duty INTEGER, PRIMARY KEY (plan_id, position)",
    "plan_exclusions": "plan_id INTEGER NOT NULL REFERENCES plans(id), position INTEGER NOT NULL, "
    "exclusion_id INTEGER NOT NULL REFERENCES exclusions(id), portion INTEGER NOT NULL, "
    "PRIMARY KEY (plan_id, position)",
    "line_duties": "line_id INTEGER NOT NULL REFERENCES lines(id), position INTEGER NOT NULL, "
    "component_id INTEGER NOT NULL REFERENCES duty_components(id), basis_value TEXT, "
    "amount INTEGER NOT NULL, PRIMARY KEY (line_id, position)",
    "line_reasons": "line_id INTEGER NOT NULL REFERENCES lines(id), position INTEGER NOT NULL, "
    "after INTEGER NOT NULL, reason_id INTEGER NOT NULL REFERENCES reasons(id), args TEXT, "
    "PRIMARY KEY (line_id, position)",
    "line_portions": "line_id INTEGER NOT NULL REFERENCES lines(id), position INTEGER NOT NULL, "
    "portion TEXT NOT NULL, PRIMARY KEY (line_id, position)",
    "line_quota": "line_id INTEGER NOT NULL REFERENCES lines(id), position INTEGER NOT NULL, "
    "claim TEXT NOT NULL, PRIMARY KEY (line_id, position)",
    "line_fields": "line_id INTEGER NOT NULL REFERENCES lines(id), field TEXT NOT NULL, "
    "value TEXT NOT NULL, PRIMARY KEY (line_id, field)",
}


def create(db: sqlite_utils.Database) -> None:
    """Every table, index and view of a new run database (inside the caller's transaction)."""
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
            **dict.fromkeys(SUMS, str),
        },
        pk="id",
    )
    create_lines(db)


def create_lines(db: sqlite_utils.Database) -> None:
    """The tables of run files and lines, the shared tables and the views (what schema 4 changed)."""
    db["run_files"].create(
        {"id": int, "run_id": int, "position": int, "path": str, "sha256": str, "bytes": int, "lines": int},
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["run_files"].create_index(["run_id", "position"], "run_files_position", unique=True)
    _shared(db)
    db["lines"].create(
        {
            "id": int,
            "run_id": int,
            "file_id": int,
            "row": int,
            "entry_number": str,
            "line_number": str,
            "destination": str,
            "hts_code": str,
            "origin": str,
            "entry_date": str,
            "verdict": str,
            "currency": str,
            "total_duty": int,
            "total_taxes": int,
            "total_fees": int,
            "declared_delta": int,
            "plan_id": int,
            "extra": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("file_id", "run_files", "id"), ("plan_id", "plans", "id")],
    )
    db["lines"].create_index(["file_id", "row"], "lines_row", unique=True)
    db["lines"].create_index(["run_id", "verdict"], "lines_verdict")
    db["lines"].create_index(["entry_number"], "lines_entry")
    for table in _CHILDREN:
        create_child(db, table)
    db.execute(RUN_CHARGES)
    create_views(db)


def create_child(db: sqlite_utils.Database, table: str) -> None:
    db.execute(f"CREATE TABLE [{table}] ({_CHILDREN[table]}) WITHOUT ROWID")


def _shared(db: sqlite_utils.Database) -> None:
    """The content-addressed tables that every run shares."""
    db["citations"].create({"id": int, "text": str}, pk="id", not_null=["text"])
    db["citations"].create_index(["text"], "citations_text", unique=True)
    db["reasons"].create(
        {"id": int, "severity": str, "rule": str, "message": str, "citation_id": int},
        pk="id",
        foreign_keys=[("citation_id", "citations", "id")],
        not_null=["severity", "rule", "message", "citation_id"],
    )
    db["reasons"].create_index(["rule", "message", "severity", "citation_id"], "reasons_content", unique=True)
    db["exclusions"].create({"id": int, "measure": str, "excluded_by": str, "reason": str}, pk="id")
    db["exclusions"].create_index(["measure", "excluded_by", "reason"], "exclusions_content", unique=True)
    db["duty_components"].create(
        {
            "id": int,
            "charge": str,
            "measure": str,
            "family": str,
            "heading": str,
            "rate": str,
            "basis": str,
            "digits": int,  # decimals its amounts are printed with, when not the currency's (NULL)
        },
        pk="id",
    )
    db["duty_components"].create_index(
        ["measure", "heading", "rate", "basis", "charge", "digits"], "duty_components_content", unique=True
    )
    db["duty_components"].create_index(["family", "heading"], "duty_components_family")
    db["plans"].create({"id": int, "digest": bytes, "reasons": int, "exclusions": int}, pk="id")
    db["plans"].create_index(["digest"], "plans_digest", unique=True)


# Money in SQL: minor units as decimal text, with the digits of the run's currency.
_DIGITS = "coalesce(json_extract(r.minor_units, '$.' || l.currency), 0)"


def _decimal(minor: str, digits: str = _DIGITS) -> str:
    scale = f"CAST(substr('1000000000000', 1, {digits} + 1) AS INTEGER)"
    return (
        f"CASE WHEN {digits} = 0 THEN CAST({minor} AS TEXT) ELSE "
        f"(CASE WHEN {minor} < 0 THEN '-' ELSE '' END) || (abs({minor}) / {scale}) || '.' || "
        f"substr('000000000000' || (abs({minor}) % {scale}), -{digits}) END"
    )


def _power(exponent: str) -> str:
    return f"CAST(substr('1000000000000', 1, ({exponent}) + 1) AS INTEGER)"


def _amount(d: str, c: str) -> str:
    """A charge line's amount as its record prints it: with its component's digits, else its currency's."""
    shown = f"coalesce({c}.digits, {_DIGITS})"
    minor = (
        f"(CASE WHEN {c}.digits IS NULL THEN {d}.amount WHEN {c}.digits < {_DIGITS} "
        f"THEN {d}.amount / {_power(f'{_DIGITS} - {c}.digits')} "
        f"ELSE {d}.amount * {_power(f'{c}.digits - {_DIGITS}')} END)"
    )
    return _decimal(minor, shown)


def basis(d: str) -> str:
    """A charge line's basis value: NULL in `line_duties` is the basis of the line's first charge line."""
    first = f"(SELECT f.basis_value FROM line_duties f WHERE f.line_id = {d}.line_id AND f.position = 0)"
    return f"coalesce({d}.basis_value, {first})"


def _fill(template: str, duty: str) -> str:
    """A message template filled in SQL (doubled braces kept apart while the holes are replaced)."""
    text = f"replace(replace({template}, '{{{{', char(1)), '}}}}', char(2))"
    holes = {
        "{heading}": f"{duty}c.heading",
        "{rate}": f"{duty}c.rate",
        "{basis}": f"{duty}c.basis",
        "{basis_value}": basis(f"{duty}d"),
        "{amount}": _amount(f"{duty}d", f"{duty}c"),
        "{total}": _decimal("l.total_duty"),
        "{currency}": "l.currency",
        "{declared}": _decimal("(l.total_duty + l.declared_delta)"),
        "{over}": _decimal("l.declared_delta"),
        "{under}": _decimal("(-l.declared_delta)"),
    }
    for hole, value in holes.items():
        text = f"replace({text}, '{hole}', coalesce({value}, ''))"
    return f"replace(replace({text}, char(1), '{{'), char(2), '}}')"


def fill_numbers(template: str, args: str) -> str:
    """A line reason's template filled in SQL with its numbers (`args`: space-separated, read as a JSON list)."""
    text = f"replace(replace({template}, '{{{{', char(1)), '}}}}', char(2))"
    numbers = f"('[\"' || replace({args}, ' ', '\",\"') || '\"]')"
    for k in range(ARGS):
        text = f"replace({text}, '{{{k}}}', coalesce(json_extract({numbers}, '$[{k}]'), ''))"
    return f"replace(replace({text}, char(1), '{{'), char(2), '}}')"


def create_views(db: sqlite_utils.Database) -> None:
    duty_json = (
        "json_object('measure', dc.measure, 'heading', dc.heading, 'rate', dc.rate, 'basis', dc.basis, "
        f"'basis_value', {basis('dc')}, 'amount', {_amount('dc', 'dc')})"
    )
    db.create_view(
        "duty_lines",
        "SELECT l.run_id, l.id AS line_id, l.file_id, l.row, substr(l.entry_date, 1, 7) AS entry_month, "
        "l.destination, l.origin, l.verdict, d.position, c.charge, c.measure, c.family, c.heading, c.rate, c.basis, "
        f"{basis('d')} AS basis_value, d.amount AS amount_minor, {_amount('d', 'c')} AS amount, l.currency "
        "FROM line_duties d JOIN lines l ON l.id = d.line_id JOIN duty_components c ON c.id = d.component_id "
        "JOIN runs r ON r.id = l.run_id",
        replace=True,
    )
    plan_reason = (
        f"SELECT pr.line_id, pr.position * 2 + 1 AS sort, NULL AS seq, x.severity, x.rule, "
        f"{_fill('x.message', 'p')} AS message, t.text AS citation "
        "FROM (SELECT l.id AS line_id, l.plan_id, q.position, q.reason_id, q.duty FROM lines l "
        "JOIN plan_reasons q ON q.plan_id = l.plan_id) pr "
        "JOIN lines l ON l.id = pr.line_id JOIN runs r ON r.id = l.run_id "
        "JOIN reasons x ON x.id = pr.reason_id JOIN citations t ON t.id = x.citation_id "
        "LEFT JOIN line_duties pd ON pd.line_id = l.id AND pd.position = pr.duty "
        "LEFT JOIN duty_components pc ON pc.id = pd.component_id"
    )
    own_reason = (
        f"SELECT o.line_id, o.after * 2 AS sort, o.position AS seq, x.severity, x.rule, "
        f"{fill_numbers('x.message', 'o.args')} AS message, t.text AS citation FROM line_reasons o "
        "JOIN reasons x ON x.id = o.reason_id JOIN citations t ON t.id = x.citation_id"
    )
    db.create_view("line_reasons_all", f"{plan_reason} UNION ALL {own_reason}", replace=True)
    reason_json = "json_object('severity', severity, 'rule', rule, 'message', message, 'citation', citation)"
    excluded_json = (
        "json_object('measure', e.measure, 'excluded_by', e.excluded_by, 'reason', e.reason, 'portion', "
        "CASE WHEN e.portion THEN (SELECT portion FROM line_portions lp WHERE lp.line_id = l.id AND lp.position = "
        "(SELECT count(*) FROM plan_exclusions e2 WHERE e2.plan_id = e.plan_id AND e2.position < e.position "
        "AND e2.portion)) END)"
    )
    db.create_view(
        "results",
        "SELECT l.id, l.run_id, f.path AS file, l.row, l.entry_number, l.line_number, l.destination, l.hts_code, "
        "l.origin, l.entry_date, l.verdict, l.currency, "
        + ", ".join(
            f"{_decimal(f'l.{total}')} AS {total}, (SELECT json_group_array(json({duty_json})) FROM (SELECT * FROM "
            "line_duties d JOIN duty_components c ON c.id = d.component_id WHERE d.line_id = l.id AND "
            f"c.charge = '{kind}' ORDER BY d.position) dc) AS {lines}"
            for lines, total, kind in CHARGES
        )
        + ", "
        f"(SELECT json_group_array(json({reason_json})) FROM (SELECT * FROM line_reasons_all a "
        "WHERE a.line_id = l.id ORDER BY sort, seq)) AS reasons, "
        f"(SELECT json_group_array(json({excluded_json})) FROM (SELECT * FROM plan_exclusions e "
        "JOIN exclusions x ON x.id = e.exclusion_id WHERE e.plan_id = l.plan_id ORDER BY e.position) e) "
        "AS excluded, "
        "(SELECT json_group_array(json(claim)) FROM (SELECT claim FROM line_quota q WHERE q.line_id = l.id "
        "ORDER BY q.position)) AS quota, coalesce(l.extra, '{}') AS extra "
        "FROM lines l JOIN run_files f ON f.id = l.file_id JOIN runs r ON r.id = l.run_id",
        replace=True,
    )
