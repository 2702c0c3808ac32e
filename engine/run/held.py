"""Chunks held back while an entry they hold a line of is still open.

What the law computes per entry (resolve/per_entry.py) is known only once the entry's last line has been
checked, which may be in a later chunk. The run records chunks in input order; a chunk waits here until every
line of it that takes part in an entry's settlement has been settled, then goes on to be recorded. A run
stopped meanwhile has not recorded the held chunks, so a resumed run checks their lines again."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..report.result import Result

if TYPE_CHECKING:
    from .check import Checker
    from .chunks import ChunkOut


class HeldChunks:
    def __init__(
        self, checker: Checker, put: Callable[[ChunkOut, int, Result], None], split: Callable[[ChunkOut, int], None]
    ) -> None:
        """`put(out, n, result)` writes line `n` of a chunk back, settled; `split(out, n)` flags line `n` of an
        entry settled in the worker as one whose lines are not together in the file."""
        self._entries = checker.entry_groups()
        self._takes_part = checker.takes_part
        self._put = put
        self._split = split
        self._held: deque[ChunkOut] = deque()
        self._waiting: dict[int, int] = {}  # id of a held chunk -> its lines still waiting for their entry

    def feed(self, out: ChunkOut) -> list[ChunkOut]:
        """Take the next chunk (settled for caps); give back the chunks now ready, in input order."""
        if self._held and out.file != self._held[-1].file:  # entries do not run across files
            self._settled(self._entries.close())
        self._held.append(out)
        self._waiting[id(out)] = 0
        events: list[tuple[int, tuple | None, list[int]]] = [
            (n, None, []) for n, result in out.pending.items() if self._takes_part(result)
        ]
        events += [(offsets[0], key, offsets) for key, offsets in out.entries]  # settled in the worker
        for n, key, offsets in sorted(events, key=lambda event: event[0]):
            if key is None:
                self._waiting[id(out)] += 1
                self._settled(self._entries.add((out, n), out.pending[n]))
                continue
            done, again = self._entries.passed(key)
            self._settled(done)
            for m in offsets if again else ():
                self._split(out, m)
        return self._ready()

    def close(self) -> list[ChunkOut]:
        """The end of the run: every open entry settled, every held chunk given back."""
        self._settled(self._entries.close())
        return self._ready()

    def _settled(self, done: list[tuple[object, Result]]) -> None:
        for handle, result in done:
            out, n = handle  # type: ignore[misc]
            self._put(out, n, result)
            self._waiting[id(out)] -= 1

    def _ready(self) -> list[ChunkOut]:
        ready = []
        while self._held and self._waiting[id(self._held[0])] == 0:
            out = self._held.popleft()
            del self._waiting[id(out)]
            ready.append(out)
        return ready
