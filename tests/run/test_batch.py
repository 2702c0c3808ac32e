"""Batch runs: chunk boundaries, 1 worker or many, caps across chunks and files, interrupt and resume."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clearance.engine import Checker, load_rules
from clearance.engine.report.adapter import to_results
from clearance.engine.run.batch import Batch, BatchError, Settings
from clearance.engine.run.chunks import Chunk, check_chunk, needs_settle, settle
from clearance.engine.run.store import Store, StoreError
from clearance.engine.run.workers import GC_THRESHOLD

from ..helpers import write_entries

LAW = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base = tmp_path_factory.mktemp("entries")
    return [str(write_entries(base / "a.csv", 230, seed=1)), str(write_entries(base / "b.csv", 170, seed=2))]


def records(results) -> list[dict]:  # type: ignore[no-untyped-def]
    return [r.record() for r in results]


def run(files: list[str], rules: Path, store: Store | None = None, **kw) -> list[dict]:  # type: ignore[no-untyped-def]
    settings = Settings(rules=rules, law_as_of=LAW, **kw)
    return records(Batch(files, settings, store).results())


def test_same_results_as_the_core_checker(rules: Path, files: list[str]) -> None:
    from clearance.engine.run.check import check_files

    expected = records(check_files(files, Checker(load_rules(rules), LAW)))
    assert run(files, rules, chunk_size=64) == expected
    verdicts = {r["verdict"] for r in expected}
    assert verdicts == {"accept", "review", "reject", "invalid"}
    assert any(reason["rule"].endswith(".cap") for r in expected for reason in r["reasons"])


@pytest.mark.parametrize("size", [1, 3, 7, 229, 230, 231, 10_000])
def test_chunk_boundaries_do_not_change_results(rules: Path, files: list[str], size: int) -> None:
    assert run(files, rules, chunk_size=size) == run(files, rules, chunk_size=2000)


def test_one_worker_or_many_give_the_same_results(rules: Path, files: list[str], tmp_path: Path) -> None:
    one = run(files, rules, Store(tmp_path / "one.db"), workers=1, chunk_size=16)
    many = run(files, rules, Store(tmp_path / "many.db"), workers=2, chunk_size=16)
    assert many == one
    assert len(one) == 400 and [r["row"] for r in one] == list(range(1, 231)) + list(range(1, 171))
    stored = [records(Store(tmp_path / name).records(1)) for name in ("one.db", "many.db")]
    assert stored[0] == stored[1] == one


def test_caps_count_across_chunks_and_files(rules: Path, files: list[str]) -> None:
    results = run(files, rules, workers=2, chunk_size=5)
    used: dict[tuple[str, int], int] = {}
    for r in results:
        for q in r["quota"]:
            key = (q["key"], q["year"])
            assert q["used_before"] == str(used.get(key, 0))
            if q["within"]:
                used[key] = used.get(key, 0) + int(q["units"])
    assert used and all(v <= 7 for v in used.values())
    assert sum(1 for r in results for q in r["quota"] if not q["within"]) > 10


def test_settle_leaves_lines_without_quota_claims_alone(rules: Path, files: list[str]) -> None:
    checker = Checker(load_rules(rules), LAW)
    from clearance.engine.entries.readers import read_records

    results = checker.check_chunk(list(read_records(files[0])), 1)
    plain = [r for r in results if not needs_settle(checker, r)]
    assert plain and all(a is b for a, b in zip(checker.settle(plain), plain, strict=True))


def test_settle_rewrites_the_rows_it_changes(rules: Path, files: list[str]) -> None:
    checker = Checker(load_rules(rules), LAW)
    from clearance.engine.entries.readers import read_records

    out = check_chunk(checker, Chunk(0, 1, list(read_records(files[0]))), keep="results")
    before = to_results(out.batch)
    settle(checker, out)
    after = to_results(out.batch)
    changed = [n for n in range(len(before)) if before[n] != after[n]]
    assert changed and set(changed) <= set(out.pending)
    assert [r.record_json() for r in after] == [r.record_json() for r in out.results]  # type: ignore[union-attr]
    assert any(after[n].verdict != before[n].verdict for n in changed)


class Stop(Exception):
    pass


def interrupt_after(monkeypatch: pytest.MonkeyPatch, chunks: int, error: type[BaseException]) -> None:
    real = Store.write_batch
    calls = {"n": 0}

    def write_batch(self, *args, **kw):  # type: ignore[no-untyped-def]
        if calls["n"] == chunks:
            raise error()
        calls["n"] += 1
        return real(self, *args, **kw)

    monkeypatch.setattr(Store, "write_batch", write_batch)


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_run_resumes_to_exactly_one_result_per_line(
    rules: Path, files: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    expected = run(files, rules, chunk_size=16)
    db = tmp_path / "runs.db"
    interrupt_after(monkeypatch, 17, KeyboardInterrupt)  # a.csv is 15 chunks: stops inside b.csv
    with pytest.raises(KeyboardInterrupt):
        run(files, rules, Store(db), chunk_size=16, workers=workers)
    monkeypatch.undo()
    store = Store(db)
    (interrupted,) = store.runs()
    assert interrupted["finished"] is None and interrupted["status"] == "interrupted"
    stored = 230 + 2 * 16
    assert interrupted["lines"] == stored == sum(f["lines"] for f in store.files(1))
    assert [f["lines"] for f in store.files(1)] == [230, 32]
    assert store.db.execute("SELECT count(*) FROM lines").fetchone()[0] == stored

    batch = Batch(files, Settings(rules=rules, chunk_size=16, workers=workers), Store(db), resume=True)
    assert batch.run_id == 1 and batch.law_as_of == LAW  # the law of the interrupted run, not today's
    assert len(records(batch.results())) == 400 - stored
    store = Store(db)
    (finished,) = store.runs()
    assert finished["finished"] is not None and finished["lines"] == 400
    assert records(store.records(1)) == expected
    counts = store.db.execute("SELECT count(*), count(DISTINCT file_id || '-' || row) FROM lines").fetchone()
    assert counts == (400, 400)


def test_a_failed_chunk_write_leaves_nothing_half_written(rules: Path, files: list[str], tmp_path: Path) -> None:
    store = Store(tmp_path / "runs.db")
    batch = Batch(files[:1], Settings(rules=rules, law_as_of=LAW, chunk_size=50), store)
    gen = batch.results()
    next(gen)  # the first chunk is stored
    out = check_chunk(batch.checker, Chunk(0, 1, [{"hts_code": "1"}]))
    with pytest.raises(StoreError, match="UNIQUE constraint failed"):  # row 1 again: the unique key refuses it
        store.write_batch(1, out.batch, 1, batch.totals)
    assert store.db.execute("SELECT count(*) FROM lines").fetchone()[0] == 50
    assert store.run(1)["lines"] == 50 and store.files(1)[0]["lines"] == 50
    gen.close()
    assert store.run(1)["status"] == "interrupted"


def test_resume_refuses_what_it_cannot_continue(rules: Path, files: list[str], tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    with pytest.raises(BatchError, match="no unfinished run"):
        Batch(files, Settings(rules=rules), Store(db), resume=True)
    gen = Batch(files, Settings(rules=rules, law_as_of=LAW, chunk_size=50), Store(db)).results()
    next(gen)
    gen.close()
    with pytest.raises(BatchError, match="checked with --law-as-of 2026-11-25, not 2026-01-01"):
        Batch(files, Settings(rules=rules, law_as_of=dt.date(2026, 1, 1)), Store(db), resume=True)
    with pytest.raises(BatchError, match="no unfinished run"):  # other files
        Batch(files[:1], Settings(rules=rules), Store(db), resume=True)
    with pytest.raises(BatchError, match="standard input"):
        Batch(["-"], Settings(rules=rules), Store(db), resume=True)
    with pytest.raises(BatchError, match="needs a run database"):
        Batch(files, Settings(rules=rules), None, resume=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_chunks_are_read_as_they_are_needed(rules: Path, files: list[str], workers: int) -> None:
    batch = Batch(files, Settings(rules=rules, law_as_of=LAW, chunk_size=10, workers=workers))
    pulled = []
    chunks = batch._chunks

    def counted():  # type: ignore[no-untyped-def]
        for chunk in chunks():
            pulled.append(chunk.first_row)
            yield chunk

    batch._chunks = counted  # type: ignore[method-assign]
    results = batch.results()
    next(results)
    assert len(pulled) <= 2 * workers + 2  # a bounded window, not the whole file (40 chunks)
    assert len(list(results)) == 399


def test_bundled_packs_give_the_same_answers_with_one_worker_or_two(tmp_path: Path) -> None:
    """The generated benchmark lines (US and JP, every list, the Japan pack's per-type vehicle cap)."""
    from benchmarks.generate import write

    path = tmp_path / "entries.csv"
    write(path, 3000, seed=11)
    one = records(Batch([str(path)], Settings(law_as_of=LAW, workers=1, chunk_size=250)).results())
    two = records(Batch([str(path)], Settings(law_as_of=LAW, workers=2, chunk_size=97)).results())
    assert one == two and len(one) == 3000
    over = [r for r in one if any(x["rule"].endswith(".cap") for x in r["reasons"])]
    within = [r for r in one if any(q["within"] for q in r["quota"])]
    assert over and within and {r["destination"] for r in one} == {"US", "JP"}


def test_settle_counts_claims_that_were_settled_before(rules: Path) -> None:
    """`Checker._settle_one` keeps a claim whose `within` is set ("already settled (e.g. a resumed run)") but
    does not add its units to the ledger, so a resumed run that replays its stored lines lets later lines
    past the cap. (The batch runner replays claims with `within` reset, which counts them.)"""
    checker = Checker(load_rules(rules), LAW)
    car = {"destination": "JP", "hts_code": "870323019", "origin": "US", "value": "1", "entry_date": "2026-03-01"}
    car |= {"documents": "PHP", "attributes": "vehicle_type=A"}
    first = checker.check_chunk([dict(car, quantity="7")], 1)
    settled = Checker(load_rules(rules), LAW).settle(first)  # settled by the run before the interruption
    assert settled[0].quota[0].within is True
    checker.settle(settled)  # the resumed run replays it
    (later,) = checker.settle(checker.check_chunk([dict(car, quantity="1")], 2))
    assert later.quota[0].within is False  # 7 + 1 > 7


def test_a_run_collects_less_often_and_restores_the_collector(rules: Path, files: list[str]) -> None:
    """Checking raises the cyclic collector's threshold (a third of the checking time at Python's default) for the
    whole run, between chunks too (restored at each chunk's end, the collector rescanned the chunk's young objects):
    the caller's setting is back after the run, and after a run stopped half-way."""
    import gc

    before = gc.get_threshold()
    seen: list[int] = []
    batch = Batch(files, Settings(rules=rules, law_as_of=LAW, chunk_size=100), keep_results=True)
    real = batch.checker.check_chunk

    def spy(records, first_row):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        return real(records, first_row)

    batch.checker.check_chunk = spy  # type: ignore[method-assign]
    results = batch.results()
    next(results)
    assert gc.get_threshold()[0] == GC_THRESHOLD and seen == [GC_THRESHOLD]
    results.close()
    assert gc.get_threshold() == before
    assert len(list(Batch(files, Settings(rules=rules, law_as_of=LAW), keep_results=True).results())) > 100
    assert gc.get_threshold() == before


@pytest.mark.parametrize("workers", [1, 2])
def test_json_records_are_the_results_as_jsonl_writes_them(rules: Path, files: list[str], workers: int) -> None:
    """`Batch.json_records` (rendered in the workers, re-rendered in the main process for lines the caps
    change) gives the text `--format jsonl` gives for `Batch.results`, line for line."""
    settings = Settings(rules=rules, law_as_of=LAW, workers=workers, chunk_size=16)
    texts = list(Batch(files, settings).json_records())
    results = list(Batch(files, settings).results())
    assert texts == [r.record_json() for r in results] and len(texts) == 400
    settled = [r for r in results if any(q.within is False for q in r.quota)]
    assert settled and all(r.verdict == "reject" for r in settled)  # lines past a cap are among them


def test_check_is_the_library_function_of_clearance_check(rules: Path, files: list[str], tmp_path: Path) -> None:
    import io
    import json

    from clearance.engine import check
    from clearance.engine.run.batch import Interrupted

    out = io.StringIO()
    checked = check(files, Settings(rules=rules, law_as_of=LAW), out, "jsonl", db=tmp_path / "runs.db")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == run(files, rules) and checked.run_id == 1 and checked.summary.lines == 400
    assert checked.summary.counts == {v: sum(r["verdict"] == v for r in lines) for v in checked.summary.counts}
    assert check(files, Settings(rules=rules, law_as_of=LAW), fmt="none").run_id is None  # no database, no output

    class Stop:
        def __init__(self, total: int) -> None:
            self.calls = 0

        def update(self, lines: int, bytes_read: int) -> None:
            raise KeyboardInterrupt

        def close(self) -> None:
            pass

    with pytest.raises(Interrupted) as stopped:
        check(
            files,
            Settings(rules=rules, law_as_of=LAW, chunk_size=50),
            None,
            "none",
            db=tmp_path / "runs.db",
            progress=Stop,
        )
    assert stopped.value.run_id == 2 and Store(tmp_path / "runs.db").run(2)["status"] == "interrupted"


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_inside_a_durable_rules_action_stops_the_run_between_chunks(
    rules: Path, files: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """Ctrl-C (or SIGTERM, which the CLI turns into one) that arrives while durable-rules runs a rule's action in
    the main process (here the caps' ledger, while settling) stops the run once the chunk is stored: inside the
    action durable-rules would swallow it and fail the claim (exit 2 and a traceback instead of 130)."""
    import os
    import signal

    from clearance.engine.match.matcher import QuotaLedger

    real, sent = QuotaLedger._count, []

    def count(self, c) -> None:  # type: ignore[no-untyped-def]
        if not sent:
            sent.append(os.kill(os.getpid(), signal.SIGINT))  # handled here, in the action, unless held
        real(self, c)

    monkeypatch.setattr(QuotaLedger, "_count", count)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, whatever ran before
    batch = Batch(files, Settings(rules=rules, law_as_of=LAW, workers=workers, chunk_size=20), tmp_path / "runs.db")
    try:
        with pytest.raises(KeyboardInterrupt):
            list(batch.results())
    finally:
        signal.signal(signal.SIGINT, previous)
    store = Store(tmp_path / "runs.db")
    run = store.run(1)
    assert sent and run["status"] == "interrupted" and 0 < run["lines"] == store.db["lines"].count < 400
    assert run["lines"] % 20 == 0 and store.files(1)[0]["lines"] == run["lines"]  # whole chunks only
    monkeypatch.undo()
    resumed = Batch(files, Settings(rules=rules, workers=workers, chunk_size=20), tmp_path / "runs.db", resume=True)
    list(resumed.results())
    assert records(store.records(1)) == run_records(files, rules)


def run_records(files: list[str], rules: Path) -> list[dict]:
    """The records of an uninterrupted run (where each line starts in its file is not stored)."""
    whole = Batch(files, Settings(rules=rules, law_as_of=LAW)).results()
    return records(r.model_copy(update={"line": None}) for r in whole)
