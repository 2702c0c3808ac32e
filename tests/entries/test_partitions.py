"""Input in partitions (engine/entries/partitions.py, engine/run/parts.py), in this process: a file read range by
range, as the workers of `--executor dask` read it, gives the whole-file reader's records (their `line` too),
whatever the file holds: quoted line breaks, CRLF and lone CR, blank lines, a BOM, CP932, a header, a last line
without a line break, quotes inside unquoted cells (which mislead the planner), JSONL."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.engine.entries.partitions import boundaries, plan
from clearance.engine.entries.readers import RecordSource
from clearance.engine.run.parts import Part, file_parts
from clearance.engine.run.workers import InProcess

HEADER = "hts_code,origin,value,description"


def by_parts(path: Path, chunk_size: int, done: int = 0) -> list[tuple[int, dict]]:
    """(row, record) of every record read partition by partition, counted as the run counts them."""
    whole = Part(0, str(path), str(path), None, None, None, ())
    out = []
    for part in file_parts(InProcess(None), whole, chunk_size, done):  # type: ignore[arg-type]
        records = part.records()[part.skip :]
        out += [(part.first_row + part.skip + n, r) for n, r in enumerate(records)]
    return out


def whole_file(path: Path) -> list[tuple[int, dict]]:
    return list(enumerate(RecordSource(path), start=1))


def write(text: str, encoding: str = "utf-8", suffix: str = ".csv", bom: bool = False) -> Path:
    fh = tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False)  # noqa: SIM115 (hypothesis: no tmp_path)
    with fh:
        fh.write((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return Path(fh.name)


cell = st.text(alphabet=st.sampled_from(["a", "7", " ", ",", '"', "\n", "\r", "\t", "é", "品"]), max_size=6)
row = st.lists(cell, min_size=0, max_size=5)
newline = st.sampled_from(["\n", "\r\n", "\r"])


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    """A CSV file: well-formed rows (quoted as needed), raw rows (quotes anywhere), blank lines, mixed breaks."""
    lines = [HEADER]
    for cells in draw(st.lists(row, max_size=25)):
        raw = draw(st.booleans()) and draw(st.integers(0, 4)) == 0
        lines.append(",".join(cells) if raw else ",".join(quoted(c) for c in cells))
    breaks = [draw(newline) for _ in lines]
    text = "".join(line + brk for line, brk in zip(lines, breaks, strict=True))
    return text if draw(st.booleans()) else text.rstrip("\r\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=csv_text(), chunk_size=st.integers(1, 4), encoding=st.sampled_from(["utf-8", "cp932"]), bom=st.booleans())
def test_a_csv_read_in_partitions_gives_the_whole_file_records(
    text: str, chunk_size: int, encoding: str, bom: bool
) -> None:
    text = text.replace("é", "e") if encoding == "cp932" else text
    path = write(text, encoding, bom=bom and encoding == "utf-8")
    try:
        assert by_parts(path, chunk_size) == whole_file(path)
    finally:
        path.unlink()


@settings(max_examples=50, deadline=None)
@given(text=csv_text(), chunk_size=st.integers(1, 3), done=st.integers(0, 30))
def test_a_resumed_file_skips_exactly_the_stored_records(text: str, chunk_size: int, done: int) -> None:
    path = write(text)
    try:
        assert by_parts(path, chunk_size, done) == whole_file(path)[done:]
    finally:
        path.unlink()


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(
        st.one_of(st.just(""), st.just("{"), st.just('{"hts_code": "8703.23.0190", "v": "a\\nb"}')), max_size=20
    ),
    chunk_size=st.integers(1, 3),
    crlf=st.booleans(),
)
def test_a_jsonl_read_in_partitions_gives_the_whole_file_records(lines: list[str], chunk_size: int, crlf: bool) -> None:
    path = write(("\r\n" if crlf else "\n").join(lines), suffix=".jsonl")
    try:
        assert by_parts(path, chunk_size) == whole_file(path)
    finally:
        path.unlink()


@given(st.binary(max_size=200), st.integers(1, 50))
def test_boundaries_follow_line_breaks_outside_quotes(data: bytes, target: int) -> None:
    cuts = boundaries(data, 0, target, b'"')
    assert cuts == sorted(set(cuts)) and all(0 < c < len(data) for c in cuts)
    for cut in cuts:
        assert data[cut - 1 : cut] == b"\n" and data[:cut].count(b'"') % 2 == 0


def test_a_quote_inside_an_unquoted_cell_still_gives_the_whole_file_records(tmp_path: Path) -> None:
    """`12" pipe` makes every later line break look quoted, then one line looks like a record's end: the range
    before it ends inside a quoted field, takes in the next range and is counted again."""
    rows = ['8703,JP,1,12" pipe', "8703,JP,2,a", '8703,JP,3,"x', 'y"', "8703,JP,4,b", "8703,JP,5,c"]
    path = tmp_path / "inch.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    spans = plan(RecordSource(path), 1).spans  # type: ignore[union-attr]
    assert path.read_bytes()[: spans[1].start].endswith(b'"x\n')  # the planner cut the record "x\ny" in two
    assert by_parts(path, 1) == whole_file(path)
    assert [r["description"] for _, r in whole_file(path)] == ['12" pipe', "a", "x\ny", "b", "c"]


def test_files_read_whole(tmp_path: Path) -> None:
    """A JSON array, an encoding whose line-break bytes may be part of a character (UTF-16), an empty file."""
    array = tmp_path / "a.json"
    array.write_text('[{"hts_code": "8703"}, {"hts_code": "8704"}]')
    utf16 = tmp_path / "u.csv"
    utf16.write_text(f"{HEADER}\n8703,JP,1,a\n", encoding="utf-16")
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    for path in (array, utf16, empty):
        assert plan(RecordSource(path), 1) is None
    assert by_parts(array, 1) == whole_file(array) and by_parts(utf16, 1) == whole_file(utf16)
