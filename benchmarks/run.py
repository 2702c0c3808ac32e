"""The benchmark: one command, one generated file, three measurements, one table.

    python -m benchmarks.run --lines 1000000

1. `clearance check FILE --db DB --format none` end to end (reading, checking on every core, settling,
   storing every line in SQLite);
2. the I/O floor (`benchmarks.floor`): the same file read and the same number of result rows stored in the
   same schema, with no rules;
3. the naive baseline (`benchmarks.naive`): one durable-rules `post` per line, one rule per measure, on
   the first `--naive-lines` lines of the same file (it is slow; lines/s is what is compared).

Each runs as its own process; wall time, CPU time (all its processes), lines/s (per wall second and per
CPU second: the second does not depend on what else the machine runs) and peak RSS (the sum over the
process and its workers, sampled every 0.1 s; PSS, which counts the pages that forked workers share
with the main process once; and the largest single process) are reported. The entry
file is generated once per size and seed under benchmarks/data/ (not in git); the databases are deleted
unless `--keep`."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import generate

DATA = Path(__file__).resolve().parent / "data"
LAW = "2026-12-31"
TARGETS = {"lines/s": 50_000, "x naive": 3.0, "x floor": 3.0, "peak MB": 400}


@dataclass
class Measured:
    name: str
    lines: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    peak_pss_mb: float
    largest_mb: float
    db_mb: float

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def tree(pid: int) -> list[int]:
    """The process and all its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo.extend(int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split())
        except OSError:
            continue
    return out


def memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS (shared pages divided among the processes sharing them) of one process, in MB."""
    found = {"Rss:": 0.0, "Pss:": 0.0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key = line.split(maxsplit=1)[0] if line else ""
            if key in found:
                found[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return found["Rss:"], found["Pss:"]


def measure(name: str, cmd: list[str], lines: int, db: Path) -> Measured:
    """Run `cmd`; wall time and peak RSS of its process tree."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = pss = largest = 0.0
    while proc.poll() is None:
        sizes = [memory_mb(p) for p in tree(proc.pid)]
        peak, pss = max(peak, sum(r for r, _ in sizes)), max(pss, sum(p for _, p in sizes))
        largest = max(largest, *(r for r, _ in sizes), 0.0)
        time.sleep(0.1)
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{name} failed ({proc.returncode}): {err.strip()}")
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists()) / 2**20
    return Measured(name, lines, seconds, cpu, peak, pss, largest, size)


def _children_cpu() -> float:
    """User + system CPU seconds of every finished process this one started (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def entry_file(lines: int, seed: int) -> Path:
    path = DATA / f"entries-{lines}-seed{seed}-v{generate.VERSION}.csv"
    if not path.exists():
        t = time.perf_counter()
        generate.write(path.with_suffix(".tmp"), lines, seed)
        path.with_suffix(".tmp").rename(path)
        print(f"generated {path} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return path


def run(lines: int, seed: int, workers: int | None, naive_lines: int, keep: bool) -> list[Measured]:
    path = entry_file(lines, seed)
    py = sys.executable
    check = [py, "-m", "clearance.cli.main", "check", str(path), "--law-as-of", LAW, "--format", "none", "--quiet"]
    check += ["--workers", str(workers)] if workers else []
    dbs = {name: DATA / f"bench-{name}-{lines}.db" for name in ("check", "floor", "naive")}
    naive = min(lines, naive_lines)
    results = [
        measure("clearance check (end to end)", [*check, "--db", str(dbs["check"])], lines, dbs["check"]),
        measure(
            "I/O floor (no rules)", [py, "-m", "benchmarks.floor", str(path), str(dbs["floor"])], lines, dbs["floor"]
        ),
        measure(
            f"naive durable-rules (first {naive:,} lines)",
            [py, "-m", "benchmarks.naive", str(path), str(dbs["naive"]), "--lines", str(naive)],
            naive,
            dbs["naive"],
        ),
    ]
    if not keep:
        for db in dbs.values():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    return results


def report(results: list[Measured], lines: int, workers: int | None) -> str:
    check, floor, naive = results
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [
        f"{lines:,} lines, {cores} cores, workers {workers or 'all'}, load average {load:.1f} at the end",
        f"{'':<44} {'seconds':>8} {'CPU s':>8} {'lines/s':>9} {'per CPU s':>9} {'RSS MB':>7} {'PSS MB':>7}"
        f" {'largest':>8} {'DB MB':>7}",
    ]
    for m in results:
        rows.append(
            f"{m.name:<44} {m.seconds:>8.1f} {m.cpu_seconds:>8.1f} {m.rate:>9,.0f} {m.lines / m.cpu_seconds:>9,.0f} "
            f"{m.peak_mb:>7.0f} {m.peak_pss_mb:>7.0f} {m.largest_mb:>8.0f} {m.db_mb:>7.0f}"
        )
    checks = [
        ("end-to-end lines/s", f"{check.rate:,.0f}", f">= {TARGETS['lines/s']:,}", check.rate >= TARGETS["lines/s"]),
        (
            "end to end / naive",
            f"{check.rate / naive.rate:.2f}x",
            f">= {TARGETS['x naive']}x",
            check.rate >= 3 * naive.rate,
        ),
        (
            "floor / end to end",
            f"{floor.rate / check.rate:.2f}x",
            f"<= {TARGETS['x floor']}x",
            floor.rate <= 3 * check.rate,
        ),
        ("peak RSS (all processes)", f"{check.peak_mb:.0f} MB", f"< {TARGETS['peak MB']} MB", check.peak_mb < 400),
        (
            "peak PSS (all processes)",
            f"{check.peak_pss_mb:.0f} MB",
            f"< {TARGETS['peak MB']} MB",
            check.peak_pss_mb < 400,
        ),
    ]
    rows.append("")
    rows += [
        f"{name:<26} {value:>12}  target {target:<10} {'met' if ok else 'NOT met'}"
        for name, value, target, ok in checks
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--naive-lines", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true", help="keep the databases under benchmarks/data/")
    args = ap.parse_args(argv)
    results = run(args.lines, args.seed, args.workers, args.naive_lines, args.keep)
    print(report(results, args.lines, args.workers))
    out = DATA / f"results-{args.lines}.json"
    out.write_text(json.dumps([asdict(m) | {"lines/s": m.rate} for m in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
