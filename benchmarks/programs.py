"""How many lines of an entry file the compute stage's programs do, and how many the reference resolve does.

    python -m benchmarks.programs FILE [--law-as-of 2026-12-31] [--chunk-size 1000]

Runs the chunks of FILE through `compute.columns.computed_batch` in this process (one worker, no store) and prints
the lines done by programs, the lines left to the reference resolve (`Checker.resolved`), the lines made as `Result`s
for settling (`settled`: a per-entry fee or the tolerance, within the chunk or in the main process; quota claims)
and the programs kept."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from itertools import islice

from clearance.engine import load_rules
from clearance.engine.compute.columns import computed_batch
from clearance.engine.entries.readers import read_records
from clearance.engine.run.check import Checker
from clearance.engine.run.chunks import minor_units, needs_settle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--law-as-of", default="2026-12-31")
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    packs = load_rules()
    checker = Checker(packs, dt.date.fromisoformat(args.law_as_of))
    units = minor_units(packs)
    counts: Counter = Counter()
    records = iter(read_records(args.file))
    row = 1
    while chunk := list(islice(records, args.chunk_size)):
        _, results, found = computed_batch(checker, chunk, row, 0, args.file, units)
        counts.update(found)
        counts["settled"] += sum(1 for r in results.values() if needs_settle(checker, r))
        counts["quota"] += sum(1 for r in results.values() if r.quota)
        row += len(chunk)
    lines = counts["program"] + counts["reference"]
    for name in ("program", "reference", "settled", "quota"):
        print(f"{name:10s} {counts[name]:>9,} lines  {100 * counts[name] / lines:5.1f}%")
    print(f"programs   {checker.programs():>9,} (distinct matched-rule sets)")


if __name__ == "__main__":
    main()
