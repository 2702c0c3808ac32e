"""Hostile and broken entry files through `clearance check`: each is a one-line error (exit 2, one `Error:`
line on stderr, no traceback) or one verdict per input line with a reject naming the column. Output
safety: CSV cells never start a formula, JSON keeps the raw text, terminals never get control characters.

What tests/cli/test_check.py and tests/entries/test_readers.py already hold (a directory, a missing file, no hts_code
column, JSON that is not an array, ragged rows, formula text in entry and line numbers) is not repeated."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from clearance.cli.main import cli

from ..conftest import PACKS

FEATURES = PACKS / "features"
HEADER = "entry_number,hts_code,origin,value,entry_date"
GOOD = "E{n},0101.21.00,JP,1000,2025-06-01"  # 10% (feat.adval): accept, 100.00 USD
GOOD_RECORD = {"hts_code": "0101.21.00", "origin": "JP", "value": "1000", "entry_date": "2025-06-01"}


@pytest.fixture(autouse=True)
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def check(path: Path | str, *args: str, fmt: str = "jsonl", color: bool = False) -> Result:
    opts = ["--no-db", "--workers", "1", "--rules", str(FEATURES), "--law-as-of", "2026-01-01", "--format", fmt]
    return CliRunner().invoke(cli, ["check", *opts, *args, str(path)], color=color)


def lines_out(result: Result) -> list[dict]:
    assert "Traceback" not in result.stderr and result.exit_code in (0, 1), (result.stderr, result.exception)
    return [json.loads(line) for line in result.stdout.splitlines()]


def one_line_error(result: Result, *fragments: str) -> str:
    """Exit 2, exactly one non-empty `Error:` line on stderr, no traceback; returns the line."""
    assert result.exit_code == 2, (result.stdout[-500:], result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.split("\n")
    assert lines[-1] == "" and len(lines) == 2, result.stderr
    assert lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def errors(record: dict) -> list[str]:
    return [x["rule"] for x in record["reasons"] if x["severity"] == "error"]


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def csv_file(tmp_path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return write(tmp_path, "e.csv", buf.getvalue())


# empty files and headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("empty.csv", b"", "empty file"),
        ("blank.csv", b"\n \r\n\t\n", "empty file"),
        ("bom-only.csv", b"\xef\xbb\xbf", "empty file"),
        ("empty.tsv", b"", "empty file"),
        ("empty.json", b"", "the file is empty"),
        ("bom-only.json", b"\xef\xbb\xbf  \n", "the file is empty"),
        ("nul-only.csv", b"\x00\x00\x00\x00", "no hts_code column"),
        ("utf16-no-bom.csv", f"{HEADER}\n".encode("utf-16-le"), "no hts_code column"),
    ],
)
def test_empty_and_headerless_files_are_one_line_errors(tmp_path: Path, name: str, data: bytes, fragment: str) -> None:
    one_line_error(check(write(tmp_path, name, data)), name, fragment)


@pytest.mark.parametrize("text", [f"{HEADER}\n", f"{HEADER}\r\n", f"\ufeff{HEADER}", f"{HEADER}\n\n,,,,\n  \n"])
def test_a_header_only_file_has_no_lines_and_passes(tmp_path: Path, text: str) -> None:
    result = check(write(tmp_path, "h.csv", text))
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("0 lines: 0 accept")


@pytest.mark.parametrize(("name", "data"), [("e.jsonl", ""), ("e.jsonl", "\n \n\r\n"), ("e.json", " [ ] ")])
def test_json_inputs_with_no_lines(tmp_path: Path, name: str, data: str) -> None:
    result = check(write(tmp_path, name, data))
    assert (result.exit_code, result.stdout) == (0, "")


# columns: missing, duplicated, ragged rows ------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["origin", "value", "entry_date"])
def test_a_missing_required_column_rejects_every_line_naming_it(tmp_path: Path, column: str) -> None:
    names = HEADER.split(",")
    keep = [i for i, c in enumerate(names) if c != column]
    rows = [",".join(names[i] for i in keep)] + [",".join(GOOD.format(n=n).split(",")[i] for i in keep) for n in (1, 2)]
    out = lines_out(check(write(tmp_path, "e.csv", "\n".join(rows) + "\n")))
    assert [errors(r) for r in out] == [[f"input.{column}"]] * 2


def test_a_repeated_column_with_the_same_value_is_read(tmp_path: Path) -> None:
    text = "hts_code,origin,value,entry_date,HTS_Code\n0101.21.00,JP,1000,2025-06-01,0101.21.00\n"
    [record] = lines_out(check(write(tmp_path, "e.csv", text)))
    assert (record["verdict"], record["total_duty"]) == ("accept", "100.00")


DATE = '"entry_date": "2025-06-01"'
CONFLICTS = {
    "csv": ("e.csv", "hts_code,origin,value,entry_date, Value\n0101.21.00,JP,1000,2025-06-01,5\n"),
    "json": (
        "e.json",
        '[{"hts_code": "0101.21.00", "origin": "JP", "value": "1000", "VALUE": "5", "entry_date": "2025-06-01"}]',
    ),
    "jsonl": (
        "e.jsonl",
        '{"hts_code": "0101.21.00", "origin": "JP", "value": "1000", "value": "5", "entry_date": "2025-06-01"}\n',
    ),
}


@pytest.mark.parametrize("kind", sorted(CONFLICTS))
def test_a_repeated_column_with_conflicting_values_is_not_silently_resolved(tmp_path: Path, kind: str) -> None:
    name, text = CONFLICTS[kind]
    result = check(write(tmp_path, name, text))
    if result.exit_code == 2:
        one_line_error(result, "value")
        return
    [record] = lines_out(result)
    assert "input.value" in errors(record)


def test_ragged_rows_one_verdict_each_naming_the_row(tmp_path: Path) -> None:
    rows = [GOOD.format(n=1), "E2,0101.21.00", GOOD.format(n=3) + ",x,y", "E4", ",,,,,x", GOOD.format(n=6)]
    blank = "," * 9  # a row of empty cells is a blank line: skipped, like an empty line
    out = lines_out(check(write(tmp_path, "e.csv", "\n".join([HEADER, *rows[:3], blank, *rows[3:]]) + "\n")))
    assert [r["row"] for r in out] == [1, 2, 3, 4, 5, 6]
    assert [errors(r) for r in out] == [[], ["input.row"], ["input.row"], ["input.row"], ["input.row"], []]


def test_an_unclosed_quote_does_not_swallow_the_lines_after_it(tmp_path: Path) -> None:
    rows = [GOOD.format(n=1), GOOD.format(n=2), '"' + GOOD.format(n=3), GOOD.format(n=4), GOOD.format(n=5)]
    result = check(write(tmp_path, "e.csv", "\n".join([HEADER, *rows]) + "\n"))
    if result.exit_code == 2:
        one_line_error(result, "line 4")
        return
    assert len(lines_out(result)) == len(rows)


def test_quotes_inside_unquoted_fields_and_quoted_newlines(tmp_path: Path) -> None:
    rows = ['E"1,0101.21.00,JP,1000,2025-06-01', '"E\n2",0101.21.00,JP,1000,2025-06-01', GOOD.format(n=3)]
    out = lines_out(check(write(tmp_path, "e.csv", "\n".join([HEADER, *rows]) + "\n")))
    assert [(r["entry_number"], r["verdict"]) for r in out] == [('E"1', "accept"), ("E\n2", "accept"), ("E3", "accept")]


# huge fields, NUL bytes, encodings ---------------------------------------------------------------------------------

BIG = "x" * 10_000_000


@pytest.mark.parametrize("quoted", [False, True])
def test_a_10_mb_field_rejects_its_line_only(tmp_path: Path, quoted: bool) -> None:
    field = f'"{BIG}\n{BIG[:10]}"' if quoted else BIG
    rows = [GOOD.format(n=1), f"E2,0101.21.00,JP,1000,{field}", GOOD.format(n=3)]
    out = lines_out(check(write(tmp_path, "e.csv", "\n".join([HEADER, *rows]) + "\n")))
    assert [errors(r) for r in out] == [[], ["input.entry_date"], []]
    assert "longer than" in out[1]["reasons"][0]["message"] and len(out[1]["reasons"][0]["message"]) < 200


@pytest.mark.parametrize("name", ["e.jsonl", "e.json"])
def test_a_10_mb_json_field_rejects_its_line_only(tmp_path: Path, name: str) -> None:
    items = [GOOD_RECORD, dict(GOOD_RECORD, origin=BIG), GOOD_RECORD]
    text = "\n".join(json.dumps(i) for i in items) if name.endswith("jsonl") else json.dumps(items)
    out = lines_out(check(write(tmp_path, name, text)))
    assert [errors(r) for r in out] == [[], ["input.origin"], []]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("E1,0101.21.00,JP,10\x0000,2025-06-01", "input.value"),
        ("E1,0101.21.00,J\x00P,1000,2025-06-01", "input.origin"),
        ("E1,0101.\x0021.00,JP,1000,2025-06-01", "input.hts_code"),
        ("E1,0101.21.00,JP,1000,2025-06-01\x00", "input.entry_date"),
    ],
)
def test_nul_bytes_reject_the_column_they_are_in(tmp_path: Path, row: str, column: str) -> None:
    [record] = lines_out(check(write(tmp_path, "e.csv", f"{HEADER}\n{row}\n")))
    assert errors(record) == [column]


def test_a_nul_byte_in_a_passed_through_column_is_kept_and_printed_safely(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", f"{HEADER}\n\x00E\x001,0101.21.00,JP,1000,2025-06-01\n")
    [record] = lines_out(check(path))
    assert (record["entry_number"], record["verdict"]) == ("\x00E\x001", "accept")
    assert "\x00" not in check(path, fmt="table").stdout


def test_latin1_bytes_in_a_utf8_file_are_one_line_error(tmp_path: Path) -> None:
    data = f"{HEADER}\n{GOOD.format(n=1)}\n".encode() + "Eé,0101.21.00,JP,1000,2025-06-01\n".encode("latin-1")
    one_line_error(check(write(tmp_path, "e.csv", data)), "e.csv", "--encoding")


def test_utf8_lines_in_a_shift_jis_file_still_get_one_verdict_each(tmp_path: Path) -> None:
    """Known limit: UTF-8 bytes usually decode as (wrong) CP932 text, so a CP932 file with a few UTF-8 lines is
    read as CP932; the codes, dates and values are ASCII, so the verdicts stay right and the text is echoed."""
    data = f"{HEADER}\n".encode() + "東京,0101.21.00,JP,1000,2025-06-01\n".encode("cp932")
    data += "東京,0101.21.00,JP,1000,2025-06-01\n".encode()
    out = lines_out(check(write(tmp_path, "e.csv", data)))
    assert [r["verdict"] for r in out] == ["accept", "accept"] and out[0]["entry_number"] == "東京"


def test_an_explicit_encoding_that_does_not_fit_is_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", f"{HEADER}\n東京,0101.21.00,JP,1000,2025-06-01\n".encode("cp932"))
    one_line_error(check(path, "--encoding", "utf-8"), "not UTF-8 text")
    one_line_error(check(path, "--encoding", "no-such-codec"), "unknown encoding")


# JSON shapes --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["null", "true", "42", '"entries"', "{}", '{"lines": []}', "[", "[}", "]"])
def test_json_that_is_not_an_array_of_objects_is_one_line_error(tmp_path: Path, text: str) -> None:
    one_line_error(check(write(tmp_path, "e.json", text)), "e.json", "JSON")


def test_json_items_that_are_not_objects_get_a_reject_each(tmp_path: Path) -> None:
    text = json.dumps([1, "x", None, [], True, GOOD_RECORD, {"value": {"nested": [1, 2]}}])
    out = lines_out(check(write(tmp_path, "e.json", text)))
    assert [errors(r) for r in out][:5] == [["input.row"]] * 5
    assert out[5]["verdict"] == "accept" and "input.value" in errors(out[6])


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_array_is_one_line_error_or_a_reject(tmp_path: Path, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    text = f'[{json.dumps(GOOD_RECORD)}, {{"note": {nested}, "hts_code": "0101.21.00"}}]'
    result = check(write(tmp_path, "e.json", text))
    if result.exit_code == 2:
        one_line_error(result, "e.json", "not valid JSON")
    else:
        out = lines_out(result)
        assert len(out) == 2 and out[1]["verdict"] == "invalid"


def test_deeply_nested_jsonl_line_is_a_reject_and_the_others_are_checked(tmp_path: Path) -> None:
    nested = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    text = "\n".join([json.dumps(GOOD_RECORD), nested, "[1, 2]", "not json at all", json.dumps(GOOD_RECORD)])
    out = lines_out(check(write(tmp_path, "e.jsonl", text)))
    assert [errors(r) for r in out] == [[], ["input.row"], ["input.row"], ["input.row"], []]


# XLSX -----------------------------------------------------------------------------------------------------------------


def workbook(path: Path, rows: int = 1500) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for n in range(rows):
        sheet.append([f"E{n}", "0101.21.00", "JP", 1000, "2025-06-01"])
    book.save(path)
    return path


@pytest.mark.parametrize("keep", [0.5, 0.1, 0.0])
def test_a_truncated_xlsx_file_is_one_line_error(tmp_path: Path, keep: float) -> None:
    data = workbook(tmp_path / "good.xlsx").read_bytes()
    one_line_error(check(write(tmp_path, "cut.xlsx", data[: int(len(data) * keep)])), "cut.xlsx", "XLSX")


def _rezip(src: Path, dest: Path, change) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, change(data) if name == "xl/worksheets/sheet1.xml" else data)
    return dest


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_an_xlsx_with_a_broken_sheet_is_one_line_error(tmp_path: Path, damage: str) -> None:
    good = workbook(tmp_path / "good.xlsx")

    def change(data: bytes) -> bytes:
        return data[: len(data) // 2] if damage == "truncated" else data.replace(b"<c ", b"<c <", 3)

    one_line_error(check(_rezip(good, tmp_path / "bad.xlsx", change)), "bad.xlsx")


def test_a_file_that_is_not_a_workbook_given_as_xlsx(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", f"{HEADER}\n{GOOD.format(n=1)}\n")
    one_line_error(check(path, "--input-format", "xlsx"), "e.csv", "not a readable XLSX workbook")


@pytest.mark.parametrize(("name", "fmt"), [("d.json", None), ("d.xlsx", None), ("d", "jsonl")])
def test_a_directory_given_as_a_file_in_each_format(tmp_path: Path, name: str, fmt: str | None) -> None:
    (tmp_path / name).mkdir()
    args = ["--input-format", fmt] if fmt else []
    one_line_error(check(tmp_path / name, *args), "is a directory")


def test_dev_null_is_an_empty_file() -> None:
    one_line_error(check("/dev/null", "--input-format", "csv"), "empty file")


# output safety ------------------------------------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_output_neutralises_formulas_in_every_echoed_column(tmp_path: Path, formula: str) -> None:
    """A rejected line echoes what it was given: its code, origin and date too, and unknown columns."""
    path = csv_file(tmp_path, [[*HEADER.split(","), "line_number", "note"], [formula] * 7])
    out = check(path, fmt="csv").stdout
    [cells] = list(csv.reader(io.StringIO(out, newline="")))[1:]
    assert all(not c or c[0] not in "=+-@\t\r" for c in cells), cells
    given = formula.strip()  # values are read stripped: "\t=1" is "=1"
    assert cells.count("'" + given) == 5  # entry, hts, origin, date, line number; the note is in `extra` JSON
    [record] = lines_out(check(path))
    assert [record[k] for k in ("entry_number", "hts_code", "origin", "entry_date", "line_number")] == [given] * 5
    assert record["extra"] == {"note": given}


def test_table_output_never_prints_control_characters(tmp_path: Path) -> None:
    nasty = "\x1b]0;title\x07\x1b[2J\r\x00\u202e"
    path = csv_file(tmp_path, [HEADER.split(","), [nasty, "0101.21.00", nasty, "1000", "2025-06-01"]])
    out = check(path, fmt="table", color=True).stdout
    assert not any(ch in out for ch in "\x1b\x07\r\x00\u202e"), repr(out)
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize("case", ["newline in the name", "newline in a header cell", "escape in the name"])
def test_a_file_error_stays_one_printable_line(tmp_path: Path, case: str) -> None:
    if case == "newline in a header cell":
        path = write(tmp_path, "e.csv", '"a\nb",x\n1,2\n')
    else:
        name = "bad\nname.csv" if case == "newline in the name" else "bad\x1b[31mname.csv"
        path = write(tmp_path, name, "a,b\n1,2\n")
    line = one_line_error(check(path, color=True), "hts_code")
    assert line.isprintable(), repr(line)
