"""Property-based tests (hypothesis) over the whole pipeline: whatever the input, no traceback, exactly one
verdict per input line, and a malformed line is a `reject` whose reason names the column (`input.<column>`).

tests/entries/test_line.py already fuzzes `parse_line` alone (dates, codes, money); here the same hostile values go
through the readers, the rate parser, durable-rules matching, resolving, settling and every output format,
with the bundled packs, and the YAML loader gets structurally mutated measure files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import string
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clearance.engine import Checker, PackError, load_pack
from clearance.engine.duty.expression import DutyExpressionError, parse_duty_expression, plain_amount, round_money
from clearance.engine.entries.line import COLUMNS
from clearance.engine.entries.readers import InputFileError, read_records
from clearance.engine.match.matcher import MatchError
from clearance.engine.report.formats import FORMATS
from clearance.engine.report.result import Result
from clearance.engine.report.summary import Summary

LAW = dt.date(2026, 11, 25)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INPUT_RULES = {f"input.{c}" for c in (*COLUMNS, "row")}


@pytest.fixture(scope="module")
def checker(packs) -> Checker:  # type: ignore[no-untyped-def]
    return Checker(packs, LAW)


# values: valid, hostile, anything --------------------------------------------------------------------------------

VALID = {
    "destination": ["US", "JP", "us", ""],
    "hts_code": ["8479.89.94", "8479899400", "7208.10.15.00", "8703.23.01.90", "8708.29.50", "870323019", "020130000"],
    "origin": ["JP", "US", "CN", "DE", "CA", "jp"],
    "value": ["1000", "100000", "0", "0.01", "1,234,567.89", "999999999999999"],
    "currency": ["", "USD", "JPY"],
    "quantity": ["", "1", "12.5", "1000"],
    "unit": ["", "kg", "no", "doz", "l", "t"],
    "entry_date": ["2025-04-15", "2025-08-07", "2025-09-16", "2026-02-24", "2026-11-25", "2024-12-31"],
    "loaded_date": ["", "2025-07-01", "2025-08-06"],
    "transport_mode": ["", "vessel", "air", "truck", "mail"],
    "mfn_rate": ["", "Free", "2.5%", "2.5", "$0.50/kg", "4.4¢/kg", "$1.035/kg + 4.8%", "5¢/doz", "33 1/3%"],
    "steel_value": ["", "0", "500"],
    "aluminum_value": ["", "0", "100"],
    "copper_value": ["", "0"],
    "us_content_value": ["", "0", "300"],
    "spi": ["", "C", "A;C"],
    "documents": ["", "PHYTO", "JP-FOOD-NOTIFICATION", "TYPE;PHP"],
    "attributes": ["", "purpose=sale", "organic=yes;purpose=research", "vehicle_type=A"],
    "declared_headings": ["", "9903.02.73", "9903.01.25;9903.02.72"],
    "declared_duty": ["", "0", "150.00"],
    "entry_number": ["E1", "東京-0001", ""],
    "line_number": ["1", "2", ""],
}
HOSTILE = [
    "",
    " ",
    "\x00",
    "=1+1",
    "@SUM(A1)",
    "-5",
    "+5",
    "1e9",
    "NaN",
    "Infinity",
    "1,5",
    "٣",
    "８４７９",
    "2025-02-30",
    "0000-01-01",
    "9999-12-31",
    "x" * 10_001,
    "\u202e",
    "\ud800",
    "a\nb",
    "\r",
    "%",
    "$/kg",
    "1/0%",
    "5 0/0%",
    "mfn",
    "all-in 15%",
    "45% on the case",
    ";;;",
    "=",
    "a==b",
]
ANY_TEXT = st.text(max_size=24)


def column_value(column: str) -> st.SearchStrategy[str]:
    return st.sampled_from(VALID.get(column, [""])) | st.sampled_from(HOSTILE) | ANY_TEXT


@st.composite
def records(draw: st.DrawFn) -> dict[str, object]:
    """A mostly-valid line with a few columns made hostile (or dropped, or of a JSON type)."""
    rec: dict[str, object] = {c: draw(st.sampled_from(v)) for c, v in VALID.items()}
    for column in draw(st.lists(st.sampled_from([*VALID, "note", "Value", " HTS_CODE"]), max_size=4)):
        rec[column] = draw(
            column_value(column) | st.none() | st.integers() | st.floats() | st.lists(st.integers(), max_size=2)
        )
    for column in draw(st.lists(st.sampled_from(list(VALID)), max_size=2)):
        rec.pop(column, None)
    return rec


def assert_one_verdict_each(results: list[Result], given: list[dict]) -> None:
    assert [r.row for r in results] == list(range(1, len(given) + 1))
    for r in results:
        rules = [x.rule for x in r.reasons if x.severity == "error"]
        if any(rule.startswith("input.") for rule in rules):
            assert r.verdict == "invalid" and r.total_duty is None
            assert {x for x in rules if x.startswith("input.")} <= INPUT_RULES, rules
        messages = " ".join(x.message for x in r.reasons)
        for safety_net in ("cannot read this line", "cannot compute this line", "rule engine error"):
            assert safety_net not in messages, messages  # a fault caught per line is still a bug to find
        assert r.total_duty == (None if r.verdict == "invalid" else sum((d.amount for d in r.duties), Decimal(0)))
    for write in FORMATS.values():  # every writer takes every result
        write(results, io.StringIO(), Summary())


# the whole pipeline -------------------------------------------------------------------------------------------------


@FAST
@given(st.lists(records(), min_size=1, max_size=12))
def test_any_records_get_one_verdict_each_through_the_bundled_packs(checker: Checker, given: list[dict]) -> None:
    results = list(checker.check(given))
    assert len(results) == len(given)
    assert_one_verdict_each(results, given)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_bad_column_rejects_the_line_naming_that_column(checker: Checker, data: st.DataObject) -> None:
    column = data.draw(st.sampled_from(sorted(VALID)))
    text = data.draw(column_value(column))
    good = {c: v[0] for c, v in VALID.items()}
    [result] = checker.check([dict(good, **{column: text})])
    allowed = {column, *(c for c in COLUMNS if c.endswith("_value"))}  # a content value over the customs value
    allowed |= {"destination": {"hts_code"}, "entry_date": {"loaded_date"}}.get(column, set())  # JP codes: 9 digits
    rules = {x.rule for x in result.reasons if x.severity == "error" and x.rule.startswith("input.")}
    assert rules <= {f"input.{c}" for c in allowed}, (column, text, rules)


READER_ALPHABET = ',"\n\r\t;{}[]:0123456789.hts_code\\ \x00é東'


# readers: any bytes -------------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=400) | st.text(alphabet=READER_ALPHABET, max_size=200).map(str.encode),
    st.sampled_from(["csv", "tsv", "json", "jsonl"]),
)
@example(b'hts_code\n"unclosed', "csv")
@example(b"[" * 5000, "json")
@example(b"\xff\xfe" + "hts_code\n1\n".encode("utf-16-le"), "csv")
def test_any_bytes_are_records_or_one_input_file_error(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / f"e.{kind}"
    path.write_bytes(data)
    try:
        out = list(read_records(path))
    except InputFileError as exc:
        assert "\n" not in str(exc)
        return
    assert all(isinstance(r, dict) for r in out)


CELL = st.text(alphabet=string.printable + "é東\x00\u2028", max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=0, max_size=7), min_size=1, max_size=15))
def test_csv_lines_in_equal_verdicts_out(tmp_path: Path, checker: Checker, rows: list[list[str]]) -> None:
    """Every CSV record with any non-blank cell is one verdict; blank records are skipped like blank lines."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["entry_number", "hts_code", "origin", "value", "entry_date"])
    writer.writerows(rows)
    path = tmp_path / "e.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    expected = sum(1 for row in rows if any(cell.strip() for cell in row))
    got = list(read_records(path))
    assert len(got) == expected
    results = list(checker.check(got))
    assert len(results) == expected
    assert_one_verdict_each(results, got)
    kept = [row for row in rows if any(cell.strip() for cell in row)]
    for result, row in zip(results, kept, strict=True):
        if len(row) != 5:  # ragged
            assert [x.rule for x in result.reasons] == ["input.row"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6) | st.sampled_from(list(VALID["hts_code"])),
    lambda c: (
        st.lists(c, max_size=3) | st.dictionaries(st.sampled_from([*VALID, "x"]) | st.text(max_size=6), c, max_size=5)
    ),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(JSON_VALUES, min_size=1, max_size=10))
