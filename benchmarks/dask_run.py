"""The Dask benchmark: the same file checked end to end by local worker processes and by `--executor dask`.

    python -m benchmarks.dask_run --lines 1000000 --workers 2 [--scheduler tcp://HOST:8786]

Both runs store every line in SQLite (`--format none`), each in its own process, measured as benchmarks/run.py
measures (wall, CPU of the process tree, peak RSS). Without `--scheduler` the Dask run starts a local cluster of
`--workers` processes (its start-up is in the time); with one, the cluster at that address (start it with
`dask scheduler` and `dask worker ADDRESS --nworkers N --nthreads 1` on each machine). The ratio is Dask's wall
time over the local run's."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from benchmarks.run import DATA, LAW, Measured, entry_file, measure


def run(lines: int, seed: int, workers: int, scheduler: str | None) -> list[Measured]:
    path = entry_file(lines, seed)
    check = [sys.executable, "-m", "clearance.cli.main", "check", str(path), "--law-as-of", LAW, "--format", "none"]
    check += ["--quiet", "--workers", str(workers)]
    dask = ["--executor", "dask"] + (["--scheduler", scheduler] if scheduler else [])
    out = []
    for name, extra in (("local processes", []), ("dask" + (f" at {scheduler}" if scheduler else " (local)"), dask)):
        db = DATA / f"bench-dask-{len(out)}-{lines}.db"
        out.append(measure(name, [*check, *extra, "--db", str(db)], lines, db))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return out


def report(results: list[Measured], workers: int) -> str:
    local, dask = results
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [f"{local.lines:,} lines, {workers} workers, load average {load:.1f} at the end"]
    rows.append(f"{'':<32} {'seconds':>8} {'CPU s':>8} {'lines/s':>9} {'RSS MB':>7}")
    for m in results:
        rows.append(f"{m.name:<32} {m.seconds:>8.1f} {m.cpu_seconds:>8.1f} {m.rate:>9,.0f} {m.peak_mb:>7.0f}")
    rows.append(f"dask / local wall time: {dask.seconds / local.seconds:.2f}x")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="a running Dask scheduler (default: a local cluster)")
    args = ap.parse_args(argv)
    print(report(run(args.lines, args.seed, args.workers, args.scheduler), args.workers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
