"""Soak test: millions of lines through one `Checker` in one process, memory sampled as it goes.

    python -m benchmarks.soak                      # 2,000,000 lines, RSS every 100,000
    python -m benchmarks.soak --lines 300000 --every 50000

Lines are generated on the fly (`benchmarks.generate.entries`, the benchmark's realistic catalogue
lines; nothing is written to disk) and a share of them (`--hostile`, default 1%) is made malformed
with values a messy real file holds (bad dates and codes, huge or negative numbers, formula text,
control characters, broken rates), so that the reject path is soaked too. The lines go through
`Checker.check` (parse, durable-rules match in per-chunk sessions, resolve, settle) chunk by chunk,
exactly as `clearance check --workers 1` runs them, minus the writing.

Every `--every` lines the resident set size (Linux /proc/self/statm; elsewhere the peak from
getrusage) is sampled. The table shows each sample; the slope is a least-squares fit of RSS over the
samples after the warm-up (`--warmup` lines: the durable-rules rulesets, the match cache filling and
cycling), in MB per million lines; the match cache is cleared whenever it is full, so RSS saw-tooths
and the fitted slope depends on where the teeth fall. Memory is called flat when the RSS *peaks* of
the second half of the steady samples are within `--max-growth` MB per million lines of those of the
first half (10 MB per million is 10 bytes per line: any per-line object kept would be 100 times more).
The exit code is 0 when memory is flat and every input line got exactly one result, else 1."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import entries
from clearance.engine import BUNDLED_RULES, Checker, load_rules

LAW = dt.date(2026, 12, 31)
HOSTILE_VALUES: dict[str, list[str]] = {
    "value": ["n/a", "-5", "1e9", "1,5", "999999999999999999", "", "\x00", "=1+1", "NaN", "١٢٣"],
    "entry_date": ["2025-02-30", "2025-13-01", "0000-01-01", "25/06/01", "", "2025-06-01T00:00"],
    "hts_code": ["", "84", "8479.89.94.00.00", "ABCD.EF.GH", "８４７９８９９４", "8479\n8994"],
    "origin": ["", "XX", "J", "JPN", "\u202eJP", "@JP"],
    "mfn_rate": ["ten", "%", "5 0/0%", "$/kg", "2.5% +", "$0.50/parsecs", "1/2%"],
    "quantity": ["-1", "lots", "1e3"],
    "attributes": ["=x", "novalue", ";=;"],
    "declared_duty": ["twelve", "-0.01"],
    "entry_number": ['=HYPERLINK("http://x")', "\x1b[2J", "a\r\nb", "x" * 20_000],
}


@dataclass(frozen=True)
class Sample:
    lines: int
    rss_mb: float
    seconds: float


def rss_mb() -> float:
    """The resident set size now (Linux), else the peak so far (getrusage: KiB on Linux, bytes on macOS)."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def hostile(records: Iterator[dict[str, str]], share: float, seed: int) -> Iterator[dict[str, str]]:
    """The records, with `share` of them given one malformed column."""
    rng = random.Random(seed)
    columns = sorted(HOSTILE_VALUES)
    for rec in records:
        if rng.random() < share:
            column = rng.choice(columns)
            rec = dict(rec, **{column: rng.choice(HOSTILE_VALUES[column])})
        yield rec


def soak(
    lines: int,
    every: int = 100_000,
    seed: int = 7,
    share: float = 0.01,
    rules: Path | None = None,
    report=None,  # type: ignore[no-untyped-def]
) -> tuple[list[Sample], Counter[str]]:
    """Check `lines` generated lines in one `Checker`; RSS sampled every `every` lines (and at 0).
    Returns the samples and the counts (`in`, `out`, one per verdict, `row mismatch`)."""
    packs = load_rules(rules or BUNDLED_RULES)
    checker = Checker(packs, LAW)
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    samples = [Sample(0, rss_mb(), 0.0)]

    def counted() -> Iterator[dict[str, str]]:
        for rec in hostile(entries(lines, seed, packs), share, seed + 1):
            counts["in"] += 1
            yield rec

    for n, result in enumerate(checker.check(counted()), start=1):
        counts["out"] += 1
        counts[result.verdict] += 1
        if result.row != n:
            counts["row mismatch"] += 1
        if n % every == 0 or n == lines:
            samples.append(Sample(n, rss_mb(), time.perf_counter() - start))
            if report is not None:
                report(samples)
    return samples, counts


