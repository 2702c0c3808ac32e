"""Where the time of `clearance check` goes, stage by stage (pyinstrument; `pip install pyinstrument`).

    python -m benchmarks.profile benchmarks/data/entries-1000000-seed7-v2.csv --lines 50000

Runs one batch (of a CSV, TSV or JSONL file) in this process (one worker: reading, checking, settling and
storing all happen here, so one profile sees every stage) over the first `--lines` lines, into a temporary
database, and prints the inclusive time of each stage. Pass `--tree` for pyinstrument's full call tree."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from itertools import islice
from pathlib import Path

from clearance.engine.run.batch import Batch, Settings

# stage -> the functions (module file, function name) whose inclusive time is the stage's
STAGES = {
    "read the file (readers)": [("readers.py", "_csv"), ("readers.py", "_jsonl"), ("readers.py", "_json")],
    "parse lines (line.parse_line)": [("line.py", "parse_line")],
    "normalise columns again (line.normalise_keys)": [("line.py", "normalise_keys")],
    "lines -> facts (compile.fact)": [("compile.py", "fact")],
    "match (durable-rules, cache)": [("match.py", "match")],
    "resolve (stacking, duties, reasons)": [("resolve.py", "resolve")],
    "result batch (adapter.from_results)": [("adapter.py", "from_results")],
    "settle (cross-line caps)": [("check.py", "settle")],
    "write SQLite (store.write_batch)": [("store.py", "write_batch")],
}


def stage_times(frame, found: dict[str, float], inside: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Inclusive time per stage: a frame counts for the first stage met on its path from the root."""
    stage = inside
    if inside is None:
        for name, functions in STAGES.items():
            path = frame.file_path_short or ""
            if any(path.endswith(f) and frame.function == fn for f, fn in functions):
                found[name] = found.get(name, 0.0) + frame.time
                stage = name
                break
    for child in frame.children:
        stage_times(child, found, stage)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--lines", type=int, default=50_000)
    ap.add_argument("--tree", action="store_true")
    args = ap.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pyinstrument is not installed: pip install pyinstrument", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / ("sample" + Path(args.file).suffix)
        with open(args.file, "rb") as src, sample.open("wb") as dst:  # the header and the first lines
            dst.writelines(islice(src, args.lines + (Path(args.file).suffix != ".jsonl")))
        batch = Batch([str(sample)], Settings(law_as_of=dt.date(2026, 12, 31)), Path(tmp) / "p.db", keep_results=False)
        profiler = Profiler(interval=0.002)
        profiler.start()
        for _ in batch.results():
            pass
        profiler.stop()
    session = profiler.last_session
    found: dict[str, float] = {}
    stage_times(session.root_frame(), found)
    total = session.duration
    print(f"{args.lines:,} lines in {total:.1f} s ({args.lines / total:,.0f} lines/s, one process, profiler on)")
    for name in STAGES:
        t = found.get(name, 0.0)
        print(f"  {name:<46} {t:>7.1f} s {t / total:>6.1%} {t / args.lines * 1e6:>8.0f} us/line")
    rest = total - sum(found.values())
    print(f"  {'other (CLI, loading packs, glue)':<46} {rest:>7.1f} s {rest / total:>6.1%}")
    if args.tree:
        print(profiler.output_text(unicode=False, color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