def test_jsonl_lines_in_equal_verdicts_out(tmp_path: Path, checker: Checker, values: list[object]) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(v) for v in values) + "\n", encoding="utf-8")
    got = list(read_records(path))
    assert len(got) == len(values)
    results = list(checker.check(got))
    assert_one_verdict_each(results, got)
    for r, v in zip(results, values, strict=True):
        if not isinstance(v, dict):
            assert [x.rule for x in r.reasons] == ["input.row"]


# the rate parser ------------------------------------------------------------------------------------------------------

RATE_TEXT = st.text(alphabet="0123456789.%$¢¥/+ kgtlnodzpcseachEUROUSDJPYofn-", max_size=30)


@settings(max_examples=400, deadline=None)
@given(RATE_TEXT | st.text(max_size=20), st.booleans())
@example("Free", False)
@example("33 1/3%", False)
@example("5 0/0%", False)
@example("$1.035/kg + 4.8%", False)
@example("all-in 15% + $1/kg", True)
def test_any_rate_text_parses_or_is_a_duty_expression_error(text: str, special: bool) -> None:
    try:
        expr = parse_duty_expression(text, allow_special=special)
    except DutyExpressionError as exc:
        assert str(exc)
        return
    assert expr.describe()


DECIMALS = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    percent=st.none() | DECIMALS,
    dollars=st.none() | DECIMALS,
    cents=st.none() | DECIMALS,
    value=st.decimals(min_value=0, max_value=10**12, places=2),
    kg=st.decimals(min_value=0, max_value=10**9, places=3),
)
def test_rates_in_every_form_compute_exactly(percent, dollars, cents, value, kg) -> None:  # type: ignore[no-untyped-def]
    """`N%`, `$N/kg`, `N¢/kg` and any `+` compound of them: the same Decimal as by hand, rounded once."""
    parts, expected = [], Decimal(0)
    if percent is not None:
        parts.append(f"{percent:f}%")
        expected += percent / 100 * value
    if dollars is not None:
        parts.append(f"${dollars:f}/kg")
        expected += dollars * kg
    if cents is not None:
        parts.append(f"{cents:f}¢/kg")
        expected += cents / 100 * kg
    text = " + ".join(parts) or "Free"
    amount = plain_amount(parse_duty_expression(text, allow_special=False), value, kg, "kg", "USD")
    assert amount == expected
    assert round_money(amount, 2) == expected.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@pytest.mark.parametrize("rate", ["99999999999999999999%", "$99999999999999999999/kg"])