def slope_mb_per_million(samples: list[Sample]) -> float:
    """Least-squares slope of RSS against lines, in MB per million lines (0 with fewer than 2 samples)."""
    if len(samples) < 2:
        return 0.0
    xs = [s.lines / 1e6 for s in samples]
    ys = [s.rss_mb for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def peak_growth_mb_per_million(samples: list[Sample]) -> float:
    """How much the RSS peaks grow: the highest sample of the second half minus the highest of the first
    half, per million lines between the halves' middles. Unlike the fitted slope, a cache that fills and is
    cleared (a saw-tooth) does not count; anything kept per line does."""
    if len(samples) < 4:
        return 0.0
    half = len(samples) // 2
    first, second = samples[:half], samples[half:]
    distance = (second[len(second) // 2].lines - first[len(first) // 2].lines) / 1e6
    growth = max(s.rss_mb for s in second) - max(s.rss_mb for s in first)
    return growth / distance if distance else 0.0


def print_row(samples: list[Sample]) -> None:
    s, prev, first = samples[-1], samples[-2], samples[1] if len(samples) > 1 else samples[0]
    rate = (s.lines - prev.lines) / (s.seconds - prev.seconds) if s.seconds > prev.seconds else 0.0
    growth = s.rss_mb - first.rss_mb
    print(f"{s.lines:>11,} {s.rss_mb:>9.1f} {growth:>+9.1f} {s.seconds:>9.1f} {rate:>9,.0f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--every", type=int, default=100_000, help="sample RSS every N lines")
    ap.add_argument("--warmup", type=int, default=None, help="lines before memory must be flat (default lines/5)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hostile", type=float, default=0.01, help="share of lines given one malformed column")
    ap.add_argument("--rules", type=Path, default=None, help="rules folder (default: the bundled packs)")
    ap.add_argument(
        "--max-growth", type=float, default=10.0, help="growth of the RSS peaks, MB per million lines, still flat"
    )
    args = ap.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else args.lines // 5
    print(f"soak: {args.lines:,} lines, one Checker, {args.hostile:.1%} hostile lines, law as of {LAW}")
    print(f"{'lines':>11} {'RSS MB':>9} {'vs first':>9} {'seconds':>9} {'lines/s':>9}  (lines/s: since the last row)")
    samples, counts = soak(args.lines, args.every, args.seed, args.hostile, args.rules, print_row)
    steady = [s for s in samples if s.lines >= warmup]
    slope = slope_mb_per_million(steady)
    after = [s.rss_mb for s in steady]
    print(
        f"lines in {counts['in']:,}, results out {counts['out']:,} "
        f"({counts['accept']:,} accept, {counts['review']:,} review, {counts['reject']:,} reject, "
        f"{counts['invalid']:,} invalid); "
        f"row mismatches {counts['row mismatch']}"
    )
    if after:
        spread = max(after) - min(after)
        print(f"after warm-up ({warmup:,} lines): RSS {min(after):.1f}..{max(after):.1f} MB, spread {spread:.1f} MB")
    peaks = peak_growth_mb_per_million(steady)
    flat = peaks < args.max_growth
    print(f"after warm-up: fitted slope {slope:+.2f} MB per million lines (a saw-tooth cache weighs on it)")
    verdict = "flat" if flat else "GROWING"
    print(f"after warm-up: RSS peaks grow {peaks:+.2f} MB per million lines ({verdict}, limit {args.max_growth})")
    one_each = counts["in"] == counts["out"] == args.lines and not counts["row mismatch"]
    return 0 if flat and one_each else 1


if __name__ == "__main__":
    sys.exit(main())
