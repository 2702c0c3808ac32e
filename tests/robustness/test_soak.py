"""A short soak of the whole pipeline (the long one is `python -m benchmarks.soak`, 2,000,000 lines): the
same 1,000 realistic lines (2% made hostile) through one `Checker` round after round, every round parsed,
matched by durable-rules in a new session (the match cache is off, so nothing is answered from it),
resolved and settled. Resident memory after the warm-up does not grow; a control run that keeps each
round's results shows the probe would see it if anything per line were kept.

tests/match/test_match.py holds the matcher-only soak (200,000 distinct facts); this one adds parsing, resolving,
settling (the caps' ledger) and hostile lines. Each run is a fresh process (spawned, not forked: a forked child
inherits the test session's heap, whose free space can hold what the control keeps without the RSS moving), so
nothing else the test session allocates is counted."""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import sys
from pathlib import Path

import pytest

LAW = dt.date(2026, 12, 31)
pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or not Path("/proc/self/statm").exists(), reason="/proc"
    ),
]


def _rounds(out, rounds: int, keep: bool) -> None:  # type: ignore[no-untyped-def]
    from benchmarks.generate import entries
    from benchmarks.soak import hostile, rss_mb
    from clearance.engine import BUNDLED_RULES, Checker, load_rules
    from clearance.engine.match import matcher as match

    match.CACHE_SIZE = 0  # this process only: every round goes through durable-rules
    packs = load_rules(BUNDLED_RULES)
    checker = Checker(packs, LAW)
    lines = list(hostile(entries(1000, 3, packs), 0.02, 4))
    kept, rss, verdicts = [], [], set()
    for _ in range(rounds):
        results = list(checker.check(lines))
        if [r.row for r in results] != list(range(1, len(lines) + 1)):
            out.put(f"rows {len(results)} for {len(lines)} lines")
            return
        verdicts.update(r.verdict for r in results)
        if keep:
            kept.append(results)
        del results
        gc.collect()
        rss.append(rss_mb())
    out.put((rss, sorted(verdicts)))


def run(rounds: int, keep: bool = False) -> tuple[list[float], list[str]]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_rounds, args=(out, rounds, keep))
    proc.start()
    got = out.get(timeout=80)
    proc.join()
    assert not isinstance(got, str), got
    return got


def test_memory_of_the_whole_pipeline_is_flat_round_after_round() -> None:
    rss, verdicts = run(12)
    assert verdicts == ["accept", "invalid", "reject", "review"]  # every path taken
    assert rss[-1] - rss[3] < 2.0, rss  # MB over 8,000 lines after the warm-up


def test_control_the_probe_sees_results_that_are_kept() -> None:
    rss, _ = run(5, keep=True)
    assert rss[-1] - rss[1] > 2.0, rss


def test_spy_counts_each_sample_once_for_its_outermost_stage(tmp_path: Path) -> None:
    """benchmarks/spy.py: a sample counts for the first stage on its stack (a resolve inside check_chunk is
    resolve, not parsing), worker samples apart from the main process's."""
    from benchmarks.spy import shares

    worker = 'process 2:"w";_process_worker (concurrent/futures/process.py:1);check_chunk (engine/run/batch.py:1)'
    main = 'process 1:"m";<module> (clearance:1);Batch.results (engine/run/batch.py:1)'
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "\n".join(
            [
                f"{worker};resolve (engine/resolve/stacking.py:1);compute (engine/resolve/amount.py:1) 5",
                f"{worker};parse_line (engine/entries/line.py:1) 3",
                f"{worker};MatchKeys.refs (engine/match/keys.py:1);Matcher.match (engine/match/matcher.py:1) 2",
                f"{main};Store.write_batch (engine/run/store.py:1) 7",
                f"{main};Batch._record (engine/run/batch.py:1) 1",
            ]
        )
        + "\n"
    )
    counts, main_counts, n_worker, n_main = shares(raw)
    assert n_worker == 10 and n_main == 8
    assert counts["resolve (stacking, duties, reasons)"] == 5
    assert counts["unclean rows: per-line parser (parse_line)"] == 3
    assert counts["match: durable-rules on new keys (Matcher.match)"] == 2
    assert main_counts["write SQLite (Store.write_batch)"] == 7 and main_counts["other"] == 1
