"""Time writing a run into the run store, and the part of it that keeps the run's charge sums (benchmark, not a test).

    nice -n 5 python -m benchmarks.store_write --db benchmarks/data/1m.db --run 1 --lines 100000

Reads the first `--lines` stored lines of run `--run` back as result batches (not timed), writes them as a new run
into a fresh database the way `clearance check` does (`Store.write_batch`, one transaction a batch), and prints the
seconds (wall and CPU) of the whole write, the seconds spent summing and storing the charge sums
(`store_sums.batch_charges` + `add_charges`), and the size of the new database and of its `run_charges` table."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from clearance.engine.report.summary import Summary
from clearance.engine.run import store_lines
from clearance.engine.run.inputs import InputFile
from clearance.engine.run.store import Store

SPENT = [0.0]


def timed(call: Callable) -> Callable:  # type: ignore[type-arg]
    def inner(*args):  # type: ignore[no-untyped-def]
        start = time.process_time()
        try:
            return call(*args)
        finally:
            SPENT[0] += time.process_time() - start

    return inner


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--lines", type=int, default=100_000)
    args = ap.parse_args(argv)
    source = Store(args.db)
    run = source.run(args.run)
    batches, lines = [], 0
    for b in source.batches(args.run):
        batches.append(b)
        lines += len(b)
        if lines >= args.lines:
            break
    store_lines.batch_charges = timed(store_lines.batch_charges)  # type: ignore[assignment]
    store_lines.add_charges = timed(store_lines.add_charges)  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        target = Store(Path(folder) / "w.db")
        files = [InputFile(f["path"], f["sha256"], f["bytes"]) for f in source.files(args.run)]
        meta = {"law_as_of": run["law_as_of"], "rules_hash": run["rules_hash"], "options": run["options"]}
        run_id = target.begin_run(meta, files, json.loads(run["minor_units"]))
        totals = Summary()
        start, cpu = time.perf_counter(), time.process_time()
        for b in batches:
            totals.add(b)
            target.write_batch(run_id, b, b.row[-1], totals)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        pages = target.db.execute("SELECT count(*) FROM dbstat WHERE name = 'run_charges'").fetchone()[0]
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
        rows = target.db.execute("SELECT count(*) FROM run_charges").fetchone()[0]
    print(f"{lines:,} lines in {len(batches)} batches written: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
    print(f"charge sums: {SPENT[0]:.2f} s CPU ({100 * SPENT[0] / cpu:.1f}% of the write)", file=sys.stderr)
    print(f"database {size / 1e6:.1f} MB, run_charges {rows:,} rows in {pages} pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
