"""Output formats (`engine/formats/`): one interface, four writers, money as decimal strings, CSV safe to
open in a spreadsheet, a terminal-safe table that ends with its summary line."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import click
import pytest

from clearance.engine.report import table_format
from clearance.engine.report.csv_format import COLUMNS, safe
from clearance.engine.report.formats import FORMATS, write
from clearance.engine.report.options import Options
from clearance.engine.report.result import DutyLine, Excluded, Reason, Result
from clearance.engine.report.summary import Summary
from clearance.engine.report.table_format import printable

INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def result(row: int = 1, **fields: object) -> Result:
    base: dict = {
        "row": row,
        "entry_number": "E1",
        "line_number": "1",
        "destination": "US",
        "hts_code": "84798994",
        "origin": "JP",
        "entry_date": "2025-10-20",
        "verdict": "accept",
        "total_duty": Decimal("9500.10"),
        "currency": "USD",
        "duties": [
            DutyLine(
                measure="m.a",
                heading="9903.02.73",
                rate="all-in 15%",
                basis="value",
                basis_value=Decimal("60000.5"),
                amount=Decimal("7500.10"),
            ),
            DutyLine(
                measure="m.b",
                heading="8479.89.94",
                rate="2.5%",
                basis="value",
                basis_value=Decimal(80000),
                amount=Decimal("2000.00"),
            ),
        ],
        "reasons": [Reason(severity="info", rule="m.a", message="computed", citation="EO 14345")],
        "excluded": [Excluded(measure="m.c", excluded_by="m.a", reason="replaced", portion=Decimal("20000.00"))],
    }
    return Result(**(base | fields))


def render(fmt: str, results: list[Result]) -> tuple[str, Summary]:
    out = io.StringIO()
    summary = write(fmt, results, out)
    return out.getvalue(), summary


def test_the_formats() -> None:
    assert sorted(FORMATS) == ["csv", "github", "json", "jsonl", "junit", "sarif", "text"]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_keeps_money_as_decimal_strings(fmt: str) -> None:
    text, _ = render(fmt, [result(), result(2, total_duty=Decimal("0.10"))])
    records = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert len(records) == 2
    first = records[0]
    assert first["total_duty"] == "9500.10" and records[1]["total_duty"] == "0.10"
    assert first["duties"][0] | {} == {
        "measure": "m.a",
        "heading": "9903.02.73",
        "rate": "all-in 15%",
        "basis": "value",
        "basis_value": "60000.5",
        "amount": "7500.10",
    }
    assert first["excluded"][0]["portion"] == "20000.00"
    assert not any(isinstance(v, float) for v in _leaves(records))


def _leaves(node: object) -> list[object]:
    if isinstance(node, dict):
        return [leaf for v in node.values() for leaf in _leaves(v)]
    if isinstance(node, list):
        return [leaf for v in node for leaf in _leaves(v)]
    return [node]


def test_json_of_no_results_is_an_empty_array_and_jsonl_is_empty() -> None:
    assert json.loads(render("json", [])[0]) == []
    assert render("jsonl", [])[0] == ""


def test_json_keeps_text_unescaped_and_raw() -> None:
    r = result(entry_number="=1+1", extra={"note": '輸入 "x"\n'})
    record = json.loads(render("jsonl", [r])[0])
    assert record["entry_number"] == "=1+1" and record["extra"] == {"note": '輸入 "x"\n'}
    assert "輸入" in render("json", [r])[0]


@pytest.mark.parametrize("text", INJECTIONS)
def test_csv_neutralises_formula_injection_in_every_cell(text: str) -> None:
    r = result(entry_number=text, line_number=text, origin=text, extra={"n": "x"})
    out, _ = render("csv", [r])
    header, row = list(csv.reader(io.StringIO(out, newline="")))
    assert header == COLUMNS
    cells = dict(zip(header, row, strict=True))
    for column in ("entry_number", "line_number", "origin"):
        assert cells[column] == "'" + text
    assert json.loads(render("jsonl", [r])[0])["entry_number"] == text  # JSON keeps the raw value


def test_safe_leaves_ordinary_cells_alone() -> None:
    assert [safe(x) for x in ("E1", "9500.10", None, 3, " =x", "a=b")] == ["E1", "9500.10", "", "3", " =x", "a=b"]


def test_csv_flattens_lists() -> None:
    r = result(
        reasons=[
            Reason(severity="info", rule="m.a", message="computed"),
            Reason(severity="warning", rule="declared.duty", message="over-declared: refund of 1.00 USD"),
        ]
    )
    out, _ = render("csv", [r])
    cells = dict(zip(COLUMNS, list(csv.reader(io.StringIO(out, newline="")))[1], strict=True))
    assert cells["headings"] == "9903.02.73;8479.89.94"
    assert cells["duties"] == "9903.02.73=7500.10;8479.89.94=2000.00"
    assert cells["reasons"] == "warning declared.duty: over-declared: refund of 1.00 USD"  # no info
    assert cells["excluded"] == "m.c<m.a" and cells["total_duty"] == "9500.10"


def test_table_rows_and_final_summary_line() -> None:
    rows = [
        result(),
        result(
            2,
            verdict="reject",
            total_duty=Decimal(0),
            duties=[],
            reasons=[Reason(severity="error", rule="input.value", message="value: 'x' is not a number")],
        ),
        result(3, verdict="review", currency="JPY", total_duty=Decimal(1500), duties=[]),
    ]
    text, summary = render("text", rows)
    lines = text.splitlines()
    assert len(lines) == 1 + 3 + 1 and lines[0].lstrip().startswith("row")
    assert lines[1].endswith("accept      9,500.10 USD  9903.02.73 8479.89.94")  # no finding: the headings
    assert lines[2].endswith("reject             0 USD  value: 'x' is not a number")
    assert lines[-1] == "3 lines: 1 accept, 1 review, 1 reject; total duty 1,500 JPY, 9,500.10 USD"
    assert summary.counts == {"accept": 1, "review": 1, "reject": 1, "invalid": 0} and summary.lines == 3


def test_table_shows_the_most_telling_finding_first_and_colours_verdicts() -> None:
    reasons = [
        Reason(severity="info", rule="m.x", message="a note"),
        Reason(severity="warning", rule="declared.heading", message="heading not declared"),
        Reason(severity="warning", rule="declared.duty", message="over-declared: refund of 1.00 USD"),
    ]
    line = result(verdict="review", reasons=reasons)
    assert table_format.row(line, Options()).endswith("  over-declared: refund of 1.00 USD")
    error = Reason(severity="error", rule="input.value", message="value: bad")
    assert table_format.row(line.model_copy(update={"reasons": [*reasons, error]}), Options()).endswith("value: bad")
    coloured = table_format.row(line, Options(color=True))
    assert "\x1b[" in coloured and click.unstyle(coloured) == table_format.row(line, Options())
    long = line.model_copy(update={"reasons": [Reason(severity="warning", rule="r", message="x" * 300)]})
    assert len(table_format.row(long, Options())) == 120 and table_format.row(long, Options()).endswith("x…")


def test_table_of_no_lines_still_ends_with_its_summary() -> None:
    assert render("text", [])[0].splitlines()[-1] == "0 lines: 0 accept, 0 review, 0 reject; total duty 0"


def test_table_never_sends_control_characters_to_the_terminal() -> None:
    text, _ = render("text", [result(entry_number="\x1b[31mRED\x07", origin="J\nP")])
    assert "\x1b" not in text and "\x07" not in text and "?[31mRED?" in text
    assert len(text.splitlines()) == 3
    assert printable("a\tb\u202ec") == "a?b?c"


def test_summary_adds_duty_per_currency_in_decimal() -> None:
    s = Summary()
    list(s.track([result(total_duty=Decimal("0.1")), result(total_duty=Decimal("0.2"))]))
    assert s.duty == {"USD": Decimal("0.3")} and s.line() == "2 lines: 2 accept, 0 review, 0 reject; total duty 0.3 USD"


def test_csv_rows_survive_newlines_and_carriage_returns_in_cells() -> None:
    """A CR inside a cell used to be written unquoted (rows ended in LF only), splitting the row in two."""
    r = result(
        entry_number="a\rb",
        line_number="c\nd",
        reasons=[Reason(severity="error", rule="input.value", message="value: 'x\r\ny' is not a number")],
    )
    out, _ = render("csv", [r, result(2)])
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == 3 and all(len(row) == len(COLUMNS) for row in rows)
    assert (rows[1][1], rows[1][2]) == ("a\rb", "c\nd") and rows[2][0] == "2"


def test_record_json_is_the_record_as_compact_json(packs) -> None:  # type: ignore[no-untyped-def]
    """jsonl and json write `record_json()` (pydantic's serialiser); it must say exactly what `record()` says,
    decimals as strings, for every line of the bundled examples (duties, exclusions, reasons, quota claims)."""
    import datetime as dt
    from pathlib import Path

    from clearance.engine.run.check import Checker, check_files

    root = Path(__file__).resolve().parents[2] / "examples"
    files = [str(p) for p in sorted(root.glob("*.csv"))]
    results = list(check_files(files, Checker(packs, dt.date(2026, 11, 25))))
    assert len(results) > 90 and any(r.excluded for r in results) and any(r.quota for r in results)
    for r in results:
        text = r.record_json()
        assert "\n" not in text and json.loads(text) == r.record()
    assert json.loads(result(total_duty=Decimal("0.10")).record_json())["total_duty"] == "0.10"
