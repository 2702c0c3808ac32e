"""The run store: batches stored and read back as the same records, shared rows stored once, integer money, foreign
keys and indexes, atomic batches, resumes, schema versions, and the SQL views that give the whole record back."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from clearance.engine.report.adapter import from_results, to_results
from clearance.engine.report.records import Renderer
from clearance.engine.report.result import DutyLine, Excluded, QuotaClaim, Reason, Result
from clearance.engine.report.result_batch import DUTY_NOTE, UNDER_DECLARED
from clearance.engine.report.summary import Summary
from clearance.engine.run.store import InputFile, Store, StoreError

UNITS = {"USD": 2, "JPY": 0}


def result(row: int, amounts: tuple[str, ...] = ("0.10", "0.20"), currency: str = "USD", **kw) -> Result:  # type: ignore[no-untyped-def]
    duties = [
        DutyLine(
            measure=f"m.{n}", heading=f"9903.01.{n:02d}", rate="10%", basis="value", basis_value=Decimal(1), amount=a
        )
        for n, a in enumerate(map(Decimal, amounts))
    ]
    notes = [
        Reason(
            severity="info",
            rule=d.measure,
            citation="EO 1",
            message=DUTY_NOTE.format(
                heading=d.heading,
                title="A {braced} measure",
                rate=d.rate,
                basis=d.basis,
                basis_value=1,
                amount=d.amount,
            ),
        )
        for d in duties
    ]
    fields = {
        "row": row,
        "entry_number": f"E{row}",
        "destination": "US",
        "hts_code": "8479899400",
        "verdict": "accept",
        "total_duty": sum((d.amount for d in duties), Decimal(0)),
        "total_taxes": Decimal(0).scaleb(-UNITS[currency]),  # a line's totals are rounded to the minor unit
        "total_fees": Decimal(0).scaleb(-UNITS[currency]),
        "currency": currency,
        "duties": duties,
        "reasons": notes,
    }
    return Result(**(fields | kw))


def rich(row: int) -> Result:
    """A line with every part of a record: a declared duty, its own input reason, portions, claims, extras."""
    base = result(row, ("1.00", "2.50"))
    reasons = [
        Reason(severity="error", rule="input.value", message=f"value: line {row} says {{x}}"),
        *base.reasons,
        Reason(
            severity="error",
            rule="declared.duty",
            message=UNDER_DECLARED.format(under="2.50", currency="USD", declared="1.00", total="3.50"),
        ),
    ]
    return base.model_copy(
        update={
            "verdict": "reject",
            "declared_difference": Decimal("-2.50"),  # declared 1.00, computed 3.50
            "total_taxes": Decimal("0.40"),
            "total_fees": Decimal("4.00"),
            "fees": [  # a fee a pack rounds to whole dollars: printed "4", stored as 400 cents
                DutyLine(
                    measure="t.fee", heading="", rate="$4", basis="entry", basis_value=Decimal(1), amount=Decimal(4)
                )
            ],
            "taxes": [
                DutyLine(
                    measure="t.vat",
                    heading="",
                    rate="10%",
                    basis="value + duty",
                    basis_value=Decimal("4.5"),
                    amount=Decimal("0.40"),
                )
            ],
            "reasons": reasons,
            "excluded": [
                Excluded(measure="a", excluded_by="b", reason="r", portion=Decimal("12.345")),
                Excluded(measure="c", excluded_by="b", reason="whole"),
            ],
            "quota": [QuotaClaim(measure="m", condition="c", key="A", year=2026, units=Decimal("1.5"), limit=5)],
            "extra": {"note": '東京 "x"'},
            "file": "a.csv",
        }
    )


def store_with_run(tmp_path: Path, name: str = "runs.db") -> tuple[Store, int]:
    store = Store(tmp_path / name)
    files = [InputFile("a.csv", "aa", 10), InputFile("b.csv", "bb", 20)]
    return store, store.begin_run({"law_as_of": "2026-11-25", "rules_hash": "h", "options": "{}"}, files, UNITS)


def write(store: Store, run_id: int, results: list[Result], file: int = 0) -> None:
    batch = from_results(results, file, "a.csv" if file == 0 else "b.csv", UNITS)
    totals = store.totals(run_id)
    totals.add(batch)
    store.write_batch(run_id, batch, batch.row[-1], totals)


def test_a_stored_batch_gives_back_the_same_records(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    lines = [rich(1), result(2), rich(3), result(4, ("0.00", "7.00"), verdict="review")]
    lines = [r.model_copy(update={"file": "a.csv"}) for r in lines]
    write(store, run_id, lines)
    assert list(store.records(run_id)) == lines
    exported = [text for b in store.batches(run_id) for text in Renderer(b).records()]
    assert exported == [r.record_json() for r in lines]
    batch = from_results(lines, 0, "a.csv", UNITS)
    assert batch.line_reasons == {0: [(0, batch.line_reasons[0][0][1])], 2: [(0, batch.line_reasons[2][0][1])]}
    assert batch.plan[0] is batch.plan[2]  # one plan for the two rich lines: their numbers are their own
    assert batch.total_duty == [350, 30, 350, 700] and batch.declared_duty == [100, None, 100, None]


def test_the_results_view_gives_the_whole_record(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    lines = [rich(1), result(2)]
    write(store, run_id, lines)
    rows = list(store.db.query("SELECT * FROM results WHERE run_id = ? ORDER BY row", [run_id]))
    for row, r in zip(rows, lines, strict=True):
        record = r.record() | {"file": "a.csv"}
        view = {
            k: json.loads(row[k])
            if k in ("duties", "taxes", "fees", "reasons", "excluded", "quota", "extra")
            else row[k]
            for k in record
        }
        assert view == record


def test_money_is_integer_minor_units_and_shared_rows_are_stored_once(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [rich(n) for n in range(1, 6)])
    db = store.db
    assert db.execute("SELECT DISTINCT typeof(total_duty), typeof(declared_delta) FROM lines").fetchall() == [
        ("integer", "integer")
    ]
    assert db.execute("SELECT total_duty, declared_delta FROM lines LIMIT 1").fetchone() == (350, -250)
    assert db.execute("SELECT DISTINCT typeof(amount) FROM line_duties").fetchall() == [("integer",)]
    counts = {t: db[t].count for t in ("plans", "reasons", "duty_components", "exclusions", "line_reasons")}
    # the five lines' own reasons share one template (their row numbers apart): the plan's 3 reasons + 1
    assert counts == {"plans": 1, "reasons": 4, "duty_components": 4, "exclusions": 2, "line_reasons": 5}
    own = "SELECT x.message, o.args FROM line_reasons o JOIN reasons x ON x.id = o.reason_id"
    assert db.execute(own).fetchone() == ("value: line {0} says {{x}}", "1")
    again = Store(tmp_path / "runs.db")  # another run, another connection: the same shared rows
    second = again.begin_run(
        {"law_as_of": "2026-11-25", "rules_hash": "h", "options": "{}"}, [InputFile("a.csv", "aa", 1)], UNITS
    )
    write(again, second, [rich(1)])
    assert {t: db[t].count for t in counts} == counts | {"line_reasons": 6}


def test_foreign_keys_and_indexes_for_sql_users(tmp_path: Path) -> None:
    """What Datasette shows and uses: integer ids, declared foreign keys, indexes on the usual questions."""
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [rich(1)])
    db = store.db
    fks = {(t, fk.column, fk.other_table) for t in db.table_names() for fk in db[t].foreign_keys}
    assert {
        ("lines", "run_id", "runs"),
        ("lines", "file_id", "run_files"),
        ("lines", "plan_id", "plans"),
        ("line_duties", "line_id", "lines"),
        ("line_duties", "component_id", "duty_components"),
        ("plan_reasons", "reason_id", "reasons"),
        ("reasons", "citation_id", "citations"),
        ("run_files", "run_id", "runs"),
    } <= fks
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    indexes = {i.name: (i.columns, i.unique) for t in ("lines", "duty_components") for i in db[t].indexes}
    assert indexes["lines_row"] == (["file_id", "row"], 1)
    assert indexes["lines_verdict"][0] == ["run_id", "verdict"]
    assert indexes["duty_components_family"][0] == ["family", "heading"]
    plan = " ".join(str(r) for r in db.execute("EXPLAIN QUERY PLAN SELECT * FROM lines WHERE run_id=1 AND verdict='x'"))
    assert "lines_verdict" in plan
    assert {"results", "duty_lines", "line_reasons_all"} <= set(db.view_names())
    duty = next(db.query("SELECT * FROM duty_lines"))
    assert duty["family"] == "m.0" and duty["amount"] == "1.00" and duty["amount_minor"] == 100
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_duty_by_measure_and_top_reasons(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [result(n, ("0.10", "0.20")) for n in range(1, 11)] + [rich(11)])
    by = {(r["measure"], r["heading"]): (r["lines"], r["amount"]) for r in store.duty_by_measure(run_id)}
    assert by[("m.0", "9903.01.00")] == (11, Decimal("2.00"))
    assert str(by[("m.1", "9903.01.01")][1]) == "4.50"
    top = store.top_reasons(run_id)
    assert [(r["rule"], r["lines"]) for r in top] == [("declared.duty", 1), ("input.value", 1)]
    assert all(r["severity"] == "error" for r in top)


def test_a_batch_is_all_or_nothing(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [result(1)])
    with pytest.raises(StoreError, match="cannot write the run database: UNIQUE constraint failed"):
        write(store, run_id, [result(2), result(1)])
    assert store.db["lines"].count == 1 and store.db["line_duties"].count == 2
    assert store.run(run_id)["lines"] == 1 and store.files(run_id)[0]["lines"] == 1
    assert store.totals(run_id).duty == {"USD": Decimal("0.30")}
    write(store, run_id, [rich(2)])  # the shared rows forgotten with the failed batch are found again
    assert [r.row for r in store.records(run_id)] == [1, 2]


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


def test_quota_claims_come_back_in_input_order(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [rich(5)], file=1)
    write(store, run_id, [rich(2), result(3), rich(4)], file=0)
    claims = list(store.quota_claims(run_id))
    assert len(claims) == 3 and all(c.key == "A" for c in claims)


def test_not_a_database_and_other_schemas(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot use as a run database"):
        Store(bad)
    old = tmp_path / "old.db"
    con = sqlite3.connect(old)  # a run database of the first schema: one JSON row per line
    con.execute("CREATE TABLE clearance_meta (key TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO clearance_meta VALUES ('schema_version', '1')")
    con.execute("CREATE TABLE results (id INTEGER PRIMARY KEY, run_id INTEGER, reasons TEXT)")
    con.commit()
    con.close()
    with pytest.raises(StoreError) as error:
        Store(old)
    message = str(error.value)
    assert "schema 1" in message and "writes schema 6" in message and "\n" not in message
    assert "give another --db" in message
    with pytest.raises(StoreError, match="no run 5"):
        Store(tmp_path / "new.db").run(5)


def test_a_full_database_is_a_store_error_and_keeps_whole_batches(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    store.db.execute("PRAGMA max_page_count = 60")  # the disk fills up after a few batches
    written = 0
    with pytest.raises(StoreError, match="cannot write the run database: database or disk is full"):
        for n in range(1000):
            lines = [
                result(10 * n + k, reasons=[Reason(severity="error", rule="input.x", message="x" * 500)])
                for k in range(1, 11)
            ]
            write(store, run_id, lines)
            written += 10
    assert 0 < written == store.db["lines"].count == store.run(run_id)["lines"]


def test_two_stores_create_one_new_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    first, second = Store(path), Store(path)
    assert first.db.execute("SELECT count(*) FROM clearance_meta").fetchone()[0] == 1
    assert second.runs() == []


def test_summary_of_a_stored_run(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [rich(1), result(2, ("5", "7"), currency="JPY")])
    totals = store.totals(run_id)
    assert isinstance(totals, Summary)
    assert totals.counts == {"accept": 1, "review": 0, "reject": 1, "invalid": 0}
    assert totals.duty == {"USD": Decimal("3.50"), "JPY": Decimal("12")}
    assert [r.total_duty for r in to_results(next(store.batches(run_id)))] == [Decimal("3.50"), Decimal("12")]


def test_an_invalid_line_is_stored_with_no_duty_and_its_reasons(tmp_path: Path) -> None:
    store, run_id = store_with_run(tmp_path)
    invalid = Result(
        row=2,
        file="a.csv",
        entry_number="E2",
        destination="US",
        origin="XX",
        verdict="invalid",
        total_duty=None,
        total_taxes=Decimal("0.00"),
        total_fees=Decimal("0.00"),
        currency="USD",
        reasons=[Reason(severity="error", rule="input.origin", message="origin: 'XX' is not a country code")],
    )
    lines = [result(1).model_copy(update={"file": "a.csv"}), invalid]
    write(store, run_id, lines)
    assert list(store.records(run_id)) == lines
    assert [t for b in store.batches(run_id) for t in Renderer(b).records()] == [r.record_json() for r in lines]
    assert store.db.execute("SELECT total_duty, declared_delta, verdict FROM lines WHERE row = 2").fetchone() == (
        None,
        None,
        "invalid",
    )
    assert store.db.execute("SELECT total_duty FROM results WHERE row = 2").fetchone() == (None,)
    assert store.db["line_reasons"].count == 1
    assert store.run(run_id)["invalid"] == 1 and store.totals(run_id).duty == {"USD": Decimal("0.30")}


def test_shared_rows_are_remembered_up_to_a_bound_and_found_again(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from clearance.engine.run import store_lines

    monkeypatch.setattr(store_lines, "REMEMBERED", 2)
    store, run_id = store_with_run(tmp_path)
    write(store, run_id, [rich(1), result(2, ("0.10",)), result(3, ("0.20", "0.30", "0.40"))])
    assert all(len(ids) <= 2 for ids in (store.shared.plans, store.shared.components, store.shared.reasons))
    tables = ("plans", "duty_components", "reasons", "citations", "exclusions")
    counts = {t: store.db[t].count for t in tables}
    write(store, run_id, [rich(4), result(5, ("0.10",))])  # forgotten ids found again by content, not added twice
    assert {t: store.db[t].count for t in tables} == counts and counts["plans"] == 3
    assert [r.row for r in store.records(run_id)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "message",
    [
        "entry US26-000{row} owes 3272.8{row} USD on {row} line(s), over the maximum of 670.86: this line's share is "
        "522.68 USD (of 2549.90)",
        "{{0}} braces {{x}} -12.{row}0, 9903.02.72, fy2027, 0.3464% (2026-04-20) 1 2 3 4 5 6 7 8 9 10 11 12 13",
        "no numbers at all",
    ],
)
def test_a_line_reason_with_its_own_numbers_is_a_shared_template(tmp_path: Path, message: str) -> None:
    """The line's numbers apart from the shared text; the record, the export and the SQL views give the text back."""
    store, run_id = store_with_run(tmp_path)
    lines = []
    for row in (1, 2, 3):
        base = result(row).model_copy(update={"file": "a.csv"})
        own = Reason(severity="warning", rule="input.x", message=message.replace("{row}", str(row)))
        lines.append(base.model_copy(update={"reasons": [*base.reasons, own], "verdict": "review"}))
    write(store, run_id, lines)
    assert list(store.records(run_id)) == lines
    shared = store.db.execute("SELECT count(DISTINCT reason_id) FROM line_reasons").fetchone()[0]
    assert shared == 1
    view = [json.loads(row["reasons"]) for row in store.db.query("SELECT reasons FROM results ORDER BY id")]
    assert view == [[x.model_dump() for x in r.reasons] for r in lines]
    filled = [row["message"] for row in store.db.query("SELECT message FROM line_reasons_all WHERE rule = 'input.x'")]
    assert filled == [r.reasons[-1].message for r in lines]
