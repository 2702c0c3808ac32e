"""Records rendered from result batches (report/records.py) are the text of `Result.record_json()`, byte for byte:
on every line of the examples, on random text in every string field, through the general (field by field) path
too, and for a field the batch has no column for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.engine.report import records
from clearance.engine.report.adapter import batches_of, from_results, to_results
from clearance.engine.report.records import Renderer
from clearance.engine.report.result import DutyLine, Excluded, Reason, Result
from clearance.engine.report.result_batch import DUTY_NOTE, money
from clearance.engine.run.check import Checker, check_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def rendered(results: list[Result]) -> list[str]:
    return [text for b in batches_of(results, size=7) for text in Renderer(b).records()]


def test_every_example_line_renders_as_its_record_json(packs) -> None:  # type: ignore[no-untyped-def]
    files = [str(p) for p in sorted(EXAMPLES.glob("*.csv"))]
    results = list(check_files(files, Checker(packs, dt.date(2026, 11, 25))))
    assert len(results) > 90 and any(r.excluded for r in results) and any(r.quota for r in results)
    assert any(r.declared_difference is not None for r in results)
    assert rendered(results) == [r.record_json() for r in results]
    unplaced = [r.model_copy(update={"line": None}) for r in results]  # where a record starts: not kept in a batch
    assert [r for b in batches_of(results) for r in to_results(b)] == unplaced
    batch = next(batches_of(results))
    general = Renderer(batch)
    assert [general.general(n) for n in range(len(batch))] == [r.record_json() for r in results[: len(batch)]]
    templated = [t for p in batch.plan for t, duty in p.reasons if duty is not None]
    assert templated and all("{amount}" in t.message for t in templated)  # duty notes stored once per measure


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(entry=text | st.none(), message=text, title=text, rate=text, extra=st.dictionaries(text, text, max_size=2))
def test_any_text_renders_as_pydantic_writes_it(entry: str | None, message: str, title: str, rate: str, extra) -> None:  # type: ignore[no-untyped-def]
    duty = DutyLine(
        measure="m", heading="h", rate=rate, basis="value", basis_value=Decimal("12.5"), amount=Decimal("1.25")
    )
    note = DUTY_NOTE.format(heading="h", title=title, rate=rate, basis="value", basis_value="12.5", amount="1.25")
    result = Result(
        row=1,
        entry_number=entry,
        origin=message,
        verdict="review",
        total_duty=Decimal("1.25"),
        total_taxes=Decimal("0.00"),
        total_fees=Decimal("0.00"),
        currency="USD",
        duties=[duty],
        reasons=[
            Reason(severity="info", rule="m", message=note, citation=title),
            Reason(severity="warning", rule="w", message=message),
            Reason(severity="error", rule="input.x", message=message + "{"),
        ],
        excluded=[Excluded(measure=message, excluded_by="m", reason=title, portion=Decimal("2"))],
        extra=extra,
    )
    assert rendered([result]) == [result.record_json()]


def test_a_field_without_columns_is_kept_and_written_in_its_place(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A field added to `Result` (here `surcharges`, after `extra`) reaches the record through `other` unchanged."""
    from pydantic import create_model

    from clearance.engine.report import adapter

    WithFees = create_model("WithFees", __base__=Result, surcharges=(list[str], []))
    monkeypatch.setattr(adapter, "Result", WithFees)
    monkeypatch.setattr(records, "OTHER", (("surcharges", "[]"),))
    lines = [
        WithFees(row=1, verdict="accept", total_duty=Decimal(0), currency="", surcharges=["a"]),
        WithFees(row=2, verdict="accept", total_duty=Decimal(0), currency=""),
    ]
    batch = from_results(lines)
    assert batch.other == {0: {"surcharges": '["a"]'}}
    assert Renderer(batch).records() == [r.record_json() for r in lines]
    assert money(-5, 2) == "-0.05" and money(1234, 2) == "12.34" and money(7, 0) == "7"
