"""Result batches into the run database and back: the narrow `lines` rows, their duty lines and sparse extras, and
the shared rows (citations, reasons, exclusions, duty components, plans) found or added by content."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import islice, pairwise, repeat

from pydantic_core import to_json

from ..report.result import QuotaClaim
from ..report.result_batch import CHARGES, SCALARS, Component, Exclusion, Plan, ResultBatch, Text, escape
from .store_schema import ARGS
from .store_sums import add_charges, batch_charges

READ_SIZE = 5_000  # lines per batch read back


def family(measure: str) -> str:
    """The family of a measure, for sums across its variants: its id's first two parts (`us.232.steel.50` ->
    `us.232`)."""
    return ".".join(measure.split(".")[:2])


# a number standing alone (12, 3272.80, 0.3464; not in a word, a dotted code or against a brace, so that a hole never
# touches a doubled brace and SQL fills it as Python does)
NUMBER = re.compile(r"(?<![\w.{}])[0-9]+(?:\.[0-9]+)?(?![\w.{}])")


def numbers_apart(message: str) -> tuple[str, str | None]:
    """A line reason's text as a template whose numbers are holes `{0}`, `{1}`, ... (up to `ARGS`; braces
    doubled) and those numbers, space-separated (None: no numbers). `template.format(*numbers)` is the text."""
    parts, numbers, at = [], [], 0
    for found in islice(NUMBER.finditer(message), ARGS):
        parts += [escape(message[at : found.start()]), f"{{{len(numbers)}}}"]
        numbers.append(found.group())
        at = found.end()
    parts.append(escape(message[at:]))
    return "".join(parts), " ".join(numbers) if numbers else None


def numbers_filled(template: str, numbers: str | None) -> str:
    return template.format(*(numbers.split(" ") if numbers else ()))


REMEMBERED = 10_000  # ids remembered per kind of shared row: the main process's memory stays bounded on long runs


def _remember(ids: dict, key: object, found: int) -> int:
    """Remember a shared row's id; past the bound, start again (the rows stay in the database, found by content)."""
    if len(ids) >= REMEMBERED:
        ids.clear()
    ids[key] = found
    return found


