"""Time the HTML run report of a stored run, query by query, and weigh the page (benchmark, not a test).

    python -m benchmarks.generate --lines 1000000 -o benchmarks/data/1m.csv
    clearance check benchmarks/data/1m.csv --db benchmarks/data/1m.db --format none -q
    nice -n 5 python -m benchmarks.report --db benchmarks/data/1m.db --run 1

Prints the seconds (wall, and CPU of this process) of each query of `run_queries.RunFigures`, of the whole page
(`html_report.report`, which runs them again, plus the templates), the page's size in MB and its largest sections;
the targets are < 10 s and < 5 MB at 1M lines. A database of an older schema is upgraded first (timed apart)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from clearance.engine.report import html_report
from clearance.engine.report.run_queries import RunFigures
from clearance.engine.run.store import Store

SECTION = re.compile(r'<section id="([^"]+)">.*?</section>', re.S)


def timed(name: str, call, *args):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    value = call(*args)
    if hasattr(value, "__next__"):
        value = list(value)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{name:<14} {wall:7.2f} s wall {cpu:6.2f} s CPU", file=sys.stderr)
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--lines", type=int, default=html_report.LINES)
    ap.add_argument("-o", "--output", type=Path, default=None, help="also write the page here")
    args = ap.parse_args(argv)
    store = timed("open (upgrade)", Store, args.db)
    figures = RunFigures(store.db, args.run)
    print(f"run {args.run}: {figures.run['lines']:,} lines", file=sys.stderr)
    timed("charges", figures.charges)
    timed("entry dates", figures.entry_dates)
    timed("top reasons", figures.top_reasons)
    timed("declared", figures.declared)
    timed("listed lines", figures.flagged, args.lines)
    page = timed("whole page", html_report.report, figures, args.lines, str(args.db))
    size = len(page.encode("utf-8"))
    sections = sorted(((len(m.group(0).encode()), m.group(1)) for m in SECTION.finditer(page)), reverse=True)
    print(f"page {size / 1e6:.2f} MB; largest sections:", file=sys.stderr)
    for n, name in sections[:4]:
        print(f"  {name:<12} {n / 1e6:6.2f} MB", file=sys.stderr)
    if args.output:
        args.output.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
