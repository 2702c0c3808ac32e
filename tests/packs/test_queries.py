"""The pack queries every stage shares (engine/packs/queries.py): in force, targets, code prefixes."""

from __future__ import annotations

import datetime as dt

from clearance.engine.packs.load import CodeList
from clearance.engine.packs.model import CodeScope, Dates, Measure
from clearance.engine.packs.queries import code_covers, code_sets, in_force, known, members, target_names, under

D = dt.date


def dates(**kw: object) -> Dates:
    return Dates.model_validate({"from": "2025-03-01", "until": "2025-09-01", **kw})


def measure(mid: str, group: str | None = None) -> Measure:
    stacking = {"group": group} if group else {}
    return Measure.model_validate(
        {
            "id": mid,
            "title": mid,
            "kind": "duty",
            "rate": "1%",
            "citations": ["x"],
            "dates": {"from": "2025-01-01"},
            "stacking": stacking,
        }
    )


def test_the_window_is_from_inclusive_until_exclusive() -> None:
    d = dates()
    assert not in_force(d, D(2025, 2, 28))
    assert in_force(d, D(2025, 3, 1)) and in_force(d, D(2025, 8, 31))
    assert not in_force(d, D(2025, 9, 1))
    assert in_force(dates(until=None), D(2099, 1, 1))


def test_published_counts_against_the_law_date_never_the_entry_date() -> None:
    """A retroactive measure (published 2025-05-01, in force from 2025-03-01) applies to an April entry once
    the law is taken as of its publication, not before."""
    d = dates(published="2025-05-01")
    april = D(2025, 4, 10)
    assert in_force(d, april)  # no law date: every measure of the pack is known
    assert not in_force(d, april, law_as_of=april)
    assert not in_force(d, april, law_as_of=D(2025, 4, 30))
    assert in_force(d, april, law_as_of=D(2025, 5, 1))  # published on the law date counts
    assert known(dates(), D(1900, 1, 1))  # undated publication: always known


def test_a_target_names_a_measure_by_id_or_group() -> None:
    a, b, c = measure("t.a", "g"), measure("t.b", "g"), measure("t.c")
    assert target_names(a) == {"t.a", "group:g"} and target_names(c) == {"t.c"}
    assert [m.id for m in members("group:g", [a, b, c])] == ["t.a", "t.b"]
    assert [m.id for m in members("t.c", [a, b, c])] == ["t.c"]
    assert members("t.z", [a, b, c]) == [] and members("group:z", [a, b, c]) == []


def test_a_code_falls_under_a_prefix_of_two_digits_or_more() -> None:
    assert under("8703230140", {"8703"}) and under("87", {"87"})
    assert not under("8703230140", {"8"}) and not under("87", {"8703"})


def test_a_code_scope_with_lists_and_exclusions() -> None:
    lists = {"cars": CodeList(name="cars", source="x", prefixes=frozenset({"8703", "8704"}))}
    scope = CodeScope(prefixes=["72"], lists=["cars"], exclude_prefixes=["870323"])
    assert code_sets(scope, lists) == ({"72", "8703", "8704"}, {"870323"})
    assert code_covers(scope, "7208101500", lists) and code_covers(scope, "8704100000", lists)
    assert not code_covers(scope, "8703230140", lists)
    assert not code_covers(scope, "8501100000", lists)
    assert code_covers(None, "8501100000", lists)  # no code scope: every code
    assert code_sets(CodeScope(lists=["missing"]), lists) == (set(), set())
