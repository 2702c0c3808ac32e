"""A Checker shared by threads: safe (one thread at a time), never silently mixed up.

Unlocked, two threads on one Checker mixed up the matcher's hit set: some chunks came back with another
chunk's matches, or raised (a probe on a generated file, before the lock)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from benchmarks.generate import write
from clearance.engine import Checker, load_rules
from clearance.engine.entries.readers import read_records

LAW = dt.date(2026, 11, 25)


def test_two_threads_on_one_checker_give_the_results_of_one(tmp_path: Path) -> None:
    write(tmp_path / "entries.csv", 2000, 5)  # realistic, varied lines: many match keys no chunk has seen yet
    records = list(read_records(str(tmp_path / "entries.csv")))
    chunks = [(records[i : i + 100], i + 1) for i in range(0, len(records), 100)]
    alone = Checker(load_rules(None), LAW)
    expected = [[r.record() for r in alone.check_chunk(*chunk)] for chunk in chunks]

    shared = Checker(load_rules(None), LAW)
    got: dict[int, dict[int, list[dict]]] = {}
    failed: list[BaseException] = []

    def work(thread: int) -> None:
        order = range(len(chunks)) if thread == 0 else reversed(range(len(chunks)))  # both meet new keys
        try:
            got[thread] = {n: [r.record() for r in shared.check_chunk(*chunks[n])] for n in order}
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed
    for thread in got.values():
        assert [thread[n] for n in range(len(chunks))] == expected
