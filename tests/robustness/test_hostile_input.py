"""The second round of hostile entry files (#14), through `clearance check`, `explain` and `diff`: no line
is silently lost or misread, and no one line takes the whole run down. Each test failed before its fix.

Silent loss: an XLSX `<dimension>` that understates or overstates the sheet, reader marks reachable as column
names, currency symbols and compatibility characters folded into numbers and codes, cap keys compared raw.
Crashes: JSON integers past Python's int-string limit, stray and unclosed CSV quotes, huge cells and thousands
of columns (bounded memory), non-text encodings, huge run ids and row numbers."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.entries.readers import CELL_LIMIT, read_records

from .test_hostile import FEATURES, GOOD, GOOD_RECORD, HEADER, check, errors, lines_out, one_line_error

JP_CARS = "destination,hts_code,origin,value,quantity,unit,entry_date,documents,attributes"
JP_CAR = "JP,870323019,US,3000000,3000,no,2026-03-01,JP-PHP,vehicle_type={kind}"


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def write(where: Path, name: str, text: str) -> Path:
    path = where / name
    path.write_text(text, encoding="utf-8")
    return path


def workbook(where: Path, rows: list[list[object]], dimension: str, far: str = "") -> Path:
    """A sheet whose `<dimension>` tag says `dimension` (openpyxl's read-only mode trusted it), plus `far` XML rows."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    plain = where / "plain.xlsx"
    book.save(plain)
    path = where / "e.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), data)
                data = data.replace(b"</sheetData>", far.encode() + b"</sheetData>")
            out.writestr(item, data)
    return path


# silent loss ---------------------------------------------------------------------------------------------------

ROWS = [
    ["hts_code", "origin", "value", "entry_date"],
    *[["0101.21.00", "JP", 1000 + n, "2025-06-01"] for n in range(5)],
]


@pytest.mark.parametrize("dimension", ["A1:B1", "A1:A6", "A1:D2"])
def test_an_xlsx_dimension_that_understates_the_sheet_loses_nothing(tmp_path: Path, dimension: str) -> None:
    out = lines_out(check(workbook(tmp_path, ROWS, dimension)))
    assert [(r["row"], r["verdict"]) for r in out] == [(n, "accept") for n in range(1, 6)]


def test_an_xlsx_dimension_of_the_whole_grid_with_one_far_cell_is_read_quickly(tmp_path: Path) -> None:
    far = '<row r="1048000"><c r="XFD1048000" t="inlineStr"><is><t>x</t></is></c></row>'
    out = lines_out(check(workbook(tmp_path, ROWS[:2], "A1:XFD1048576", far)))
    assert [errors(r) for r in out] == [[], ["input.row"]]


@pytest.mark.parametrize("name", ["__problem__", "__problem_column__", "__PROBLEM__"])
def test_no_column_of_a_file_is_an_internal_mark(tmp_path: Path, name: str) -> None:
    csv_out = lines_out(check(write(tmp_path, "e.csv", f"{HEADER},{name}\n{GOOD.format(n=1)},injected\n")))
    items = [dict(GOOD_RECORD, **{name: "injected\nline"})]
    json_out = lines_out(check(write(tmp_path, "e.json", json.dumps(items))))
    for out in (csv_out, json_out):
        assert out[0]["verdict"] == "accept" and out[0]["extra"] == {name.lower(): out[0]["extra"][name.lower()]}


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("value", "1$000"),
        ("value", "10¥00"),
        ("value", "1000$"),
        ("value", "€1000"),
        ("value", "１０００"),
        ("value", "¥1000"),  # a JPY symbol on a USD line
        ("declared_duty", "¥100"),
        ("quantity", "$5"),
        ("origin", "ſe"),  # upper() makes it SE
        ("origin", "ｊｐ"),
        ("destination", "uſ"),
        ("transport_mode", "truc\u212a"),  # the Kelvin sign lowers to k
        ("documents", "JP-FOOD-NOTIﬁCATION"),
    ],
)
def test_money_and_codes_are_read_strictly(tmp_path: Path, column: str, text: str) -> None:
    out = lines_out(check(write(tmp_path, "e.jsonl", json.dumps(dict(GOOD_RECORD, **{column: text})) + "\n")))
    assert f"input.{column}" in errors(out[0]), out[0]["reasons"]


def test_the_line_currency_symbol_is_read(tmp_path: Path) -> None:
    out = lines_out(check(write(tmp_path, "e.jsonl", json.dumps(dict(GOOD_RECORD, value="$1,000")) + "\n")))
    assert out[0]["verdict"] == "accept" and out[0]["total_duty"] == "100.00"


def test_a_cap_counts_attribute_values_as_one_whatever_their_case(tmp_path: Path) -> None:
    kinds = ["XYZ-2", "xyz-2", "Xyz-2", " ＸＹＺ-2 "]
    path = write(tmp_path, "cars.csv", "\n".join([JP_CARS, *(JP_CAR.format(kind=k) for k in kinds)]) + "\n")
    result = CliRunner().invoke(cli, ["check", "--no-db", "--workers", "1", "--format", "jsonl", str(path)])
    capped = [r["row"] for r in lines_out(result) if any(x["rule"].endswith(".cap") for x in r["reasons"])]
    assert capped == [2, 3, 4]  # 3,000 units each of one vehicle type: the second line passes 5,000


# whole-run crashes from one line ----------------------------------------------------------------------------------

