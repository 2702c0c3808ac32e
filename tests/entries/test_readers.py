"""Readers: CSV/TSV in UTF-8 (BOM or not) and Shift-JIS, streamed JSON arrays, JSONL and XLSX."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from clearance.engine.entries import json_reader, readers
from clearance.engine.entries.readers import (
    LINE,
    PROBLEM,
    InputFileError,
    RecordSource,
    cell_text,
    read_records,
    sniff_encoding,
)
from clearance.engine.entries.records import RESERVED

HEADER = "entry_number,hts_code,origin,value,entry_date,attributes"
ROWS = ["東京-0001,8479.89.94,JP,100000,2025-04-15,purpose=販売", "東京-0002,5208.11.40,JP,10000,2025-08-20,"]
EXPECTED = [
    {
        "entry_number": "東京-0001",
        "hts_code": "8479.89.94",
        "origin": "JP",
        "value": "100000",
        "entry_date": "2025-04-15",
        "attributes": "purpose=販売",
    },
    {
        "entry_number": "東京-0002",
        "hts_code": "5208.11.40",
        "origin": "JP",
        "value": "10000",
        "entry_date": "2025-08-20",
        "attributes": "",
    },
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def columns(records: object) -> list[dict]:
    """The records without what the reader notes beside the columns (the physical line, tested on its own
    below; the header's notes, tested in test_headers.py), but with the problem."""
    return [{k: v for k, v in r.items() if k not in RESERVED or k == PROBLEM} for r in records]  # type: ignore[attr-defined]


def lines(records: object) -> list[int]:
    return [r[LINE] for r in records]  # type: ignore[attr-defined]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "shift_jis", "cp932"])
def test_csv_in_each_encoding_is_detected(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "entries.csv", "\r\n".join([HEADER, *ROWS]) + "\r\n", encoding)
    assert columns(read_records(path)) == EXPECTED


def test_shift_jis_with_windows_extensions_and_explicit_encoding(tmp_path: Path) -> None:
    # ① and ㈱ exist in CP932 only (not in plain Shift-JIS)
    path = write(tmp_path, "entries.csv", f"{HEADER}\n①㈱,8479.89.94,JP,1,2025-04-15,\n", "cp932")
    assert next(read_records(path))["entry_number"] == "①㈱"
    assert next(read_records(path, encoding="cp932"))["entry_number"] == "①㈱"
    assert next(read_records(path, encoding="shift_jis_2004"))["hts_code"] == "8479.89.94"


def test_shift_jis_read_as_utf8_is_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, "entries.csv", "\n".join([HEADER, *ROWS]) + "\n", "cp932")
    with pytest.raises(InputFileError, match=r"not UTF-8 text .* at byte"):
        list(read_records(path, encoding="utf-8"))


def test_late_non_utf8_byte_names_the_encoding_option(tmp_path: Path) -> None:
    ascii_rows = [f"E{n},8479.89.94,JP,1,2025-04-15," for n in range(9000)]  # > 64 KiB of ASCII first
    path = write(tmp_path, "entries.csv", "\n".join([HEADER, *ascii_rows, ROWS[0]]) + "\n", "cp932")
    with pytest.raises(InputFileError, match="--encoding"):
        list(read_records(path))


def test_unknown_encoding_and_undecidable_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "entries.csv", "\n".join([HEADER, *ROWS]) + "\n")
    with pytest.raises(InputFileError, match="unknown encoding"):
        list(read_records(path, encoding="klingon"))
    with pytest.raises(InputFileError, match="neither UTF-8 nor Shift-JIS"):
        sniff_encoding(b"hts_code\n\x81 abc\n", "x.csv")


def test_sniff_allows_a_character_cut_at_the_end_of_the_sample() -> None:
    assert sniff_encoding("ab東".encode()[:-1]) == "utf-8-sig"
    assert sniff_encoding("ab東".encode("cp932")[:-1]) == "cp932"


