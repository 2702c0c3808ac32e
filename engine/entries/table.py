"""A table (CSV, TSV or a spreadsheet): its header row and body rows as raw records.

The header decides how the rows are read: an ACE ES-003 report (detected from its columns, or asked for
with `--input-format es003`) is grouped into one record per entry line; any other header is mapped to the
contract's column names (aliases, the user's map). A header with no tariff-code column is an error for the
whole file; a ragged row or a column given twice with two values is its own line's problem."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .es003 import es003_names, group, is_es003, not_es003
from .headers import ColumnMap
from .records import LINE, NOTES, NUMERIC, PROBLEM, bounded, merge_repeats, repeated


@dataclass(frozen=True)
class Row:
    """A body row as a reader found it: its cells as text, its physical line, what is wrong with it (a
    ragged or broken row), and which of its cells were numbers in a spreadsheet."""

    cells: list[str]
    line: int
    problem: str | None = None
    numeric: tuple[int, ...] = ()


class TableError(ValueError):
    """The header cannot be read as asked. The message is one line (the reader adds the file's name)."""


@dataclass(frozen=True)
class Shape:
    """How a table's header is read: the column map, and whether the table must be an ES-003 report."""

    columns: ColumnMap = field(default_factory=ColumnMap)
    es003: bool = False

    def records(self, cells: list[str], rows: Iterator[Row]) -> Iterator[dict]:
        if self.es003 or is_es003(cells):
            if not is_es003(cells):
                raise TableError(not_es003(cells))
            return map(bounded, group(_dicts(es003_names(cells), rows)))
        header = self.columns.header(cells)
        missing = header.hint("hts_code")
        if missing is not None:  # no line could be checked: one error for the file, not one per line
            raise TableError(missing)
        return _dicts(list(header.names), rows, header.notes)


def _dicts(names: list[str], rows: Iterator[Row], notes: tuple = ()) -> Iterator[dict]:
    repeats = repeated(names)
    for row in rows:
        record = dict(zip(names, row.cells, strict=False))
        record[LINE] = row.line
        if repeats:
            merge_repeats(record, row.cells, repeats)
        if row.problem is not None:
            record[PROBLEM] = row.problem
        if notes:
            record[NOTES] = notes
        if row.numeric:
            record[NUMERIC] = tuple(names[n] for n in row.numeric if n < len(names))
        yield bounded(record)
