"""What crosses from a worker process to the main process: a chunk's output pickled so that the values lines share
(plans, reason texts, duty components, exclusions) cross once per worker, not once per chunk; the few `Result`s
that the main process settles cross as their field values.

A worker keeps a `Memo`: each shared value it has sent gets a number, and a chunk sends a value itself only the
first time, its number afterwards (pickle's persistent ids). The main process keeps one `Tables` per worker memo
and rebuilds each output from it. This is exact because a worker checks its chunks in input order and the main
process reads the outputs in input order, so a value's first sending is always read before its numbers. A memo
that reaches `MEMO_LIMIT` values starts again under a new name (memory stays bounded), and says which name it
retired so that the main process drops that table."""

from __future__ import annotations

import io
import itertools
import os
import pickle
from collections.abc import Callable
from typing import Any

from ..report.result import DutyLine, Excluded, QuotaClaim, Reason, Result
from ..report.result_batch import Component, Exclusion, Plan, Text

MEMO_LIMIT = 20_000  # shared values a worker remembers before it starts a new memo (1M lines: 28,000 plans and
# 70,000 duty components); each remembered value is kept alive in the worker and in the main process

# each shared type: its tag, how to take it apart (into plain values or other shared values), how to make it again
_Parts = Callable[[Any], tuple]
_SHARED: dict[type, tuple[int, _Parts]] = {
    Plan: (0, tuple),
    Text: (1, tuple),
    Component: (2, tuple),
    Exclusion: (3, tuple),
}  # not the pending Results' reasons: their texts carry the line's numbers, they would only fill the memo
_MAKE: tuple[Callable[..., Any], ...] = (
    Plan,
    Text,
    Component,
    Exclusion,
)
_MODELS: dict[type, int] = {Result: 0, DutyLine: 1, QuotaClaim: 2, Reason: 3, Excluded: 4}  # sent as values
_MODEL_TYPES = tuple(_MODELS)
_names = itertools.count()


class Memo:
    """A worker's side: the shared values it has sent, by content."""

    def __init__(self) -> None:
        self.name = (os.getpid(), next(_names))
        self.ids: dict[tuple, int] = {}
        self.retired: tuple | None = None

    def dumps(self, obj: object) -> bytes:
        if len(self.ids) >= MEMO_LIMIT:
            self.retired, self.name, self.ids = self.name, (os.getpid(), next(_names)), {}
        out = io.BytesIO()
        pickle.dump((self.name, self.retired), out)
        _Pickler(out, self.ids).dump(obj)
        self.retired = None
        return out.getvalue()


class _Pickler(pickle.Pickler):
    def __init__(self, out: io.BytesIO, ids: dict[tuple, int]) -> None:
        super().__init__(out, protocol=pickle.HIGHEST_PROTOCOL)
        self.ids = ids

    def reducer_override(self, obj: object) -> object:
        """A shared value as its number (`_sent`), or, the first time, as its parts and number (`_new`). Called
        only for objects that are not plain ints, strings, lists, dicts or tuples."""
        shared = _SHARED.get(type(obj))
        if shared is None:
            model = _MODELS.get(type(obj))
            if model is None:
                return NotImplemented
            return _model, (model, tuple(obj.__dict__.values()))
        tag, parts = shared
        fields = parts(obj)
        key = (tag, *fields)
        known = self.ids.get(key)
        if known is not None:
            return _sent, (known,)
        number = self.ids[key] = len(self.ids)
        return _new, (number, tag, tuple(fields))  # its parts may be shared values themselves (a plan's texts)


def _sent(number: int) -> object:  # pragma: no cover - stands in for a table's lookup (`_Unpickler.find_class`)
    raise RuntimeError("a shared value read outside Tables.loads")


def _model(tag: int, values: tuple) -> object:
    """A per-line model made again from its field values (they were valid when it was made)."""
    cls = _MODEL_TYPES[tag]
    return cls.model_construct(**dict(zip(cls.model_fields, values, strict=True)))


def _new(number: int, tag: int, fields: tuple) -> object:  # pragma: no cover - as `_sent`
    raise RuntimeError("a shared value read outside Tables.loads")


class Tables:
    """The main process's side: per worker memo, its values by number."""

    def __init__(self) -> None:
        self._tables: dict[tuple, dict[int, object]] = {}

    def loads(self, data: bytes) -> Any:
        source = io.BytesIO(data)
        header = pickle.Unpickler(source).load()
        name, retired = header
        if retired is not None:
            self._tables.pop(tuple(retired), None)
        return _Unpickler(source, self._tables.setdefault(tuple(name), {})).load()


class _Unpickler(pickle.Unpickler):
    def __init__(self, source: io.BytesIO, table: dict[int, object]) -> None:
        super().__init__(source)
        self.table = table

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_sent":
            return self.table.__getitem__
        if module == __name__ and name == "_new":
            return self.new
        return super().find_class(module, name)

    def new(self, number: int, tag: int, fields: tuple) -> object:
        value = self.table[number] = _MAKE[tag](*fields)
        return value
