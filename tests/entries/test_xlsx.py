"""XLSX read as Excel shows it: percent cells, date cells, text cells, numeric tariff codes that lost their
leading zero (restored from the schedule's code lengths, or named), and the displayed number of decimals."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.entries.readers import read_records
from clearance.engine.entries.records import NUMERIC
from clearance.engine.entries.xlsx_reader import shown_text

from ..conftest import ROOT

FEATURES = ROOT / "tests" / "fixtures" / "packs" / "features"
HEADER = ["entry_number", "destination", "hts_code", "origin", "value", "entry_date", "mfn_rate", "quantity"]


def workbook(path: Path, rows: list[list[object]], formats: dict[str, str]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    for cell, number_format in formats.items():
        sheet[cell].number_format = number_format
    book.save(path)
    return path


def check(path: Path, rules: Path | None = None) -> list[dict]:
    args = ["check", str(path), "--no-db", "--format", "json", "--law-as-of", "2026-11-25", "-q"]
    result = CliRunner().invoke(cli, [*args, *(["--rules", str(rules)] if rules else [])])
    assert result.exit_code in (0, 1), (result.stderr, result.exception)
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (0.025, "0.0%", "2.5%"),
        (0.025, "0%", "2.5%"),  # the value, not the rounded display: 3% would be a different rate
        (0.15, "0.00%", "15%"),
        (1, "0%", "100%"),
        (12.5, "0.00", "12.50"),
        (12.345, "0.00", "12.345"),  # never fewer digits than the value has
        (10000, "#,##0.00", "10000.00"),
        (20130010, "000000000", "020130010"),
        (0.1 + 0.2, "General", "0.3"),
        (dt.datetime(2025, 8, 20, 13, 30), "yyyy/mm/dd", "2025-08-20"),  # the time is not shown, not read
        (dt.datetime(2025, 8, 20, 13, 30), "yyyy-mm-dd hh:mm", "2025-08-20 13:30:00"),
        ("0201.30.010", "@", "0201.30.010"),  # a text cell is its text
        (None, None, ""),
    ],
)
def test_a_cell_as_excel_shows_it(value: object, number_format: str | None, text: str) -> None:
    assert shown_text(value, number_format) == text


def test_percent_date_and_text_cells_end_to_end(tmp_path: Path) -> None:
    rows = [
        ["E1", "US", "8479.89.94", "JP", 10000, dt.datetime(2025, 8, 20), 0.025, None],
        ["E2", "US", "8479.89.94", "JP", 10000, "2025-08-20", "2.5%", None],
    ]
    path = workbook(tmp_path / "e.xlsx", rows, {"G2": "0.0%", "F2": "yyyy/mm/dd"})
    first, second = check(path)
    assert first["duties"][0]["rate"] == "2.5%" and first["duties"][0]["amount"] == "250.00"  # not 0.025%: 2.50
    assert (first["entry_date"], first["total_duty"]) == (second["entry_date"], second["total_duty"])


def test_a_code_that_lost_its_leading_zero_is_restored_or_named(tmp_path: Path) -> None:
    rows = [
        ["J1", "JP", 20130010, "US", 1000000, "2026-03-02", None, 100],  # 0201.30.010 as a number
        ["U1", "US", 201308000, "JP", 1000, "2025-06-01", "Free", None],  # 0201.30.80.00 as a number
        ["U2", "US", 2013080, "JP", 1000, "2025-06-01", "Free", None],  # 0201.30.80 as a number
        ["U3", "US", 20130, "JP", 1000, "2025-06-01", "Free", None],  # too short to be one lost zero
        ["T1", "US", "201308000", "JP", 1000, "2025-06-01", "Free", None],  # text: typed so, not restored
    ]
    path = workbook(tmp_path / "codes.xlsx", rows, {})
    assert next(read_records(path))[NUMERIC] == ("hts_code", "value", "quantity")
    records = check(path)
    assert [r["hts_code"] for r in records[:3]] == ["020130010", "0201308000", "02013080"]
    assert [r["verdict"] for r in records[3:]] == ["invalid", "invalid"]
    restored = [x for x in records[0]["reasons"] if x["rule"] == "input.hts_code"]
    assert restored[0]["severity"] == "info" and "the workbook cell 20130010 is a number" in restored[0]["message"]
    assert "(a spreadsheet may have dropped its leading zero: 0201308000?)" in records[4]["reasons"][0]["message"]


def test_quantities_keep_their_displayed_precision(tmp_path: Path) -> None:
    rows = [["E1", "US", "0101.21.00.00", "JP", 1000.1, "2025-06-01", None, 12.5]]
    path = workbook(tmp_path / "q.xlsx", rows, {"H2": "0.000", "E2": "#,##0.00"})
    record = next(read_records(path))
    assert (record["quantity"], record["value"]) == ("12.500", "1000.10")