HUGE = "9" * 5000  # past Python's 4,300-digit int-string limit


@pytest.mark.parametrize("column", ["value", "note", "quantity"])
def test_a_json_integer_of_any_length_is_its_line_problem(tmp_path: Path, column: str) -> None:
    bad = json.dumps(GOOD_RECORD)[:-1] + f', "{column}": {HUGE}}}'
    jsonl = write(tmp_path, "e.jsonl", "\n".join([json.dumps(GOOD_RECORD), bad, json.dumps(GOOD_RECORD)]) + "\n")
    array = write(tmp_path, "e.json", f"[{json.dumps(GOOD_RECORD)}, {bad}]")
    for path, rows in ((jsonl, 3), (array, 2)):
        out = lines_out(check(path))
        assert len(out) == rows and out[0]["verdict"] == "accept"
        assert (f"input.{column}" in errors(out[1])) == (column != "note"), out[1]["reasons"]


def test_explain_and_diff_read_a_json_integer_of_any_length(tmp_path: Path) -> None:
    path = write(tmp_path, "e.jsonl", json.dumps(GOOD_RECORD)[:-1] + f', "value": {HUGE}}}\n')
    common = ["--rules", str(FEATURES)]
    explained = CliRunner().invoke(cli, ["explain", str(path), "--row", "1", *common])
    assert explained.exit_code == 0 and "value" in explained.stdout, (explained.stderr, explained.exception)
    diffed = CliRunner().invoke(
        cli, ["diff", str(path), "--law-as-of", "2025-01-01", "--law-as-of", "2026-01-01", *common]
    )
    assert diffed.exit_code == 0, (diffed.stderr, diffed.exception)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("e.csv", '"' + GOOD.format(n=3)),  # unclosed: used to swallow every line after it, then abort the run
        ("e.csv", '"E3"x,0101.21.00,JP,1000,2025-06-01'),  # a stray quote after a quoted field
        ("e.tsv", '"' + GOOD.format(n=3).replace(",", "\t")),
    ],
)
def test_a_broken_quote_is_its_line_reject_and_the_lines_after_it_are_checked(
    tmp_path: Path, name: str, bad: str
) -> None:
    sep = "\t" if name.endswith("tsv") else ","
    rows = (
        [GOOD.format(n=n).replace(",", sep) for n in (1, 2)]
        + [bad]
        + [GOOD.format(n=n).replace(",", sep) for n in (4, 5)]
    )
    out = lines_out(check(write(tmp_path, name, "\n".join([HEADER.replace(",", sep), *rows]) + "\n")))
    assert [errors(r) for r in out] == [[], [], ["input.row"], [], []]
    assert "line 4" in out[2]["reasons"][0]["message"]


@pytest.mark.parametrize("name", ["e.csv", "e.jsonl"])
def test_a_huge_pass_through_cell_is_its_line_problem_and_is_not_kept(tmp_path: Path, name: str) -> None:
    big = "x" * (CELL_LIMIT + 1)
    if name.endswith("csv"):
        text = f"{HEADER},note\n{GOOD.format(n=1)},a\n{GOOD.format(n=2)},{big}\n{GOOD.format(n=3)},c\n"
    else:
        text = "\n".join(json.dumps(dict(GOOD_RECORD, note=v)) for v in ("a", big, "c")) + "\n"
    out = lines_out(check(write(tmp_path, name, text)))
    assert [errors(r) for r in out] == [[], ["input.note"], []]
    assert out[1]["extra"] == {"note": ""} and len(json.dumps(out[1])) < 5000


def test_a_header_of_ten_thousand_columns_is_one_line_error(tmp_path: Path) -> None:
    extra = ",".join(f"c{n}" for n in range(10_000))
    path = write(tmp_path, "e.csv", f"{HEADER},{extra}\n{GOOD.format(n=1)}\n")
    one_line_error(check(path), "columns (at most 1,000)")


def test_a_json_line_of_ten_thousand_columns_is_its_line_problem(tmp_path: Path) -> None:
    wide = dict(GOOD_RECORD, **{f"c{n}": "v" for n in range(10_000)})
    out = lines_out(check(write(tmp_path, "e.jsonl", "\n".join(map(json.dumps, [GOOD_RECORD, wide])) + "\n")))
    assert [errors(r) for r in out] == [[], ["input.row"]]


def test_records_of_a_huge_line_stay_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", f"{HEADER},note\n{GOOD.format(n=1)},{'y' * 100_000}\n")
    [record] = list(read_records(path))
    assert sum(len(v) for v in record.values() if isinstance(v, str)) < 1000


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "zlib"])
def test_a_non_text_encoding_is_one_line_error(tmp_path: Path, codec: str) -> None:
    path = write(tmp_path, "e.csv", f"{HEADER}\n{GOOD.format(n=1)}\n")
    one_line_error(check(path, "--encoding", codec), "not a text encoding")


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "show", "99999999999999999999"],
        ["runs", "export", "99999999999999999999"],
        ["explain", "e.csv", "--row", "99999999999999999999"],
    ],
)
def test_huge_run_ids_and_rows_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, "e.csv", f"{HEADER}\n{GOOD.format(n=1)}\n")
    CliRunner().invoke(cli, ["check", "e.csv", "--rules", str(FEATURES), "--workers", "1", "--format", "none"])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "Traceback" not in result.stderr and "range" in result.stderr, result.stderr