class SharedRows:
    """Ids of the content-addressed rows, found or added inside the caller's write transaction and remembered
    (up to `REMEMBERED` of each kind). `forget()` after a failed transaction: its new ids were rolled back."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.forget()

    def forget(self) -> None:
        self.citations: dict[str, int] = {}
        self.reasons: dict[tuple[str, str, str, int], int] = {}
        self.exclusions: dict[Exclusion, int] = {}
        self.components: dict[Component, int] = {}
        self.plans: dict[Plan, int] = {}

    def _id(self, table: str, columns: Sequence[str], values: Sequence[object]) -> int:
        where = " AND ".join(f"[{c}] IS ?" for c in columns)  # IS: NULL finds NULL
        row = self.conn.execute(f"SELECT id FROM [{table}] WHERE {where}", values).fetchone()
        if row is not None:
            return row[0]
        names = ", ".join(f"[{c}]" for c in columns)
        cursor = self.conn.execute(f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' * len(columns))})", values)
        return int(cursor.lastrowid)  # type: ignore[arg-type]

    def citation(self, text: str) -> int:
        found = self.citations.get(text)
        if found is None:
            found = _remember(self.citations, text, self._id("citations", ("text",), (text,)))
        return found

    def reason(self, t: Text) -> int:
        key = (t.severity, t.rule, t.message, self.citation(t.citation))
        found = self.reasons.get(key)
        if found is None:
            columns = ("severity", "rule", "message", "citation_id")
            found = _remember(self.reasons, key, self._id("reasons", columns, key))
        return found

    def line_reason(self, t: Text) -> tuple[int, str | None]:
        """A line reason (literal text) as the id of its template (`numbers_apart`) and its numbers."""
        template, numbers = numbers_apart(t.message)
        return self.reason(t._replace(message=template)), numbers

    def exclusion(self, x: Exclusion) -> int:
        found = self.exclusions.get(x)
        if found is None:
            columns = ("measure", "excluded_by", "reason")
            found = _remember(self.exclusions, x, self._id("exclusions", columns, _values(x)))
        return found

    def component(self, c: Component) -> int:
        found = self.components.get(c)
        if found is None:
            columns = ("measure", "heading", "rate", "basis", "charge", "digits")
            found = self._id("duty_components", columns, _values(c))
            if not self.conn.execute("SELECT family FROM duty_components WHERE id = ?", [found]).fetchone()[0]:
                self.conn.execute("UPDATE duty_components SET family = ? WHERE id = ?", [family(c.measure), found])
            _remember(self.components, c, found)
        return found

    def plan(self, plan: Plan) -> int:
        found = self.plans.get(plan)
        if found is None:
            found = _remember(self.plans, plan, self._plan(plan))
        return found

    def _plan(self, plan: Plan) -> int:
        reasons = [(self.reason(t), duty) for t, duty in plan.reasons]
        exclusions = [(self.exclusion(x), int(portion)) for x, portion in plan.excluded]
        digest = hashlib.sha256(repr((reasons, exclusions)).encode()).digest()[:16]
        row = self.conn.execute("SELECT id FROM plans WHERE digest = ?", [digest]).fetchone()
        if row is not None:
            return row[0]
        cursor = self.conn.execute(
            "INSERT INTO plans (digest, reasons, exclusions) VALUES (?, ?, ?)", [digest, len(reasons), len(exclusions)]
        )
        plan_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        self.conn.executemany(
            "INSERT INTO plan_reasons VALUES (?, ?, ?, ?)", [(plan_id, n, *r) for n, r in enumerate(reasons)]
        )
        self.conn.executemany(
            "INSERT INTO plan_exclusions VALUES (?, ?, ?, ?)", [(plan_id, n, *x) for n, x in enumerate(exclusions)]
        )
        return plan_id


def _values(value: Exclusion | Component) -> tuple[str, ...]:
    return tuple(value)


LINE_COLUMNS = (
    "id",
    "run_id",
    "file_id",
    "row",
    *SCALARS,
    *(total for _, total, _ in CHARGES),
    "declared_delta",
    "plan_id",
    "extra",
)


def write_lines(conn: sqlite3.Connection, shared: SharedRows, run_id: int, file_id: int, b: ResultBatch) -> None:
    """Insert a batch's lines (ids numbered on from the largest: the caller holds the write lock)."""
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM lines").fetchone()[0]
    plans: dict[int, int] = {}
    for plan in b.plan:
        if id(plan) not in plans:
            plans[id(plan)] = shared.plan(plan)
    n = len(b)
    rows = zip(  # column by column (a tuple per line made in C)
        range(first, first + n),
        repeat(run_id, n),
        repeat(file_id, n),
        b.row,
        *(getattr(b, name) for name in SCALARS),
        *(getattr(b, total) for _, total, _ in CHARGES),
        map(_delta, b.declared_duty, b.total_duty),
        [plans[id(plan)] for plan in b.plan],
        [to_json(b.extra[k]).decode() if k in b.extra else None for k in range(n)],
        strict=True,
    )
    conn.executemany(f"INSERT INTO lines VALUES ({', '.join('?' * len(LINE_COLUMNS))})", rows)
    components: dict[int, int] = {}
    for c in b.duty_component:  # the same component is mostly the same object (wire.py, from_results)
        if id(c) not in components:
            components[id(c)] = shared.component(c)
    owner, position, bases = [], [], list(b.duty_basis)
    for k, (start, end) in enumerate(pairwise(b.duty_start)):
        owner += repeat(first + k, end - start)
        position += range(end - start)
        for d in range(start + 1, end):  # a basis the same as the line's first charge line's is stored as NULL
            if bases[d] == b.duty_basis[start]:
                bases[d] = None
    duties = zip(owner, position, [components[id(c)] for c in b.duty_component], bases, b.duty_amount, strict=True)
    conn.executemany("INSERT INTO line_duties VALUES (?, ?, ?, ?, ?)", duties)
    add_charges(conn, run_id, batch_charges(b))
    _write_sparse(conn, shared, first, b)


def _delta(declared: int | None, total: int | None) -> int | None:
    """Declared minus computed duty (minor units), if the line declared one and has a duty."""
    return None if declared is None or total is None else declared - total


