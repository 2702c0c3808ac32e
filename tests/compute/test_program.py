"""The compute stage's programs against the reference resolve (kept as the oracle, used by `explain`): the records
rendered from a program-made batch are byte-identical to `Result.record_json()` of the per-line path, on random
lines and on every golden case; through the whole run (settling, the run store, `runs export`) too."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import generate
from clearance.cli.main import cli
from clearance.engine.compute.columns import computed_batch
from clearance.engine.report.records import Renderer
from clearance.engine.run.check import Checker, check_files
from clearance.engine.run.chunks import minor_units

from ..run.test_oracle import LAWS, PACKS, golden_cases, lines

CHECKERS = {law: Checker(PACKS, law) for law in LAWS}
UNITS = minor_units(PACKS)


def assert_same(checker: Checker, records: list[dict], counts: Counter) -> None:
    """The program-made batch's records are the reference's, byte for byte; so are the Results made for settling."""
    reference = checker.check_chunk(records, 1)
    want = [r.record_json() for r in reference]
    batch, results, found = computed_batch(checker, records, 1, 0, None, UNITS)
    counts.update(found)
    got = Renderer(batch).records()
    diffs = [(n, w, g) for n, (w, g) in enumerate(zip(want, got, strict=True)) if w != g]
    assert not diffs, f"{len(diffs)} of {len(records)} differ; first (line {diffs[0][0]}):\n{diffs[0][1:]}"
    for n, result in results.items():
        assert result == reference[n]
        assert result.record_json() == want[n]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=lines(), law=st.sampled_from(LAWS))
def test_random_lines_give_the_reference_records(records: list[dict], law: dt.date) -> None:
    assert_same(CHECKERS[law], records, Counter())


def test_every_golden_case_gives_the_reference_record() -> None:
    counts: Counter = Counter()
    for checker, records in golden_cases():
        assert_same(checker, records, counts)
    assert counts["program"] + counts["reference"] > 400
    assert counts["program"] > 0.8 * (counts["program"] + counts["reference"])  # the programs do most of the lines


def test_a_run_through_the_store_gives_the_reference_records(tmp_path: Path) -> None:
    """Settled lines (per-entry fees, the tolerance, caps), the run store and its export: the reference's records."""
    entries = tmp_path / "entries.csv"
    records = list(generate.entries(1500, 11, PACKS, products=60))
    with entries.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(generate.COLUMNS), restval="")
        writer.writeheader()
        writer.writerows(records)
    law = dt.date(2026, 12, 31)
    want = [r.record_json() for r in check_files([str(entries)], Checker(PACKS, law))]
    out, db = tmp_path / "out.jsonl", tmp_path / "run.db"
    args = ["check", str(entries), "--format", "jsonl", "-o", str(out), "--db", str(db), "-q"]
    ran = CliRunner().invoke(cli, [*args, "--law-as-of", law.isoformat(), "--chunk-size", "400"])
    assert ran.exit_code in (0, 1), ran.output
    assert out.read_text().splitlines() == want
    exported = CliRunner().invoke(cli, ["runs", "export", "1", "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    assert exported.output.splitlines() == want
    assert {json.loads(w)["verdict"] for w in want} >= {"accept", "review", "reject"}
