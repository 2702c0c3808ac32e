"""Time the HTML run report of a stored run, query by query, and weigh the page (benchmark, not a test).

    python -m benchmarks.generate --lines 1000000 -o benchmarks/data/1m.csv
    clearance check benchmarks/data/1m.csv --db benchmarks/data/1m.db --format none -q
    nice -n 5 python -m benchmarks.report --db benchmarks/data/1m.db --run 1

Prints the seconds of each query of `run_queries.RunFigures`, of the whole page (`html_report.report`, which runs
them again, plus the templates) and the page's size in MB; the targets are < 10 s and < 5 MB at 1M lines."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlite_utils

from clearance.engine.report import html_report
from clearance.engine.report.run_queries import RunFigures


def timed(name: str, call, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = call(*args)
    if hasattr(value, "__next__"):
        value = list(value)
    print(f"{name:<14} {time.perf_counter() - start:7.2f} s", file=sys.stderr)
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--lines", type=int, default=html_report.LINES)
    ap.add_argument("-o", "--output", type=Path, default=None, help="also write the page here")
    args = ap.parse_args(argv)
    figures = RunFigures(sqlite_utils.Database(args.db), args.run)
    print(f"run {args.run}: {figures.run['lines']:,} lines", file=sys.stderr)
    timed("charges", figures.charges)
    timed("entry dates", figures.entry_dates)
    timed("top reasons", figures.top_reasons)
    timed("declared", figures.declared)
    timed("listed lines", figures.flagged, args.lines)
    start = time.perf_counter()
    page = html_report.report(figures, args.lines, str(args.db))
    seconds = time.perf_counter() - start
    size = len(page.encode("utf-8"))
    print(f"{'whole page':<14} {seconds:7.2f} s, {size / 1e6:.2f} MB", file=sys.stderr)
    if args.output:
        args.output.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
