"""Read side of the HTS store: editions by entry date, lines with inherited rates, nearest codes, special rates.

How the export carries rates (checked on the 2025 and 2026 Basic Editions, see tests/reference/test_hts.py): the three
rate columns are filled on the 8-digit subheading, or on a 10-digit line when the subheading has no statistical
breakdown (0101.30.00.00: then no separate 8-digit row exists); statistical suffixes (10 digits) leave them blank
and inherit from their 8-digit line, which is always their ancestor in the indent hierarchy; headings (4 and 6
digits) and text-only header rows never carry rates. A column left blank on a 10-digit line is taken from its
8-digit line, column by column (9006.59.15.20 has its own Column 2 rate and inherits the General one).

An edition is in force from its effective date until the next edition's. Each edition is read from SQLite once,
on first use, into memory; an `HtsReference` holds no open connection, so it can be shared by worker processes."""

from __future__ import annotations

import bisect
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..duty.codes import format_code
from .importer import HtsError
from .rates import special_programs

_FIELDS = "pos, code, indent, description, units, general, special, column2, quota, additional, parent"


@dataclass(frozen=True)
class Edition:
    name: str
    effective: dt.date
    source: str
    sha256: str
    lines: int
    imported_at: str

    def label(self) -> str:
        return f"HTSUS {self.name} edition"

    def citation(self) -> str:
        return f"HTSUS {self.name} edition (in force from {self.effective}, {self.source})"


@dataclass(frozen=True)
class HtsRow:
    """One row of the export as stored: `code` is digits ('' on a text-only header row)."""

    pos: int
    code: str
    indent: int
    description: str
    units: tuple[str, ...]
    general: str
    special: str
    column2: str
    quota: str
    additional: str
    parent: int | None


@dataclass(frozen=True)
class HtsLine:
    """A tariff line of one edition with its rates resolved: a blank column of a statistical line is its
    8-digit line's (`general_from` says which line the General rate was read from)."""

    edition: Edition
    row: HtsRow
    general: str
    special: str
    column2: str
    general_from: str
    units: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.row.code

    @property
    def dotted(self) -> str:
        return format_code(self.row.code)

    @property
    def description(self) -> str:
        return self.row.description

    def programs(self) -> dict[str, str]:
        """{program: rate text} of the Special column."""
        return special_programs(self.special)


class _Index:
    """One edition in memory: rows in file order, rows by code, sorted 10- and 8-digit codes."""

    def __init__(self, rows: list[HtsRow]) -> None:
        self.rows = rows
        self.by_code = {r.code: r for r in rows if r.code}
        self.tens = sorted(c for c in self.by_code if len(c) == 10)
        self.eights = sorted({c for c in self.by_code if len(c) == 8} | {c[:8] for c in self.tens})
        self._eight_set = frozenset(self.eights)

    def row(self, code: str) -> HtsRow | None:
        """The row of `code`; an 8-digit subheading without its own row is its single 10-digit row."""
        found = self.by_code.get(code)
        if found is None and len(code) == 8 and code in self._eight_set:
            i = bisect.bisect_left(self.tens, code)
            found = self.by_code[self.tens[i]]
        return found

    def units_under(self, code: str) -> tuple[str, ...]:
        """The units of quantity of the statistical lines of a subheading, in order of appearance."""
        lo = bisect.bisect_left(self.tens, code)
        hi = bisect.bisect_left(self.tens, code + ":")
        return tuple(dict.fromkeys(u for c in self.tens[lo:hi] for u in self.by_code[c].units))

    def exists(self, code: str) -> bool:
        if len(code) == 8:
            return code in self._eight_set
        return code in self.by_code

    def nearest(self, code: str, n: int) -> list[str]:
        """The `n` valid codes of the same length closest to `code`: those sharing its longest prefix, then
        the numerically closest of them."""
        pool = self.eights if len(code) == 8 else self.tens if len(code) == 10 else sorted(self.by_code)
        for size in range(len(code), -1, -1):
            lo = bisect.bisect_left(pool, code[:size])
            hi = bisect.bisect_left(pool, code[:size] + ":")  # ':' sorts after every digit
            if lo < hi:
                break
        else:  # pragma: no cover - size 0 always matches a non-empty pool
            return []
        at = bisect.bisect_left(pool, code, lo, hi)
        window = pool[max(lo, at - n) : min(hi, at + n)]
        same_length = [c for c in window if len(c) == len(code)] or window
        closest = sorted(same_length, key=lambda c: (abs(int(c) - int(code)) if c.isdigit() else 0, c))[:n]
        return sorted(closest)


