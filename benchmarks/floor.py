"""The I/O floor: read an entry file and store one result row per line in the run store, with no rules.

    python -m benchmarks.floor FILE DB

The same reader, the same SQLite schema (tables, indexes, WAL), the same chunks (`CHUNK` lines) in one
transaction each, and the same running totals as `clearance check --db`; only the checking is left out
(every line is stored as `accept` with no duty, reasons or exclusions: a result batch made column by column)."""

from __future__ import annotations

import sys
from itertools import islice

from clearance.engine.entries.readers import RecordSource
from clearance.engine.report.result_batch import IDENTITY, NO_PLAN, ResultBatch
from clearance.engine.report.summary import Summary
from clearance.engine.run.batch import CHUNK
from clearance.engine.run.inputs import InputFile, file_digest
from clearance.engine.run.store import Store


def batch(first: int, records: list[dict]) -> ResultBatch:
    """The records as a batch of `accept` lines with no duty, reasons or exclusions, column by column."""
    b = ResultBatch(row=list(range(first, first + len(records))))
    for name in IDENTITY:
        getattr(b, name).extend(rec.get(name) for rec in records)
    n = len(records)
    b.verdict, b.currency = ["accept"] * n, [""] * n
    b.total_duty, b.total_taxes, b.total_fees = [0] * n, [0] * n, [0] * n
    b.declared_duty, b.plan, b.duty_start = [None] * n, [NO_PLAN] * n, [0] * (n + 1)
    return b


def floor(path: str, db: str) -> int:
    store = Store(db)
    run_id = store.begin_run(
        {"law_as_of": "", "rules_hash": "", "options": "{}"}, [InputFile(path, file_digest(path), None)], {}
    )
    totals, first = Summary(), 1
    records = iter(RecordSource(path))
    while chunk := list(islice(records, CHUNK)):
        b = batch(first, chunk)
        totals.add(b)
        first += len(chunk)
        store.write_batch(run_id, b, first - 1, totals)
    store.finish(run_id, "finished")
    return totals.lines


if __name__ == "__main__":
    print(f"{floor(sys.argv[1], sys.argv[2])} lines stored", file=sys.stderr)