def _write_sparse(conn: sqlite3.Connection, shared: SharedRows, first: int, b: ResultBatch) -> None:
    conn.executemany(
        "INSERT INTO line_reasons VALUES (?, ?, ?, ?, ?)",
        [
            (first + n, seq, after, *shared.line_reason(t))
            for n, own in b.line_reasons.items()
            for seq, (after, t) in enumerate(own)
        ],
    )
    conn.executemany(
        "INSERT INTO line_portions VALUES (?, ?, ?)",
        [(first + n, k, p) for n, portions in b.portions.items() for k, p in enumerate(portions)],
    )
    conn.executemany(
        "INSERT INTO line_quota VALUES (?, ?, ?)",
        [(first + n, k, to_json(q).decode()) for n, claims in b.quota.items() for k, q in enumerate(claims)],
    )
    conn.executemany(
        "INSERT INTO line_fields VALUES (?, ?, ?)",
        [(first + n, name, value) for n, fields in b.other.items() for name, value in fields.items()],
    )


def delete_run(conn: sqlite3.Connection, run_id: int) -> None:
    """A run's lines with their duty lines and sparse extras, its charge sums, refunds, files and row (inside the
    caller's transaction; children first, as the foreign keys require)."""
    lines = "SELECT id FROM lines WHERE run_id = ?"
    for table in ("line_duties", "line_reasons", "line_portions", "line_quota", "line_fields"):
        conn.execute(f"DELETE FROM [{table}] WHERE line_id IN ({lines})", [run_id])
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refunds'").fetchone():
        conn.execute("DELETE FROM refunds WHERE run_id = ?", [run_id])  # a `clearance refunds` run's entries
    for table, key in (("run_charges", "run_id"), ("lines", "run_id"), ("run_files", "run_id"), ("runs", "id")):
        conn.execute(f"DELETE FROM [{table}] WHERE {key} = ?", [run_id])


# --- reading back ----------------------------------------------------------------------------------------------------


class SharedCache:
    """Plans and components by id, read as the lines need them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.plans: dict[int, Plan] = {}
        self.components: dict[int, Component] = {}

    def load(self, plan_ids: set[int], component_ids: set[int]) -> None:
        for chunk in _chunks(sorted(plan_ids - self.plans.keys())):
            reasons: dict[int, list] = {p: [] for p in chunk}
            excluded: dict[int, list] = {p: [] for p in chunk}
            marks = ", ".join("?" * len(chunk))
            for plan_id, duty, *text in self.conn.execute(
                "SELECT q.plan_id, q.duty, x.severity, x.rule, x.message, c.text FROM plan_reasons q "
                "JOIN reasons x ON x.id = q.reason_id JOIN citations c ON c.id = x.citation_id "
                f"WHERE q.plan_id IN ({marks}) ORDER BY q.plan_id, q.position",
                chunk,
            ):
                reasons[plan_id].append((Text(*text), duty))
            for plan_id, portion, *x in self.conn.execute(
                "SELECT e.plan_id, e.portion, x.measure, x.excluded_by, x.reason FROM plan_exclusions e "
                f"JOIN exclusions x ON x.id = e.exclusion_id WHERE e.plan_id IN ({marks}) "
                "ORDER BY e.plan_id, e.position",
                chunk,
            ):
                excluded[plan_id].append((Exclusion(*x), bool(portion)))
            for p in chunk:
                self.plans[p] = Plan(tuple(reasons[p]), tuple(excluded[p]))
        for chunk in _chunks(sorted(component_ids - self.components.keys())):
            for cid, *c in self.conn.execute(
                "SELECT id, measure, heading, rate, basis, charge, digits FROM duty_components "
                f"WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ):
                self.components[cid] = Component(*c)


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def read_lines(
    conn: sqlite3.Connection, cache: SharedCache, file_id: int, file: int, path: str | None, minor_units: dict
) -> Iterator[ResultBatch]:
    """A file's stored lines as batches, in input order."""
    last = 0
    while True:
        lines = conn.execute(
            f"SELECT {', '.join(LINE_COLUMNS)} FROM lines WHERE file_id = ? AND row > ? ORDER BY row LIMIT ?",
            [file_id, last, READ_SIZE],
        ).fetchall()
        if not lines:
            return
        last = lines[-1][3]
        yield _batch(conn, cache, lines, file, path, minor_units)


