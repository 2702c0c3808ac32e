"""Hostile-input probes: a corpus of hostile files and faults run through every command of `clearance`.

    python -m benchmarks.probe                 # every probe; prints one line per probe and the counts
    python -m benchmarks.probe -k xlsx         # only the probes whose name or class holds the text
    python -m benchmarks.probe --list

The probes are in benchmarks/probe_cases.py, the files they build in benchmarks/probe_corpus.py, and how a
command is run and judged in benchmarks/probe_run.py. Exit code 0 when every probe holds."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import probe_cases  # noqa: F401  (registers the probes)
from benchmarks.probe_run import PROBES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only the probes whose name or class holds this text")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the probe folders")
    args = parser.parse_args(argv)
    chosen = [p for p in PROBES if args.k in p.name or args.k in p.kind]
    if args.list:
        for p in chosen:
            print(f"{p.kind:<10} {p.name}")
        return 0
    base = Path(tempfile.mkdtemp(prefix="clearance-probe-"))
    held = broken = 0
    worst = ("", 0.0)
    for p in chosen:
        where = base / p.name
        where.mkdir()
        started = time.monotonic()
        try:
            problem, r = p.body(where)
        except Exception as exc:  # the probe's own setup failed: report it, keep going
            problem, r = f"probe error: {type(exc).__name__}: {exc}", None
        if r is not None and r.rss_mb > worst[1]:
            worst = (p.name, r.rss_mb)
        held, broken = held + (not problem), broken + bool(problem)
        rss = f"{r.rss_mb:7.0f} MB" if r else " " * 10
        print(
            f"{'held  ' if not problem else 'BROKEN'} {p.kind:<9} {p.name:<44} {time.monotonic() - started:6.1f} s "
            f"{rss}  {problem[:160]}",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)
    print(
        f"\n{len(chosen)} probes / {held} held / {broken} broken; worst input's peak RSS {worst[1]:.0f} MB ({worst[0]})"
    )
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
