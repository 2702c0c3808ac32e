"""Column names as people write them: the built-in alias table (`aliases.yaml`), the user's own mapping
(`--columns FILE`, `--map COLUMN=HEADER`), and what a header lacks or nearly has.

Mapping happens on the raw records, before the line model: a header's names become the contract's names
(README, "Input columns"); names that are neither pass through as `extra`. A required column that no name
maps to gets a hint naming the closest names; a name close to a known column (`declared_duties`,
`document`) is a warning on every line, never a silent `extra`."""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from .line import COLUMNS, REQUIRED, column_name
from .records import NOTES, PROBLEM, PROBLEM_COLUMN, twice

NEAR = 0.8  # difflib ratio from which a name is "close" to a known one
NAME_LIMIT = 100  # characters of a header cell compared with the known names (none is longer)
SHOWN = 40  # characters of a header cell shown in a hint
HINT_CELLS = 100  # header cells searched for the closest names of a missing column
NEAR_KEYS = 2_000  # distinct unknown names checked for closeness per map (JSON keys may differ on every line)
Note = tuple[str, str, str]  # (kind, column, message): see records.Mark.NOTES


class ColumnMapError(ValueError):
    """A user's column mapping cannot be used (a usage error). The message is one line."""


@functools.lru_cache(maxsize=8192)
def column_key(name: str) -> str:
    """A column name compared as people mean it: NFKC, case-folded, without spaces, punctuation and symbols
    ("Tariff No." and "tariff_no" are one name; full-width "ＨＳ" is "hs"). Control characters are kept: a
    header of UTF-16 read as UTF-8 (NUL between the letters) names no column. Only the first `NAME_LIMIT`
    characters count: a longer cell is no known name whatever follows."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name[:NAME_LIMIT]).casefold() if not _ignored(ch))


def _ignored(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PSZ" or unicodedata.category(ch) == "Cf"


@functools.cache
def alias_table() -> dict:
    """`aliases.yaml`: `aliases` (contract column -> names) and `es003` (the ACE report's columns)."""
    text = resources.files(__package__).joinpath("aliases.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def aliases() -> dict[str, tuple[str, ...]]:
    """Every contract column with the names people write for it (the contract's own name first)."""
    table = alias_table()["aliases"]
    return {c: (c, *table.get(c, ())) for c in COLUMNS}


@dataclass(frozen=True)
class Header:
    names: tuple[str, ...]  # each input column's name as the line parser reads it
    notes: tuple[Note, ...] = ()

    def hint(self, column: str) -> str | None:
        """Why a required column is missing, with the closest names, if the header lacks it."""
        return next((message for kind, c, message in self.notes if kind == "missing" and c == column), None)


@dataclass(frozen=True)
class ColumnMap:
    """The built-in aliases, replaced column by column by the user's mapping (contract column -> headers)."""

    user: tuple[tuple[str, tuple[str, ...]], ...] = ()
    names: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)  # column -> names
    index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # column_key(name) -> column
    near: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)  # key -> close column

    def __post_init__(self) -> None:
        own = dict(self.user)
        names = {column: (column, *own[column]) if column in own else known for column, known in aliases().items()}
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "index", {column_key(n): c for c, known in names.items() for n in known})

    def header(self, cells: Iterable[object]) -> Header:
        """A header's names as the contract's, with the notes every record of the file carries."""
        return self._header(tuple("" if c is None else str(c) for c in cells))

    @functools.lru_cache(maxsize=256)  # noqa: B019 - a few maps per run; JSON records repeat their keys
    def _header(self, cells: tuple[str, ...]) -> Header:
        names = tuple(self.index.get(column_key(c), column_name(c)) for c in cells)
        present = set(names)
        notes = [("missing", c, self._missing(c, cells)) for c in REQUIRED if c not in present]
        for cell, name in zip(cells, names, strict=True):
            near = None if name in self.index.values() else self._near(cell)
            if near and near not in present and near not in REQUIRED:
                notes.append(("warning", near, _not_read(_one_line(cell), near)))
        return Header(names, tuple(notes))

    def _near(self, cell: str) -> str | None:
        """The known column a name is close to (a typo or a plural), if any (remembered per name, for at
        most `NEAR_KEYS` names: past them an unknown name is not checked)."""
        key = column_key(cell)
        if len(key) < 4 or (key not in self.near and len(self.near) >= NEAR_KEYS):
            return None
        if key not in self.near:
            close = difflib.get_close_matches(key, list(self.index), n=1, cutoff=NEAR)
            self.near[key] = self.index[close[0]] if close else None
        return self.near[key]

    def _missing(self, column: str, cells: tuple[str, ...]) -> str:
        names = self.names[column]
        keys = {column_key(c): _one_line(c) for c in cells[:HINT_CELLS] if c.strip()}
        close: list[str] = []
        for name in names:
            close += difflib.get_close_matches(column_key(name), list(keys), n=2, cutoff=0.6)
        close = sorted(dict.fromkeys(close), key=lambda k: -max(_ratio(k, column_key(n)) for n in names))[:3]
        if close:
            shown = ", ".join(repr(keys[k]) for k in close)
            example = f'--map {column}="{keys[close[0]]}"'
            return f"the header has no {column} column (closest: {shown}; map one with {example})"
        known = ", ".join(names[:6])
        return f"the header has no {column} column (names known for it: {known}; map yours with --map {column}=HEADER)"

    def record(self, raw: Mapping[object, object]) -> dict:
        """A JSON record with its names mapped, carrying its header's notes (a reader's marks kept)."""
        columns = [(k, v) for k, v in raw.items() if type(k) is str]
        header = self._header(tuple(k for k, _ in columns))
        record: dict = {}
        for name, (_, value) in zip(header.names, columns, strict=True):
            had = record.get(name)
            if name not in record or _blank(had):
                record[name] = value  # two keys of one column: the first non-empty value, as for a CSV header
            elif name and not _blank(value) and str(value).strip() != str(had).strip() and PROBLEM not in record:
                record[PROBLEM], record[PROBLEM_COLUMN] = twice(name, str(had).strip(), str(value).strip()), name
        record.update((k, v) for k, v in raw.items() if type(k) is not str)
        if header.notes and PROBLEM not in record:  # a record that cannot be read says why, not what it lacks
            record[NOTES] = header.notes
        return record


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _one_line(cell: str) -> str:
    """A header cell as one short line of text (a quoted cell may hold line breaks, or be 64 KiB long)."""
    text = " ".join(cell[: SHOWN * 4].split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _not_read(cell: str, column: str) -> str:
    return f'column {cell!r} is not read: did you mean {column}? (rename it, or --map {column}="{cell}")'


def user_map(pairs: Iterable[str] = (), file: Path | None = None) -> ColumnMap:
    """The user's mapping: `--columns FILE` (YAML `column: header` or `column: [headers]`), then `--map`
    `COLUMN=HEADER` pairs. ColumnMapError names what is wrong."""
    mapped: dict[str, list[str]] = {}
    if file is not None:
        for column, names in _read_map(file).items():
            mapped.setdefault(_column(column), []).extend(names)
    for pair in pairs:
        column, sep, header = pair.partition("=")
        if not sep or not header.strip():
            raise ColumnMapError(f'--map {pair!r}: expected COLUMN=HEADER, e.g. hts_code="Tariff No."')
        mapped.setdefault(_column(column), []).append(header.strip())
    return ColumnMap(tuple((c, tuple(n)) for c, n in mapped.items()))


def _read_map(file: Path) -> dict[str, list[str]]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ColumnMapError(f"{file}: cannot read the column map: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str | list) for v in data.values()):
        raise ColumnMapError(f"{file}: a column map is YAML `column: header` (or `column: [headers]`) pairs")
    return {str(k): [v] if isinstance(v, str) else [str(x) for x in v] for k, v in data.items()}


def _column(name: str) -> str:
    column = name.strip().lower()
    if column not in COLUMNS:
        known = ColumnMap().index.get(column_key(name))  # an alias names its column
        close = [known] if known else difflib.get_close_matches(column, COLUMNS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise ColumnMapError(f"{name.strip()!r} is not an input column ({hint}columns: {', '.join(COLUMNS)})")
    return column