def read_picked(conn: sqlite3.Connection, line_ids: list[int]) -> dict[int, tuple[int, ResultBatch, int]]:
    """Lines picked by id (of any run and file): each as (its file's position, its batch, its offset in it)."""
    cache = SharedCache(conn)
    rows = conn.execute(
        f"SELECT {', '.join(f'l.{c}' for c in LINE_COLUMNS)}, f.position, f.path, r.minor_units FROM lines l "
        f"JOIN run_files f ON f.id = l.file_id JOIN runs r ON r.id = l.run_id WHERE l.id {_marks(line_ids)} "
        "ORDER BY l.id",
        line_ids,
    ).fetchall()
    files: dict[int, list] = {}
    for row in rows:
        files.setdefault(row[2], []).append(row)
    out = {}
    for lines in files.values():
        position, path, units = lines[0][-3:]
        b = _batch(conn, cache, [line[:-3] for line in lines], position, path, json.loads(units or "{}"))
        out |= {line[0]: (position, b, n) for n, line in enumerate(lines)}
    return out


def _batch(
    conn: sqlite3.Connection, cache: SharedCache, lines: list, file: int, path: str | None, minor_units: dict
) -> ResultBatch:
    """Lines (rows of LINE_COLUMNS, in id order) as a batch, with their duty lines, plans and sparse extras."""
    b = ResultBatch(file=file, path=path, minor_units=dict(minor_units))
    offset = {line[0]: n for n, line in enumerate(lines)}
    ids = sorted(offset)
    # consecutive ids (a stretch of a file) are read as one range, others (lines picked here and there) by id
    span = ("BETWEEN ? AND ?", [ids[0], ids[-1]]) if ids[-1] - ids[0] < 2 * len(ids) else (_marks(ids), ids)
    duties = [
        r
        for r in conn.execute(
            f"SELECT line_id, component_id, basis_value, amount FROM line_duties WHERE line_id {span[0]} "
            "ORDER BY line_id, position",
            span[1],
        )
        if r[0] in offset
    ]
    cache.load({line[-2] for line in lines}, {r[1] for r in duties})
    totals = [total for _, total, _ in CHARGES]
    for line_id, _, _, row, *values, delta, plan_id, extra in lines:
        n = offset[line_id]
        b.row.append(row)
        for name, value in zip((*SCALARS, *totals), values, strict=True):
            getattr(b, name).append(value)
        total = b.total_duty[-1]
        b.declared_duty.append(None if delta is None or total is None else total + delta)
        b.plan.append(cache.plans[plan_id])
        if extra is not None:
            b.extra[n] = _json_dict(extra)
    at = 0
    for n in range(len(lines)):
        line_id = lines[n][0]
        first_basis = None
        while at < len(duties) and duties[at][0] == line_id:
            _, cid, basis, amount = duties[at]
            b.duty_component.append(cache.components[cid])
            first_basis = basis if first_basis is None else first_basis
            b.duty_basis.append(first_basis if basis is None else basis)
            b.duty_amount.append(amount)
            at += 1
        b.duty_start.append(at)
    _read_sparse(conn, b, offset, span)
    return b


def _marks(ids: list[int]) -> str:
    return f"IN ({', '.join('?' * len(ids))})"


def _read_sparse(conn: sqlite3.Connection, b: ResultBatch, offset: dict[int, int], ids: tuple[str, list]) -> None:
    where, span = f"line_id {ids[0]}", ids[1]
    for line_id, after, severity, rule, template, numbers, citation in conn.execute(
        "SELECT o.line_id, o.after, x.severity, x.rule, x.message, o.args, c.text FROM line_reasons o "
        "JOIN reasons x ON x.id = o.reason_id JOIN citations c ON c.id = x.citation_id "
        f"WHERE o.{where} ORDER BY o.line_id, o.position",
        span,
    ):
        if line_id in offset:
            text = Text(severity, rule, numbers_filled(template, numbers), citation)
            b.line_reasons.setdefault(offset[line_id], []).append((after, text))
    portions: dict[int, list[str]] = {}
    for line_id, portion in conn.execute(
        f"SELECT line_id, portion FROM line_portions WHERE {where} ORDER BY line_id, position", span
    ):
        if line_id in offset:
            portions.setdefault(offset[line_id], []).append(portion)
    b.portions = {n: tuple(p) for n, p in portions.items()}
    for line_id, claim in conn.execute(
        f"SELECT line_id, claim FROM line_quota WHERE {where} ORDER BY line_id, position", span
    ):
        if line_id in offset:
            b.quota.setdefault(offset[line_id], []).append(QuotaClaim.model_validate_json(claim))
    for line_id, name, value in conn.execute(f"SELECT line_id, field, value FROM line_fields WHERE {where}", span):
        if line_id in offset:
            b.other.setdefault(offset[line_id], {})[name] = value


def _json_dict(text: str) -> dict[str, str]:
    return json.loads(text)