def test_tsv_by_suffix_and_by_header(tmp_path: Path) -> None:
    text = "\n".join(line.replace(",", "\t") for line in [HEADER, *ROWS]) + "\n"
    assert columns(read_records(write(tmp_path, "entries.tsv", text))) == EXPECTED
    assert columns(read_records(write(tmp_path, "entries.txt", text))) == EXPECTED
    assert columns(read_records(write(tmp_path, "entries.dat", text), "tsv")) == EXPECTED


def test_csv_ragged_and_blank_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", f"{HEADER}\n\n,,,\nA,1,JP\n")
    (record,) = list(read_records(path))
    assert record[PROBLEM] == "row has 3 fields, the header has 6"


def test_csv_records_carry_the_physical_line_they_start_on(tmp_path: Path) -> None:
    """Rows and physical lines differ after blank lines, quoted line breaks and a header cut in two: CI formats
    point at the line, so a row never stands in for it."""
    text = '"entry\n_number",hts_code\n\nA,1\n"B\nB\r\nB",2\n\n\nC,3\n'
    records = list(read_records(write(tmp_path, "e.csv", text)))
    assert [r["hts_code"] for r in records] == ["1", "2", "3"]
    assert lines(records) == [4, 5, 10]


def test_csv_header_problems(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="empty file"):
        list(read_records(write(tmp_path, "a.csv", "")))
    with pytest.raises(InputFileError, match="no hts_code column"):
        list(read_records(write(tmp_path, "b.csv", "a,b\n1,2\n")))


def test_position_advances_while_reading(tmp_path: Path) -> None:
    rows = [f"E{n},8479.89.94,JP,1,2025-04-15," for n in range(50_000)]
    path = write(tmp_path, "e.csv", "\n".join([HEADER, *rows]) + "\n")
    source = RecordSource(path)
    seen = []
    for n, _ in enumerate(source):
        if n % 10_000 == 0:
            seen.append(source.position())
    assert seen == sorted(seen) and seen[-1] > seen[0] and source.size == path.stat().st_size


# --- JSON ---------------------------------------------------------------------------------------------


def json_text(items: list[object]) -> str:
    return "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n]\n"


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
def test_json_array_streams_across_block_boundaries(tmp_path: Path, monkeypatch, block: int) -> None:
    monkeypatch.setattr(json_reader, "JSON_BLOCK", block)
    items: list[object] = [*EXPECTED, 12345, "text", {"hts_code": "1", "value": 10.5, "nested": {"a": [1, 2]}}]
    records = list(read_records(write(tmp_path, "e.json", json_text(items))))
    assert columns(records[:2]) == EXPECTED
    assert columns(records[2:4]) == [{PROBLEM: "item 3 is not a JSON object"}, {PROBLEM: "item 4 is not a JSON object"}]
    assert columns(records[4:]) == [items[4]]
    assert lines(records) == [2, 3, 4, 5, 6]  # each item's own line, whatever the block size


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("   \n", "the file is empty"),
        ('{"hts_code": "1"}', "must be an array"),
        ('[{"hts_code": "1"} {"hts_code": "2"}]', "expected ',' or ']'"),
        ('[{"hts_code": "1"},', "not valid JSON"),
        ('[{"hts_code": "1"}] []', "extra data"),
        ('[{"hts_code": "1}]', "not valid JSON"),
        ("[1, 2", "the array is not closed"),
        ('[{"hts_code": "1"}, ]', "a comma before"),
    ],
)
def test_json_errors_are_one_line(tmp_path: Path, monkeypatch, text: str, problem: str) -> None:
    monkeypatch.setattr(json_reader, "JSON_BLOCK", 4)
    with pytest.raises(InputFileError, match=problem) as info:
        list(read_records(write(tmp_path, "e.json", text)))
    assert "\n" not in str(info.value)


def test_empty_json_array_has_no_records(tmp_path: Path) -> None:
    assert list(read_records(write(tmp_path, "e.json", " [ ] "))) == []


