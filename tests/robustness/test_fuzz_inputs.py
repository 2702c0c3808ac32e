"""Property-based tests (hypothesis, a fixed small budget for CI) for the inputs tests/robustness/test_fuzz.py
does not reach: XLSX workbooks (cells of any type, and mutated sheet XML) and HTSUS exports (any bytes, and
mutated exports). Each input gives records or rows, or one one-line error; never a traceback. The same targets
run under atheris: `python -m fuzz.fuzz_clearance readers|hts`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from clearance.engine.entries.readers import InputFileError, read_records
from fuzz.targets import SEEDS, target_hts, target_readers

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CELLS = (
    st.none()
    | st.text(max_size=12)
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1))
)
HEADER = ["hts_code", "origin", "value", "entry_date"]


@FAST
@given(st.lists(st.lists(CELLS, max_size=7), max_size=12))
def test_any_xlsx_cells_are_one_record_per_non_blank_row(tmp_path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    path = tmp_path / "e.xlsx"
    try:
        for row in rows:
            book.active.append(row)
        book.save(path)
    except IllegalCharacterError:  # control characters a spreadsheet cannot hold
        return
    records = list(read_records(path))
    filled = [r for r in rows if any(c is not None and str(c).strip() for c in r)]
    assert len(records) == len(filled)


XML = st.sampled_from([b"<row>", b"</row>", b'<c r="XFD9" t="s"><v>99</v></c>', b"<v>", b"\x00", b"&", b"]]>"])


@FAST
@given(st.lists(XML | st.binary(max_size=6), max_size=8), st.integers(min_value=0, max_value=400))
def test_mutated_sheet_xml_is_records_or_one_input_file_error(parts: list[bytes], at: int) -> None:
    seed = SEEDS["readers"][3]  # first byte 4: XLSX, the rest its sheet's XML
    at = 1 + at % len(seed)
    target_readers(seed[:at] + b"".join(parts) + seed[at:])


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet='",\n\r[]0123456789.Free%HTS Number', max_size=200).map(str.encode))
def test_any_bytes_as_an_hts_export_are_rows_or_one_hts_error(data: bytes) -> None:
    target_hts(data)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.binary(max_size=8), st.integers(min_value=0, max_value=40))
def test_a_mutated_hts_export_is_rows_or_one_hts_error(at: int, insert: bytes, cut: int) -> None:
    seed = SEEDS["hts"][0]
    at %= len(seed)
    target_hts(seed[:at] + insert + seed[at + cut :])


def test_a_file_that_is_not_a_workbook_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    path.write_bytes(b"PK\x03\x04 not a zip")
    try:
        list(read_records(path))
    except InputFileError as exc:
        assert "\n" not in str(exc)
