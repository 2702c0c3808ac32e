"""A run settles what is per entry (the merchandise processing fee's minimum and maximum) across chunk
boundaries, with one worker or two, and after an interrupted run is resumed: the same records as the core
checker, and each entry's fee lines add up to 0.3464% of its value held between the bounds."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from clearance.engine import BUNDLED_RULES, Checker, load_rules
from clearance.engine.entries.readers import read_records
from clearance.engine.run.batch import Batch, Settings
from clearance.engine.run.store import Store

LAW = dt.date(2026, 12, 3)
MPF = "us.fee.mpf.fy2026"
LOW, HIGH = Decimal("33.58"), Decimal("651.50")


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 entries of 1 to 12 lines, values from small (under the minimum) to large (over the maximum)."""
    rnd = random.Random(7)
    path = tmp_path_factory.mktemp("entries") / "entries.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["entry_number", "line_number", "hts_code", "origin", "value", "mfn_rate", "entry_date", "transport_mode"]
        )
        for e in range(60):
            scale = rnd.choice([300, 5000, 60000])
            for n in range(rnd.randint(1, 12)):
                value = Decimal(rnd.randint(1, scale * 100)) / 100
                w.writerow([f"E{e:03}", n + 1, "8479.89.94", "JP", value, "2.5%", "2026-08-03", "air"])
    return path


def expected_fees(path: Path) -> dict[str, Decimal]:
    """Each entry's fee, from the regulation's arithmetic: 0.3464% of each line, to the cent, summed, held."""
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for record in read_records(str(path)):
        line = (Decimal(record["value"]) * Decimal("0.003464")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        owed[record["entry_number"]] += line
    return {e: min(max(v, LOW), HIGH) for e, v in owed.items()}


def fee_by_entry(records: list[dict]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for r in records:
        out[r["entry_number"]] += sum(Decimal(f["amount"]) for f in r["fees"] if f["measure"] == MPF)
    return out


def core(path: Path) -> list[dict]:
    return [r.record() for r in Checker(load_rules(BUNDLED_RULES), LAW).check(read_records(str(path)))]


def test_the_core_checker_holds_each_entry_between_the_bounds(entries: Path) -> None:
    records = core(entries)
    assert fee_by_entry(records) == expected_fees(entries)
    moved = {x["rule"] for r in records for x in r["reasons"]} & {f"{MPF}.minimum", f"{MPF}.maximum"}
    assert moved == {f"{MPF}.minimum", f"{MPF}.maximum"}  # the file exercises both bounds


@pytest.mark.parametrize(("chunk_size", "workers"), [(7, 1), (1000, 1), (5, 2)])
def test_runs_give_the_core_records_across_chunks_and_workers(entries: Path, chunk_size: int, workers: int) -> None:
    settings = Settings(law_as_of=LAW, chunk_size=chunk_size, workers=workers)
    got = [r.record() | {"file": None} for r in Batch([str(entries)], settings).results()]
    assert got == core(entries)


def test_an_interrupted_run_resumes_to_the_same_entries(
    entries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "runs.db"
    settings = Settings(law_as_of=LAW, chunk_size=5)
    batch = Batch([str(entries)], settings, Store(db))
    seen = 0
    with pytest.raises(KeyboardInterrupt):
        for _ in batch.results():
            seen += 1
            if seen == 97:
                raise KeyboardInterrupt
    resumed = Batch([str(entries)], Settings(chunk_size=5), Store(db), resume=True)
    list(resumed.results())
    stored = [r.record() for r in Store(db).records(resumed.run_id)]
    assert [r["row"] for r in stored] == list(range(1, len(stored) + 1))
    assert fee_by_entry(stored) == expected_fees(entries)


@pytest.fixture(scope="module")
def scattered(tmp_path_factory: pytest.TempPathFactory, entries: Path) -> Path:
    """The same lines with some entries' lines apart (an entry turns up again after others), lines without an
    entry number among them, and a line of another destination in the middle of an entry."""
    rows = list(csv.reader(entries.open()))
    header, body = rows[0], rows[1:]
    rnd = random.Random(11)
    moved = [body.pop(rnd.randrange(len(body))) for _ in range(25)]
    for row in moved:
        body.insert(rnd.randrange(len(body)), row)
    for at in rnd.sample(range(len(body)), 15):
        body[at] = ["", *body[at][1:]]
    path = tmp_path_factory.mktemp("scattered") / "scattered.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([header, *body])
    return path


@pytest.mark.parametrize(("chunk_size", "workers"), [(9, 1), (1000, 1), (6, 2)])
def test_entries_settled_in_the_unit_of_work_give_the_core_records(
    scattered: Path, tmp_path: Path, chunk_size: int, workers: int
) -> None:
    """Entries wholly inside a chunk are settled by the worker, the others by the main process: the same records
    as the core checker either way, split entries flagged, and the store gives them back."""
    expected = core(scattered)
    assert any(x["rule"] == "entry.split" for r in expected for x in r["reasons"])
    settings = Settings(law_as_of=LAW, chunk_size=chunk_size, workers=workers)
    batch = Batch([str(scattered)], settings, Store(tmp_path / "runs.db"))
    assert [r.record() | {"file": None} for r in batch.results()] == expected
    assert [r.record() | {"file": None} for r in Store(tmp_path / "runs.db").records(batch.run_id)] == expected