class HtsReference:
    """The HTS editions of a SQLite store (see engine/reference/importer.py), chosen by entry date."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        if not self.db_path.is_file():
            raise HtsError(f"{self.db_path}: no such HTS database (import an edition with `clearance hts import`)")
        rows = self._query("SELECT name, effective, source, sha256, lines, imported_at FROM hts_editions", ())
        self.editions = sorted(
            (Edition(r[0], dt.date.fromisoformat(r[1]), r[2], r[3], r[4], r[5]) for r in rows),
            key=lambda e: e.effective,
        )
        self._starts = [e.effective for e in self.editions]
        self._indexes: dict[str, _Index] = {}

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        try:
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise HtsError(f"{self.db_path}: not an HTS database ({exc})") from exc

    def edition_for(self, date: dt.date) -> Edition | None:
        """The edition in force on `date`: the latest one whose effective date is on or before it."""
        i = bisect.bisect_right(self._starts, date)
        return self.editions[i - 1] if i else None

    def edition(self, name: str) -> Edition | None:
        return next((e for e in self.editions if e.name == name), None)

    def _index(self, edition: Edition) -> _Index:
        index = self._indexes.get(edition.name)
        if index is None:
            raw = self._query(f"SELECT {_FIELDS} FROM hts_lines WHERE edition = ? ORDER BY pos", (edition.name,))
            rows = [HtsRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), *r[5:10], r[10]) for r in raw]
            index = self._indexes[edition.name] = _Index(rows)
        return index

    def lookup(self, code: str, date: dt.date) -> HtsLine | None:
        """The line of `code` (digits, dots ignored) in the edition in force on `date`, rates resolved."""
        edition = self.edition_for(date)
        return None if edition is None else self.line(edition, code)

    def line(self, edition: Edition, code: str) -> HtsLine | None:
        index = self._index(edition)
        digits = _digits(code)
        row = index.row(digits)
        if row is None:
            return None
        own = index.by_code.get(row.code[:8]) if len(row.code) == 10 else None
        source = own if own is not None and own is not row else None

        def pick(column: str) -> str:
            value = getattr(row, column)
            return value if value or source is None else getattr(source, column)

        general_from = row.code if row.general or source is None else source.code
        units = row.units or index.units_under(row.code)
        return HtsLine(edition, row, pick("general"), pick("special"), pick("column2"), general_from, units)

    def exists(self, code: str, date: dt.date) -> bool:
        """A 10-digit code must be a line of the edition; an 8-digit code a subheading (with or without
        statistical suffixes). False when no edition is in force."""
        edition = self.edition_for(date)
        return edition is not None and self._index(edition).exists(_digits(code))

    def nearest(self, code: str, date: dt.date, n: int = 3) -> list[str]:
        """Up to `n` valid codes (digits) of the same length, closest to `code`, in code order."""
        edition = self.edition_for(date)
        return [] if edition is None else self._index(edition).nearest(_digits(code), n)

    def ancestors(self, line: HtsLine) -> list[HtsRow]:
        """The rows above `line` in the hierarchy, outermost first (headings, subheadings, text rows)."""
        rows = self._index(line.edition).rows
        out = []
        parent = line.row.parent
        while parent is not None:
            out.append(rows[parent])
            parent = rows[parent].parent
        return out[::-1]

    def special_rate(self, line: HtsLine, programs: Iterable[str]) -> tuple[str, str] | None:
        """(program, rate text) for the first claimed program (in sorted order) that the Special column lists.
        A claim of `A` also finds a restricted listing `A*` or `A+` (returned as listed), after exact ones."""
        listed = line.programs()
        claimed = sorted({p.strip().upper() for p in programs if p.strip()})
        for program in claimed:
            if program in listed:
                return program, listed[program]
        for program in claimed:
            for variant in (f"{program}*", f"{program}+"):
                if variant in listed:
                    return variant, listed[variant]
        return None


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())
