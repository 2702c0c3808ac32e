"""Where the CPU of `clearance check` goes, sampled by py-spy across the main process and its workers.

    python -m benchmarks.spy benchmarks/data/entries-200000-seed7-v2.csv

Runs `clearance check FILE --format none` (all cores, into a temporary database) under
`py-spy record --subprocesses` (`pip install py-spy`), which samples without slowing the code (a tracing
profiler such as pyinstrument inflates stages made of many small calls, such as line parsing), then prints
each stage's share of the samples, separately for the worker processes and for the main process. A sample
counts for the first stage met on its stack, from the root."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

LAW = "2026-12-31"
# stage -> frame names as py-spy prints them ("Class.method" or "function")
WORKER_STAGES = {
    "read columns, validate (Validator.lines)": ("Validator.lines",),
    "unclean rows: per-line parser (parse_line)": ("parse_line",),
    "match keys (MatchKeys.key)": ("MatchKeys.key",),
    "match: durable-rules on new keys (Matcher.match)": ("Matcher.match",),
    "resolve (stacking, duties, reasons)": ("resolve",),
    "settle entries inside the chunk (settle_within)": ("settle_within",),
    "result batch (from_results)": ("from_results",),
    "send results back (pickling: wire.Memo.dumps)": ("Memo.dumps", "_sendback_result"),
}
MAIN_STAGES = {
    "read the file (readers)": ("RecordSource.__iter__",),
    "send chunks to workers": ("ProcessPoolExecutor.submit", "Queue._feed"),
    "receive results (unpickle: wire.Tables.loads)": ("_ExecutorManagerThread.run", "Tables.loads"),
    "settle (cross-line caps)": ("settle",),
    "settle entries (HeldChunks.feed, replace_line)": ("HeldChunks.feed",),
    "write SQLite (Store.write_batch)": ("Store.write_batch",),
    "load and compile rule packs": ("Batch.__init__",),
}


def shares(raw: Path) -> tuple[Counter, Counter, int, int]:
    """(samples per worker stage, samples per main stage, worker samples, main samples)."""
    worker, main = Counter(), Counter()
    n_worker = n_main = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f.split(" (")[0] for f in stack.split(";")[1:]]
        n = int(count)
        in_worker = "_process_worker" in frames
        stages = WORKER_STAGES if in_worker else MAIN_STAGES
        found = next((s for f in frames for s, names in stages.items() if f in names), "other")
        if in_worker:
            worker[found] += n
            n_worker += n
        else:
            main[found] += n
            n_main += n
    return worker, main, n_worker, n_main


def report(title: str, counts: Counter, total: int, stages: dict) -> None:
    print(f"{title}: {total:,} samples")
    for name in [*stages, "other"]:
        print(f"  {name:<46} {counts[name] / max(total, 1):>6.1%}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--rate", type=int, default=200, help="samples per second per process")
    args = ap.parse_args(argv)
    spy = shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "samples.txt"
        check = [sys.executable, "-m", "clearance.cli.main", "check", args.file, "--law-as-of", LAW]
        check += ["--format", "none", "--quiet", "--db", str(Path(tmp) / "spy.db")]
        record = [spy, "record", "--subprocesses", "-r", str(args.rate), "-f", "raw", "-o", str(raw), "--", *check]
        subprocess.run(record, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not raw.exists():
            print("py-spy recorded nothing (it needs ptrace permission)", file=sys.stderr)
            return 2
        worker, main_, n_worker, n_main = shares(raw)
    report("worker processes", worker, n_worker, WORKER_STAGES)
    report("main process", main_, n_main, MAIN_STAGES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
