"""The batch path against the per-line reference (parse_line + durable-rules on the line's fact + resolve):
the same records, on random lines and on every golden case (issue #13: 0 differences)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import generate
from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.authoring.golden import case_files, load_cases
from clearance.engine.entries.line import Line
from clearance.engine.report.result import Result
from clearance.engine.resolve.stacking import resolve
from clearance.engine.run.check import Checker, engine_error, extra_columns, no_pack

from ..conftest import TODAY

PACKS = load_rules(BUNDLED_RULES)
LAWS = (dt.date(2025, 3, 1), dt.date(2025, 8, 25), dt.date(2026, 12, 31))
CHECKERS = {law: Checker(PACKS, law) for law in LAWS}
ODD = [
    "",
    "n/a",
    "?",
    "0",
    "0.00",
    "1,234.50",
    "12.5",
    "-3",
    "1e5",
    "2025-02-30",
    "9999-12-31",
    "xx",
    "JPY",
    "USD",
    "kg",
    "no",
    "doz",
    "l",
    "15%",
    "$1.20/kg + 3%",
    "341 JPY/kg",
    "Free",
    "9903.01.25",
    "JP",
    "US",
    "CN",
    "vessel",
]
COLUMNS = list(generate.COLUMNS)


def reference(checker: Checker, records: list[dict], first_row: int = 1) -> list[Result]:
    """Line by line, as before the batch engine: the oracle."""
    out = []
    for offset, raw in enumerate(records):
        row = first_row + offset
        parsed = checker._parse(row, raw)
        if not isinstance(parsed, Line):
            result = checker.invalid(row, raw, parsed)
        elif parsed.destination not in checker.packs:
            result = checker.invalid(row, raw, [no_pack(parsed.destination)])
        else:
            compiled, matcher = checker.engine(parsed.destination)  # type: ignore[misc]
            refs = matcher.match([compiled.fact(parsed)])[0]
            if isinstance(refs, Exception):
                result = checker.invalid(row, {}, [engine_error(refs)], parsed)
            else:
                result = resolve(compiled, parsed, refs)
        extra = extra_columns(raw)
        out.append(result.model_copy(update={"extra": extra}) if extra else result)
    return out


def assert_same(checker: Checker, records: list[dict]) -> None:
    got = checker.check_chunk(records, 1)
    want = reference(checker, records)
    diffs = [(w.record(), g.record()) for g, w in zip(got, want, strict=True) if g.record() != w.record()]
    assert not diffs, f"{len(diffs)} of {len(records)} differ; first:\n{diffs[0][0]}\n{diffs[0][1]}"


@st.composite
def lines(draw) -> list[dict]:  # type: ignore[no-untyped-def]
    """Realistic lines (the benchmark's generator, any seed), some columns replaced by odd values."""
    seed = draw(st.integers(0, 10**6))
    records = list(generate.entries(draw(st.integers(1, 40)), seed, PACKS, products=30))
    for record in records:
        for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=3)):
            record[column] = draw(st.sampled_from(ODD) | st.text(max_size=6))
    return records


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=lines(), law=st.sampled_from(LAWS))
def test_random_lines_give_the_reference_records(records: list[dict], law: dt.date) -> None:
    assert_same(CHECKERS[law], records)


def golden_cases() -> Iterator[tuple[Checker, list[dict]]]:
    """Every golden case of the bundled packs: a checker for its law date and destination, and its records."""
    checkers: dict[tuple, Checker] = {}
    for path in case_files(BUNDLED_RULES):
        spec = load_cases(path)
        for case in spec.cases:
            law = case.law_as_of or spec.law_as_of or TODAY
            dest = case.destination or spec.destination
            checker = checkers.get((law, dest)) or checkers.setdefault((law, dest), Checker(PACKS, law, dest))
            yield checker, case.records()


def test_every_golden_case_gives_the_reference_record() -> None:
    compared = 0
    for checker, records in golden_cases():
        assert_same(checker, records)
        compared += 1
    assert compared > 400