def test_a_huge_rate_on_one_line_makes_that_line_invalid_only(checker: Checker, rate: str) -> None:
    good = {"hts_code": "8479.89.94", "origin": "JP", "value": "999999999999999", "entry_date": "2025-06-01"}
    given = [good, dict(good, mfn_rate=rate, quantity="999999999999999", unit="kg"), good]
    results = list(checker.check(given))
    assert [r.verdict == "invalid" for r in results] == [False, True, False]
    assert "input.mfn_rate" in {x.rule for x in results[1].reasons}


# the YAML loader ------------------------------------------------------------------------------------------------------

HEADER = {"id": "t", "title": "t", "jurisdiction": "US", "currency": "USD", "minor_unit": 2}
MEASURE = {
    "id": "t.m",
    "title": "m",
    "kind": "duty",
    "heading": "9903.01.25",
    "rate": "10%",
    "scope": {"origins": ["JP"], "codes": {"prefixes": ["8479"]}},
    "dates": {"from": "2025-01-01"},
    "stacking": {"group": "g"},
}
YAML_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["10%", "mfn", "all-in 15%", "$1/kg", "area:nowhere", "group:g", "t.m", "duty", "8479"])
    | st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat)
)
KEYS = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=8)  # newline keys: see below
YAML_TREES = st.recursive(
    YAML_VALUES, lambda c: st.lists(c, max_size=3) | st.dictionaries(KEYS, c, max_size=3), max_leaves=6
)


def _mutate(tree: dict, path: list[str], value: object) -> dict:
    if len(path) == 1:
        return {**tree, path[0]: value}
    inner = tree.get(path[0])
    return {**tree, path[0]: _mutate(inner if isinstance(inner, dict) else {}, path[1:], value)}


KEY_PATHS = [
    ["id"], ["title"], ["kind"], ["heading"], ["rate"], ["scope"], ["scope", "origins"], ["scope", "codes"],
    ["scope", "codes", "prefixes"], ["dates"], ["dates", "from"], ["dates", "until"], ["stacking"],
    ["stacking", "excludes"], ["conditions"], ["status"], ["basis"], ["colour"],
]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(KEY_PATHS), YAML_TREES), min_size=1, max_size=3))
def test_any_mutated_measure_loads_or_is_one_pack_error(tmp_path: Path, changes: list) -> None:  # type: ignore[type-arg]
    measure = dict(MEASURE)
    for path, value in changes:
        measure = _mutate(measure, path, value)
    root = tmp_path / "pack"
    root.mkdir(exist_ok=True)
    (root / "pack.yaml").write_text(yaml.safe_dump(HEADER))
    (root / "m.yaml").write_text(yaml.safe_dump({"instrument": "T", "citations": ["T"], "measures": [measure]}))
    try:
        pack = load_pack(root)
    except PackError as exc:
        assert "\n" not in str(exc) and str(root) in str(exc)
        return
    assert [m.id for m in pack.measures] == [measure["id"]]
    line = {"hts_code": "8479899400", "origin": "JP", "value": "1", "entry_date": "2025-06-01"}
    try:
        [result] = Checker({"US": pack}, LAW).check([line])
    except MatchError as exc:  # a pack durable-rules cannot hold: also one line
        assert "\n" not in str(exc)
        return
    assert result.row == 1


@pytest.mark.parametrize("key", ["\n", "a\r\nb", "x\u2028y"])
def test_a_key_with_a_line_break_is_a_one_line_pack_error(tmp_path: Path, key: str) -> None:
    measure = dict(MEASURE, scope={key: None})
    (tmp_path / "pack.yaml").write_text(yaml.safe_dump(HEADER))
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({"instrument": "T", "citations": ["T"], "measures": [measure]}))
    with pytest.raises(PackError) as info:
        load_pack(tmp_path)
    assert len(str(info.value).splitlines()) == 1, str(info.value)
