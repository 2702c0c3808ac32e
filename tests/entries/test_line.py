"""Reading one entry line (`engine/entries/line.py`): every column, every malformed value named by its column,
and properties (hypothesis) for the parsers. Through `Checker`: a malformed line is rejected while every
other line is still checked, one result per input line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clearance.engine import Checker
from clearance.engine.entries.line import COLUMNS, MAX_FIELD, InputProblem, Line, normalise_keys, parse_line
from clearance.engine.entries.readers import PROBLEM
from clearance.engine.packs.load import load_pack

from ..conftest import PACKS

FEATURES = PACKS / "features"
GOOD = {"hts_code": "8479.89.94", "origin": "JP", "value": "1000", "entry_date": "2025-06-01"}


def parsed(**cols: object) -> Line:
    result = parse_line(7, {**GOOD, **cols})
    assert isinstance(result, Line), result
    return result


def problems(raw: dict, destination: str | None = None) -> dict[str, str]:
    result = parse_line(1, raw, destination)
    assert isinstance(result, list), result
    return {p.column: p.message for p in result}


def test_a_full_line() -> None:
    line = parsed(
        entry_number=" E1 ",
        line_number="2",
        destination="us",
        currency="usd",
        quantity="1,250.5",
        unit="kg",
        loaded_date="2025-05-20",
        transport_mode="Vessel",
        mfn_rate="$1.035/kg + 4.8%",
        steel_value="$400",
        us_content_value="200.000001",
        spi="c; a",
        documents="phyto; JP-food-notification;",
        attributes="Purpose=sale; organic = yes",
        declared_headings="9903.02.73; 9903 01 33; 99038187",
        declared_duty="1,500.00",
    )
    assert line.row == 7 and (line.entry_number, line.line_number) == ("E1", "2")
    assert (line.destination, line.hts_code, line.origin, line.currency) == ("US", "84798994", "JP", "USD")
    assert (line.value, line.quantity, line.unit) == (Decimal(1000), Decimal("1250.5"), "kg")
    assert (line.entry_date, line.loaded_date) == (dt.date(2025, 6, 1), dt.date(2025, 5, 20))
    assert line.transport_mode == "vessel" and line.mfn_rate == "$1.035/kg + 4.8%"
    assert (line.steel_value, line.us_content_value, line.copper_value) == (Decimal(400), Decimal("200.000001"), None)
    assert line.spi == frozenset({"A", "C"})
    assert line.documents == frozenset({"PHYTO", "JP-FOOD-NOTIFICATION"})
    assert line.attributes == {"purpose": "sale", "organic": "yes"}
    assert line.declared_headings == ("9903.02.73", "9903.01.33", "9903.81.87")
    assert line.declared_duty == Decimal("1500.00")
    assert line.mfn is not None and line.mfn.ad_valorem == Decimal("0.048")
    assert line.content("value") == Decimal(1000) and line.content("aluminum_value") is None


def test_column_names_are_case_insensitive_and_unknown_columns_pass_through() -> None:
    raw = {"\ufeffHTS_Code": "8479899400", " ORIGIN ": "jp", "Value": "5", "Entry_Date": "2025-01-02", "Note": "x"}
    assert normalise_keys(raw)["hts_code"] == "8479899400"
    line = parse_line(1, raw)
    assert isinstance(line, Line) and (line.hts_code, line.origin) == ("8479899400", "JP")


def test_lone_surrogates_become_replacement_characters() -> None:
    """A JSON escape like \\ud800 decodes to a lone surrogate, which no UTF-8 output can hold."""
    cols = normalise_keys({"\ud800Note": "a\udfffb", "entry_number": "😀"})
    assert cols == {"\ufffdnote": "a\ufffdb", "entry_number": "😀"}
    assert all(text.encode("utf-8") for pair in cols.items() for text in pair)


def test_first_non_empty_value_of_a_repeated_column_wins() -> None:
    assert normalise_keys({"value": "", "VALUE": "12", "Value": "13"})["value"] == "12"


def test_japan_codes_have_nine_digits() -> None:
    line = parse_line(1, {**GOOD, "destination": "JP", "hts_code": "0901.11.000"})
    assert isinstance(line, Line) and line.hts_code == "090111000"
    assert "hts_code" in problems({**GOOD, "destination": "JP", "hts_code": "84798994"})
    assert isinstance(parse_line(1, {**GOOD, "hts_code": "8479.89.94"}, "JP"), list)


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [
        ("entry_date", "2025-02-30", "not a valid date"),
        ("entry_date", "02/01/2025", "not a date YYYY-MM-DD"),
        ("entry_date", "01-02-2025", "not a date YYYY-MM-DD"),
        ("entry_date", "２０２５-０１-０１", "not a date YYYY-MM-DD"),
        ("loaded_date", "yesterday", "not a date"),
        ("origin", "XX", "not an ISO 3166 alpha-2 country code"),
        ("origin", "JPN", "not an ISO 3166 alpha-2 country code"),
        ("value", "abc", "not a number"),
        ("value", "NaN", "not a number"),
        ("value", "Infinity", "not a number"),
        ("value", "-5", "negative"),
        ("value", "1e5", "not a number"),  # a spreadsheet's exponent has lost digits
        ("value", "1,5", "not a number"),  # a European decimal comma is not 15
        ("value", "1.234,56", "not a number"),
        ("value", "12,34,567", "not a number"),
        ("value", "0.0000001", "out of range"),
        ("value", "12345678901234567", "out of range"),
        ("value", "٣", "not a number"),
        ("quantity", "lots", "not a number"),
        ("declared_duty", "-1", "negative"),
        ("hts_code", "8479.89", "not a US tariff code of 8 or 10 digits"),
        ("hts_code", "84798994²", "not a US tariff code"),
        ("hts_code", "8479899٤", "not a US tariff code"),
        ("hts_code", "ABCDEFGH", "not a US tariff code"),
        ("destination", "F1", "'F1' is not a country code"),
        ("currency", "US$", "not a currency code"),
        ("transport_mode", "boat", "not one of vessel, air, truck, rail, mail"),
        ("mfn_rate", "all-in 15%", "not a rate"),
        ("mfn_rate", "lots", "not a rate"),
        ("attributes", "organic", "not key=value"),
        ("attributes", "=yes", "not key=value"),
        ("declared_headings", "9903.01", "not a heading"),
        ("declared_headings", "9903.01.2５", "not a heading"),
        ("steel_value", "1001", "exceeds the customs value 1000"),
        ("loaded_date", "2025-06-02", "is after the entry date"),
        ("entry_number", "x" * (MAX_FIELD + 1), f"longer than {MAX_FIELD} characters"),
    ],
)
def test_a_malformed_value_is_a_problem_naming_its_column(column: str, text: str, message: str) -> None:
    found = problems({**GOOD, column: text})
    assert list(found) == [column] and message in found[column]


@pytest.mark.parametrize("column", ["hts_code", "origin", "value", "entry_date"])
def test_a_missing_required_column_is_named(column: str) -> None:
    raw = {k: v for k, v in GOOD.items() if k != column}
    assert problems(raw) == {column: "missing (required)"}
    assert problems({**GOOD, column: "   "}) == {column: "missing (required)"}


def test_every_problem_of_a_line_is_reported() -> None:
    found = problems({"hts_code": "x", "origin": "ZZ", "value": "", "entry_date": "2025-13-01", "spi": "C"})
    assert sorted(found) == ["entry_date", "hts_code", "origin", "value"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234,567.89", "1234567.89"), ("$1,000", "1000"), ("$ 5,000", "5000"), (".5", "0.5"), ("5.", "5"), ("0", "0")],
)
def test_money_forms_that_are_read(text: str, value: str) -> None:
    assert parsed(value=text).value == Decimal(value)


# properties --------------------------------------------------------------------------------------------------

TEXT = st.text(max_size=30) | st.sampled_from(["", "1000", "JP", "2025-06-01", "8479.89.94", "Free", "a=b"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([*COLUMNS, "HTS_CODE", " Value", "other", "\ufeffOrigin"]), TEXT, max_size=12))
@example({"hts_code": "84798994", "origin": "JP", "value": "1", "entry_date": "2025-01-01", "mfn_rate": "٣%"})
def test_parse_line_never_raises(raw: dict[str, str]) -> None:
    result = parse_line(1, raw)
    if isinstance(result, Line):
        assert result.value >= 0 and len(result.hts_code) in (8, 10) and result.hts_code.isascii()
    else:
        assert result and all(isinstance(p, InputProblem) and p.message for p in result)
        assert {p.column for p in result} <= set(COLUMNS)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.none() | st.integers() | st.floats() | st.text(max_size=8), max_size=6))
def test_parse_line_never_raises_on_any_json_values(raw: dict) -> None:
    assert isinstance(parse_line(1, raw), Line | list)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_every_date_reads_back(day: dt.date) -> None:
    assert parsed(entry_date=day.isoformat(), loaded_date=None).entry_date == day


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789-/ ", max_size=12))
def test_date_like_text_is_a_date_or_a_problem_on_its_column(text: str) -> None:
    result = parse_line(1, {**GOOD, "entry_date": text})
    if isinstance(result, list):
        assert [p.column for p in result] == ["entry_date"]
    else:
        assert result.entry_date.isoformat() == text.replace("/", "-")  # YYYY/MM/DD as Japan writes it


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789. ", min_size=1, max_size=16), st.sampled_from(["US", "JP"]))
def test_tariff_codes_keep_their_digits(text: str, destination: str) -> None:
    result = parse_line(1, {**GOOD, "hts_code": text, "destination": destination})
    digits = "".join(ch for ch in text if ch.isdigit())
    allowed = (8, 10) if destination == "US" else (9,)
    naccs = destination == "JP" and len(digits) == 10  # a NACCS item code: 9 digits and a check character
    if isinstance(result, Line):
        assert result.hts_code == (digits[:9] if naccs else digits) and (naccs or len(digits) in allowed)
    else:
        assert [p.column for p in result] == ["hts_code"] and (len(digits) not in allowed) and not naccs


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=10**15, places=6, allow_nan=False, allow_infinity=False))
def test_money_reads_exactly(amount: Decimal) -> None:
    assert parsed(value=f"{amount:f}").value == amount
    grouped = f"{amount:,f}"
    assert parsed(value=grouped).value == amount


# through Checker: a bad line does not stop the others --------------------------------------------------------


def test_malformed_lines_are_invalid_and_every_other_line_is_checked() -> None:
    checker = Checker({"US": load_pack(FEATURES)}, dt.date(2026, 1, 1))
    good = {"hts_code": "0101.21.00", "origin": "JP", "value": "100", "entry_date": "2025-06-01"}
    records = [
        good,
        {**good, "entry_date": "2025-02-30"},
        {**good, "origin": "XX"},
        good | {"value": "100,5"},
        {k: v for k, v in good.items() if k != "hts_code"},
        good,
        {PROBLEM: "row has 3 fields, the header has 4"},
        {**good, "destination": "JP", "hts_code": "010121000"},  # no JP pack in this checker
        {**good, "value": "200"},
    ]
    results = list(checker.check(records))
    assert len(results) == len(records) and [r.row for r in results] == list(range(1, 10))
    verdicts = [r.verdict for r in results]
    assert verdicts == ["accept", "invalid", "invalid", "invalid", "invalid", "accept", "invalid", "invalid", "accept"]
    assert [r.total_duty for r in results if r.verdict == "invalid"] == [None] * 6  # no duty, not 0
    rules = [[x.rule for x in r.reasons if x.severity == "error"] for r in results]
    assert rules[1:5] == [["input.entry_date"], ["input.origin"], ["input.value"], ["input.hts_code"]]
    assert rules[6:8] == [["input.row"], ["input.destination"]]
    assert "entry_date: '2025-02-30' is not a valid date" in results[1].reasons[0].message
    assert (results[2].origin, results[2].entry_date) == ("XX", "2025-06-01")  # echoed as given
    assert [r.total_duty for r in (results[0], results[5], results[8])] == [Decimal("10.00")] * 2 + [Decimal("20.00")]