def test_json_array_memory_stays_flat(tmp_path: Path) -> None:
    item = {"entry_number": "E", "hts_code": "8479899400", "origin": "JP", "value": "100", "note": "x" * 400}
    path = tmp_path / "big.json"
    with path.open("w") as fh:
        fh.write("[" + ",".join(json.dumps(dict(item, line_number=str(n))) for n in range(20_000)) + "]")
    assert path.stat().st_size > 10_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_records(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 8_000_000  # two 1 MiB text blocks and their decoding, not the 10 MB file


def test_jsonl_keeps_its_behaviour(tmp_path: Path) -> None:
    path = write(tmp_path, "e.jsonl", '{"hts_code": "1"}\n\nnot json\n[1]\n')
    records = list(read_records(path))
    assert columns(records[:1]) == [{"hts_code": "1"}]
    assert records[1][PROBLEM].startswith("line 3 is not valid JSON")
    assert records[2] == {PROBLEM: "line 4 is not a JSON object", LINE: 4}
    assert lines(records) == [1, 3, 4]


# --- XLSX ---------------------------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_xlsx_first_sheet_and_named_sheet(tmp_path: Path) -> None:
    rows = [
        [None],
        ["Entry_Number", "HTS_CODE", "origin", "value", "entry_date", "steel_value", None],
        ["東京-1", "8479.89.94", "JP", 100000, dt.datetime(2025, 4, 15), 0.1 + 0.2],
        [None, None, None],
        ["東京-2", "0201.30.50", "JP", 10000.5, dt.date(2025, 9, 20), 1e20],
        ["E-3", "7208.10.15", "JP", 5, "2025-10-01", None, None, "stray"],
    ]
    path = workbook(tmp_path / "e.xlsx", {"Entries": rows, "Other": [["hts_code"], ["1"]]})
    records = list(read_records(path))
    assert lines(records) == [3, 5, 6]  # sheet rows: a blank first row, the header, a blank row between
    assert columns(records)[0] == {
        "entry_number": "東京-1",
        "hts_code": "8479.89.94",
        "origin": "JP",
        "value": "100000",
        "entry_date": "2025-04-15",
        "steel_value": "0.3",
    }
    assert records[1]["value"] == "10000.5" and records[1]["entry_date"] == "2025-09-20"
    assert records[1]["steel_value"] == "1e+20"
    assert records[2][PROBLEM] == "row has a value in column 8, past the header's 6 columns"
    assert columns(read_records(path, sheet="Other")) == [{"hts_code": "1"}]
    with pytest.raises(InputFileError, match="no sheet 'Nope' \\(sheets: Entries, Other\\)"):
        list(read_records(path, sheet="Nope"))


def test_xlsx_problems(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="empty sheet"):
        list(read_records(workbook(tmp_path / "a.xlsx", {"S": []})))
    with pytest.raises(InputFileError, match="no hts_code column"):
        list(read_records(workbook(tmp_path / "b.xlsx", {"S": [["a", "b"], [1, 2]]})))
    with pytest.raises(InputFileError, match="not a readable XLSX workbook"):
        list(read_records(write(tmp_path, "c.xlsx", "not a zip")))
    with pytest.raises(InputFileError, match="must be a file"):
        list(read_records("-", "xlsx"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "TRUE"),
        (3, "3"),
        (2.5, "2.5"),
        (100000.0, "100000"),
        (1234.56, "1234.56"),
        (dt.datetime(2025, 1, 2, 3, 4), "2025-01-02 03:04:00"),
        (dt.time(8, 0), "08:00:00"),
        ("x", "x"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


# --- columns given twice, unclosed quotes, numbers, broken sheets ------------------------------------------


def test_a_repeated_column_keeps_its_one_value_and_refuses_two(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "hts_code,Value,origin, value \n1,100,JP,\n2,,JP,100\n3,100,JP,100\n")
    assert [r["value"] for r in read_records(path)] == ["100", "100", "100"]
    assert not any(PROBLEM in r for r in read_records(path))
    path = write(tmp_path, "f.csv", "hts_code,value,origin,VALUE,,\n1,100,JP,100,,\n2,100,JP,5,a,b\n")
    first, second = read_records(path)
    assert PROBLEM not in first
    assert second[PROBLEM] == "the column 'value' is given twice, with two values ('100' and '5')"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("e.json", '[{"hts_code": "1"}, {"hts_code": "1", "value": "1", "VALUE": 2, "": 1, " ": 2}]'),
        ("e.jsonl", '{"hts_code": "1"}\n{"hts_code": "1", "value": "1", "value": "2", "x": {"a": 1, "A": 2}}\n'),
    ],
)
def test_a_json_object_giving_a_column_twice_is_its_lines_problem(tmp_path: Path, name: str, text: str) -> None:
    first, second = read_records(write(tmp_path, name, text))
    assert PROBLEM not in first and second["hts_code"] == "1"
    assert second[PROBLEM] == "the column 'value' is given twice, with two values ('1' and '2')"
    same = text.replace('"2"', '"1"').replace(": 2,", ': "1",')
    assert not any(PROBLEM in r for r in read_records(write(tmp_path, name, same)))


@pytest.mark.parametrize("name", ["e.json", "e.jsonl"])
def test_json_numbers_are_never_binary_floats(tmp_path: Path, name: str) -> None:
    item = '{"hts_code": "1", "value": 12345678901234.567, "quantity": 3, "steel_value": 1e2}'
    text = f"[{item}]" if name == "e.json" else item + "\n"
    (record,) = read_records(write(tmp_path, name, text))
    assert [str(record[k]) for k in ("value", "quantity", "steel_value")] == ["12345678901234.567", "3", "1E+2"]


def test_an_unclosed_quote_is_its_line_problem_and_the_lines_after_it_are_read(tmp_path: Path) -> None:
    rows = ["1,JP", "2,JP", '"3,JP', "4,JP", "5,JP"]
    path = write(tmp_path, "e.csv", "\n".join(["hts_code,origin", *rows]) + "\n")
    records = list(read_records(path))
    assert [r.get("hts_code") for r in records] == ["1", "2", None, "4", "5"]
    assert records[2][PROBLEM] == "a quoted field opened on line 4 is never closed"
    quoted = write(tmp_path, "q.csv", 'hts_code,origin\n"1\n2",JP\nE"3,JP\n')
    assert [r["hts_code"] for r in read_records(quoted)] == ["1\n2", 'E"3']


def test_a_broken_xlsx_sheet_is_one_error(tmp_path: Path) -> None:
    import zipfile

    good = workbook(tmp_path / "good.xlsx", {"S": [["hts_code"], ["1"]] * 50})
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for entry in zin.namelist():
            data = zin.read(entry)
            zout.writestr(entry, data[: len(data) // 2] if entry.startswith("xl/worksheets/") else data)
    with pytest.raises(InputFileError, match="the XLSX sheet cannot be read"):
        list(read_records(bad))


def test_xlsx_repeated_column(tmp_path: Path) -> None:
    path = workbook(tmp_path / "e.xlsx", {"S": [["hts_code", "value", "Value"], ["1", 5, 5], ["2", 5, 6]]})
    first, second = read_records(path)
    assert columns([first]) == [{"hts_code": "1", "value": "5"}] and "given twice" in second[PROBLEM]


def test_a_header_without_hts_code_is_named_on_one_line(tmp_path) -> None:
    """Found by hypothesis (tests/robustness/test_fuzz.py): a quoted header cell holding a line break."""
    path = tmp_path / "e.csv"
    path.write_bytes(b'"\x00\n\x00"')
    with pytest.raises(readers.InputFileError) as exc:
        list(readers.read_records(path))
    assert "\n" not in str(exc.value) and "no hts_code column" in str(exc.value)
