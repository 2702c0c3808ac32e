"""The run store: rows that give back the same results, TEXT decimals, indexes, atomic chunks, resumes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from clearance.engine.report.result import DutyLine, Excluded, QuotaClaim, Reason, Result
from clearance.engine.report.summary import Summary
from clearance.engine.run.store import RESULT_COLUMNS, InputFile, Store, StoreError, add_rows, decode, encode

UNITS = {"USD": 2, "JPY": 0}


def result(row: int, amounts: tuple[str, ...] = ("0.10", "0.20"), currency: str = "USD", **kw) -> Result:  # type: ignore[no-untyped-def]
    duties = [
        DutyLine(
            measure=f"m.{n}", heading=f"9903.01.{n:02d}", rate="10%", basis="value", basis_value=Decimal(1), amount=a
        )
        for n, a in enumerate(map(Decimal, amounts))
    ]
    fields = {
        "row": row,
        "entry_number": f"E{row}",
        "destination": "US",
        "hts_code": "8479899400",
        "verdict": "accept",
        "total_duty": sum((d.amount for d in duties), Decimal(0)),
        "currency": currency,
        "duties": duties,
    }
    return Result(**(fields | kw))


def store_with_run(tmp_path: Path) -> tuple[Store, int]:
    store = Store(tmp_path / "runs.db")
    files = [InputFile("a.csv", "aa", 10), InputFile("b.csv", "bb", 20)]
    return store, store.begin_run({"law_as_of": "2026-11-25", "rules_hash": "h", "options": "{}"}, files, UNITS)


def test_encode_decode_gives_back_the_result() -> None:
    r = result(
        7,
        verdict="review",
        line_number="2",
        origin="JP",
        entry_date="2025-04-15",
        reasons=[Reason(severity="warning", rule="declared.duty", message="東京 ¥", citation="EO 1")],
        excluded=[Excluded(measure="a", excluded_by="b", reason="r", portion=Decimal("12.345"))],
        quota=[QuotaClaim(measure="m", condition="c", key="A", year=2026, units=Decimal("1.5"), limit=5)],
        extra={"note": "x"},
    )
    row, duties = encode(r, 1, UNITS)
    assert decode(dict(zip(RESULT_COLUMNS, row, strict=True)), "a.csv") == r.model_copy(update={"file": "a.csv"})
    for column in ("duties", "reasons", "excluded", "quota", "extra"):
        assert json.loads(row[RESULT_COLUMNS.index(column)]) == r.record()[column]
    assert row[RESULT_COLUMNS.index("total_duty")] == "0.30"
    assert duties == [
        (1, 7, "duty", "m.0", "9903.01.00", "0.10", 10, "USD"),
        (1, 7, "duty", "m.1", "9903.01.01", "0.20", 20, "USD"),
    ]


def test_minor_units_only_when_exact() -> None:
    _, duties = encode(result(1, ("1.005", "3"), currency="JPY"), 0, UNITS)
    assert [d[6] for d in duties] == [None, 3]
    _, duties = encode(result(1, ("1",), currency=""), 0, UNITS)
    assert duties[0][6] is None


def test_schema_indexes_and_text_decimals(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    rows, duties = zip(*(encode(result(n), 0, UNITS) for n in (1, 2)), strict=True)
    totals = Summary()
    add_rows(totals, rows)
    store.write_chunk(run_id, 0, 2, rows, [d for ds in duties for d in ds], totals)
    db = store.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {i.name: (i.columns, i.unique) for i in db["results"].indexes}
    assert indexes["results_line"] == (["run_id", "file", "row"], 1)
    assert indexes["results_verdict"][0] == ["run_id", "verdict"]
    assert indexes["results_entry"][0] == ["entry_number"]
    assert {i.name: i.columns for i in db["duties"].indexes}["duties_measure"] == ["run_id", "measure", "heading"]
    types = db.execute("SELECT DISTINCT typeof(total_duty) FROM results").fetchall()
    assert types == [("text",)]
    assert db.execute("SELECT DISTINCT typeof(amount) FROM duties").fetchall() == [("text",)]
    plan = " ".join(
        str(r) for r in db.execute("EXPLAIN QUERY PLAN SELECT * FROM duties WHERE run_id=1 AND measure='m.0'")
    )
    assert "duties_measure" in plan
    run = store.run(run_id)
    assert (run["lines"], run["accept"], json.loads(run["duty"])) == (2, 2, {"USD": "0.60"})


def test_duty_by_measure_is_exact(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    lines = [result(n, ("0.10", "0.20")) for n in range(1, 11)] + [result(11, ("0.005", "0"))]
    encoded = [encode(r, 0, UNITS) for r in lines]
    store.write_chunk(run_id, 0, 11, [e[0] for e in encoded], [d for e in encoded for d in e[1]], Summary())
    by = {(r["measure"], r["heading"]): (r["lines"], r["amount"]) for r in store.duty_by_measure(run_id)}
    assert by[("m.0", "9903.01.00")] == (11, Decimal("1.005"))  # one amount not in cents: summed as text
    assert by[("m.1", "9903.01.01")] == (11, Decimal("2.00"))
    assert str(by[("m.1", "9903.01.01")][1]) == "2.00"


def test_top_reasons_skip_info(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    reasons = [
        Reason(severity="error", rule="input.value", message="value: bad"),
        Reason(severity="info", rule="i", message=""),
    ]
    lines = [result(n, reasons=reasons, verdict="reject") for n in (1, 2)] + [result(3)]
    encoded = [encode(r, 0, UNITS) for r in lines]
    store.write_chunk(run_id, 0, 3, [e[0] for e in encoded], [], Summary())
    assert store.top_reasons(run_id) == [
        {"severity": "error", "rule": "input.value", "lines": 2, "example": "value: bad"}
    ]


def test_chunk_is_all_or_nothing(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    row, _ = encode(result(1), 0, UNITS)
    totals = Summary()
    add_rows(totals, [row])
    store.write_chunk(run_id, 0, 1, [row], [], totals)
    add_rows(totals, [row])
    with pytest.raises(StoreError, match="cannot write the run database: UNIQUE constraint failed"):
        store.write_chunk(run_id, 0, 2, [encode(result(2), 0, UNITS)[0], row], [], totals)
    assert store.db.execute("SELECT count(*) FROM results").fetchone()[0] == 1
    assert store.run(run_id)["lines"] == 1 and store.files(run_id)[0]["lines"] == 1
    assert store.totals(run_id).duty == {"USD": Decimal("0.30")}


def test_resumable_matches_files_and_rules(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    files = [InputFile("a.csv", "aa", 10), InputFile("b.csv", "bb", 20)]
    assert store.resumable(files, "h")["id"] == run_id  # type: ignore[index]
    assert store.resumable(files, "other rules") is None
    assert store.resumable([files[0], InputFile("b.csv", "changed", 20)], "h") is None
    store.finish(run_id, "interrupted")
    assert store.resumable(files, "h")["id"] == run_id  # type: ignore[index]
    store.finish(run_id, "finished")
    assert store.resumable(files, "h") is None
    assert store.run(run_id)["finished"] is not None


def test_not_a_database_and_other_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot use as a run database"):
        Store(bad)
    store = Store(tmp_path / "old.db")
    store.db["clearance_meta"].update("schema_version", {"value": "0"})
    with pytest.raises(StoreError, match="schema 0"):
        Store(tmp_path / "old.db")
    with pytest.raises(StoreError, match="no run 5"):
        Store(tmp_path / "new.db").run(5)


def test_a_full_database_is_a_store_error_and_keeps_whole_chunks(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    store.db.execute("PRAGMA max_page_count = 40")  # the disk fills up after a few chunks
    written = 0
    with pytest.raises(StoreError, match="cannot write the run database: database or disk is full"):
        for n in range(1000):
            encoded = [
                encode(result(10 * n + k, reasons=[Reason(severity="info", rule="r", message="x" * 500)]), 0, UNITS)
                for k in range(1, 11)
            ]
            totals = store.totals(run_id)
            add_rows(totals, [e[0] for e in encoded])
            store.write_chunk(
                run_id, 0, 10 * n + 10, [e[0] for e in encoded], [d for e in encoded for d in e[1]], totals
            )
            written += 10
    assert 0 < written == store.db.execute("SELECT count(*) FROM results").fetchone()[0] == store.run(run_id)["lines"]


def test_two_stores_create_one_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    first, second = Store(path), Store(path)
    assert first.db.execute("SELECT count(*) FROM clearance_meta").fetchone()[0] == 1
    assert second.runs() == []
