"""The I/O floor: read an entry file and store one result row per line in the run store, with no rules.

    python -m benchmarks.floor FILE DB

The same reader, the same SQLite schema (tables, indexes, WAL), the same chunks (`CHUNK` lines) in one
transaction each, and the same running totals as `clearance check --db`; only the checking is left out
(every line is stored as `accept` with no duty, reasons or exclusions)."""

from __future__ import annotations

import sys
from itertools import islice

from clearance.engine.entries.readers import RecordSource
from clearance.engine.report.summary import Summary
from clearance.engine.run.batch import CHUNK
from clearance.engine.run.inputs import InputFile, file_digest
from clearance.engine.run.store import Store, add_rows


def row(file: int, n: int, rec: dict) -> tuple:
    get = rec.get
    ids = (get("entry_number"), get("line_number"), get("destination"), get("hts_code"), get("origin"))
    return (file, n, *ids, get("entry_date"), "accept", "0", "", "[]", "[]", "[]", "[]", "{}")


def floor(path: str, db: str) -> int:
    store = Store(db)
    run_id = store.begin_run(
        {"law_as_of": "", "rules_hash": "", "options": "{}"}, [InputFile(path, file_digest(path), None)], {}
    )
    totals, first = Summary(), 1
    records = iter(RecordSource(path))
    while chunk := list(islice(records, CHUNK)):
        rows = [row(0, first + k, rec) for k, rec in enumerate(chunk)]
        add_rows(totals, rows)
        first += len(rows)
        store.write_chunk(run_id, 0, first - 1, rows, [], totals)
    store.finish(run_id, "finished")
    return totals.lines


if __name__ == "__main__":
    print(f"{floor(sys.argv[1], sys.argv[2])} lines stored", file=sys.stderr)
