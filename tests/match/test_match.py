"""The durable-rules adapter (`engine/match/matcher.py`) and each of durable's traps, proved one by one.

Where it helps, a test first shows the trap on a bare durable-rules host (so the test cannot pass by
accident), then shows that `Matcher` (and `Checker` on top of it) is not caught by it."""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal
from pathlib import Path

import pytest

import clearance.engine.match.matcher as match_module
from clearance.engine import Checker
from clearance.engine.entries.line import Line, parse_line
from clearance.engine.match.compile import CompiledPack, RuleRef, compile_pack
from clearance.engine.match.limits import FIXED_FACT_FIELDS, MAX_FACT_FIELDS, MAX_OPERATORS, MAX_PATHS, operators, paths
from clearance.engine.match.matcher import Matcher, MatchError, _Host, split_rules
from clearance.engine.packs.load import Pack, check_references
from clearance.engine.packs.model import Measure, PackHeader

LAW = dt.date(2026, 1, 1)


def make_pack(measures: list[dict], pack_id: str = "t", **header: object) -> Pack:
    """A pack built in Python: each measure defaults to a confirmed 1% duty from 2025-01-01."""
    hdr = PackHeader.model_validate(
        {"id": pack_id, "title": pack_id, "jurisdiction": "US", "currency": "USD", "minor_unit": 2, **header}
    )
    defaults = {"kind": "duty", "rate": "1%", "title": "test measure", "citations": ["test"]}
    built = tuple(Measure.model_validate({**defaults, "dates": {"from": "2025-01-01"}, **m}) for m in measures)
    pack = Pack(header=hdr, measures=built, lists={}, root=Path("."), files=(), content_hash=pack_id)
    check_references(pack)
    return pack


def matcher_for(pack: Pack) -> tuple[CompiledPack, Matcher]:
    compiled = compile_pack(pack, LAW)
    return compiled, Matcher(compiled)


def line(**cols: str) -> Line:
    raw = {"hts_code": "0101210000", "origin": "JP", "value": "1000", "entry_date": "2025-06-01", **cols}
    parsed = parse_line(1, raw)
    assert isinstance(parsed, Line), parsed
    return parsed


def targets(refs: frozenset[RuleRef] | Exception) -> list[str]:
    assert not isinstance(refs, Exception), refs
    return sorted(r.target for r in refs if r.kind == "measure")


def bare_host(rules: dict) -> tuple[_Host, list[str]]:
    """A durable-rules host with one ruleset `rs` whose rules record their name when they fire."""
    fired: list[str] = []
    host = _Host()

    def recorder(name: str):  # type: ignore[no-untyped-def]
        return lambda c: fired.append(name)

    host.set_rulesets({"rs": {name: {"all": [{"m": cond}], "run": recorder(name)} for name, cond in rules.items()}})
    return host, fired


# 1. facts, not events -------------------------------------------------------------------------------------


def test_trap_an_event_fires_only_one_of_two_matching_rules() -> None:
    host, fired = bare_host({"a": {"t": "line"}, "b": {"t": "line"}})
    host.post("rs", {"t": "line", "sid": "e", "id": 1})
    assert fired == ["a"]  # the trap: an event is consumed by the first rule
    fired.clear()
    host.assert_fact("rs", {"t": "line", "sid": "f", "id": 1})
    assert sorted(fired) == ["a", "b"]


def test_a_line_matching_two_measures_gets_both() -> None:
    pack = make_pack(
        [
            {"id": "t.by-code", "scope": {"codes": {"prefixes": ["0101"]}}},
            {"id": "t.by-origin", "scope": {"origins": ["JP"]}},
            {"id": "t.other", "scope": {"origins": ["KR"]}},
        ]
    )
    compiled, matcher = matcher_for(pack)
    [refs] = matcher.match([compiled.fact(line())])
    assert targets(refs) == ["t.by-code", "t.by-origin"]


# 2. the catch-all -----------------------------------------------------------------------------------------


def test_trap_an_unmatched_fact_raises_without_a_catch_all() -> None:
    host, _ = bare_host({"a": {"o": "KR"}})
    with pytest.raises(Exception, match="'o': 'JP'") as info:
        host.assert_fact("rs", {"t": "line", "o": "JP", "sid": "s", "id": 1})
    assert type(info.value).__name__ == "MessageNotHandledException"


def test_a_line_that_matches_no_measure_still_gets_a_result() -> None:
    pack = make_pack([{"id": "t.kr", "scope": {"origins": ["KR"]}}])
    compiled, matcher = matcher_for(pack)
    assert matcher.match([compiled.fact(line())]) == [frozenset()]
    [result] = Checker({"US": pack}, LAW).check(
        [{"hts_code": "0101210000", "origin": "JP", "value": "5", "entry_date": "2025-06-01"}]
    )
    assert (result.verdict, result.duties, result.total_duty) == ("accept", [], Decimal(0))


# 3. sessions are deleted: memory stays flat ---------------------------------------------------------------


def _spy_sessions(matcher: Matcher) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    real = matcher._host.assert_facts

    def spy(name, facts, complete=None):  # type: ignore[no-untyped-def]
        seen.extend((name, f["sid"]) for f in facts)
        return real(name, facts, complete)

    matcher._host.assert_facts = spy  # type: ignore[method-assign]
    return seen


def test_each_batch_session_is_deleted_from_every_ruleset() -> None:
    pack = make_pack([{"id": f"t.m{i}", "scope": {"codes": {"prefixes": [f"{10 + i}"]}}} for i in range(3 * MAX_PATHS)])
    compiled, matcher = matcher_for(pack)
    assert matcher.ruleset_count > 1
    sessions = _spy_sessions(matcher)
    for batch in range(3):  # each batch new facts to every ruleset: one session per batch and ruleset
        matcher.match(
            [compiled.fact(line(hts_code=f"{10 + i}".ljust(10, "0"))) for i in range(batch, 3 * MAX_PATHS, 3)]
        )
    assert len({sid for _, sid in sessions}) == 3 * matcher.ruleset_count
    assert {name for name, _ in sessions} == {r.name for r in matcher._rulesets}
    for name, sid in set(sessions):
        with pytest.raises(Exception, match="309"):  # durable: ERR_SID_NOT_FOUND, the state is gone
            matcher._host.get_state(name, sid)


def test_control_without_delete_state_the_facts_stay_in_durable() -> None:
    _, matcher = matcher_for(make_pack([{"id": "t.m"}]))
    sessions = _spy_sessions(matcher)
    matcher._host.delete_state = lambda *args, **kwargs: None  # type: ignore[method-assign]
    matcher.match([{"t": "line", "o": "JP", "d": 20250601 + i} for i in range(10)])  # d: a field the rule tests
    name, sid = sessions[0]
    assert len(matcher._host.get_facts(name, sid)) == 10


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 // 1024


def _growth_after_warm_up(out) -> None:  # type: ignore[no-untyped-def]
    _, matcher = matcher_for(make_pack([{"id": "t.never", "scope": {"codes": {"prefixes": ["99"]}}}]))
    batch, baseline = 2000, 0
    for b in range(100):
        facts = [{"t": "line", "o": "JP", "d": 20250601, "h2": f"x{b * batch + i}"} for i in range(batch)]
        assert matcher.match(facts) == [frozenset()] * batch
        if b == 29:
            baseline = _rss_kib()
    out.put(_rss_kib() - baseline)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc/self/statm")
def test_memory_stays_flat_over_200k_lines() -> None:
    """200,000 distinct lines in batches of 2,000, in a fresh process (so nothing else the test run allocates
    is counted). Without `delete_state` durable keeps every fact (about 16 MB per batch here); with it,
    memory after the warm-up (the match cache filling and cycling) does not grow by even one batch's worth."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_growth_after_warm_up, args=(out,))
    proc.start()
    growth = out.get(timeout=55)
    proc.join()
    assert growth < 12 * 1024


# 4. no module-global host; no threads ----------------------------------------------------------------------


def test_two_packs_with_the_same_names_give_independent_answers() -> None:
    threads = threading.active_count()
    a = make_pack([{"id": "t.m", "rate": "10%", "scope": {"origins": ["JP"]}}], pack_id="same")
    b = make_pack([{"id": "t.m", "rate": "20%", "scope": {"origins": ["KR"]}}], pack_id="same")
    (ca, ma), (cb, mb) = matcher_for(a), matcher_for(b)
    assert list(ca.rules) == list(cb.rules)  # the same rule names in both
    jp, kr = line(origin="JP"), line(origin="KR")
    assert [targets(r) for r in ma.match([ca.fact(jp), ca.fact(kr)])] == [["t.m"], []]
    assert [targets(r) for r in mb.match([cb.fact(jp), cb.fact(kr)])] == [[], ["t.m"]]
    rec = {"hts_code": "0101210000", "origin": "JP", "value": "100", "entry_date": "2025-06-01"}
    [ra] = Checker({"US": a}, LAW).check([rec])
    [rb] = Checker({"US": b}, LAW).check([rec | {"origin": "KR"}])
    assert (ra.total_duty, rb.total_duty) == (Decimal("10.00"), Decimal("20.00"))
    assert threading.active_count() == threads  # durable's default host would have started timer threads
    import durable.lang

    assert durable.lang._main_host is None


# 5. rule paths per ruleset ----------------------------------------------------------------------------------


def test_paths_counts_or_alternatives_and_multiplies_them_under_and() -> None:
    assert paths({"o": "JP"}) == 1
    assert paths({"$or": [{"o": "JP"}, {"o": "KR"}, {"o": "CN"}]}) == 3
    assert paths({"$and": [{"$or": [{"a": 1}, {"a": 2}]}, {"$or": [{"b": 1}, {"b": 2}, {"b": 3}]}, {"c": 1}]}) == 6
    nested = {"$or": [{"$and": [{"a": 1}, {"$or": [{"b": 1}, {"b": 2}]}]}, {"c": 1}]}
    assert paths(nested) == 3
    assert paths({"$nex": {"doc0": 1}}) == 1 and paths({"$gte": {"d": 20250101}}) == 1


def test_operators_counts_nested_and_or() -> None:
    assert operators({"o": "JP"}) == 0
    assert operators({"$and": [{"a": 1}, {"$or": [{"b": 1}, {"$and": [{"c": 1}, {"d": 1}]}]}]}) == 3


def _rules(sizes: list[int]) -> dict[str, tuple[RuleRef, dict]]:
    return {
        f"r{i}": (
            RuleRef("measure", f"t.m{i}"),
            {"$or": [{"h4": f"{j:04d}"} for j in range(n)]} if n > 1 else {"o": "JP"},
        )
        for i, n in enumerate(sizes)
    }


def test_split_rules_keeps_order_and_every_chunk_within_the_limit() -> None:
    sizes = [1, 20, 5, 30, 1, 1, 40, 10, 2, 9, 50, 1]
    rules = _rules(sizes)
    chunks = split_rules(rules, limit=60)
    assert [name for chunk in chunks for name in chunk] == list(rules)
    for chunk in chunks:
        assert sum(paths(rules[n][1]) for n in chunk) + 1 <= 60
    assert len(chunks) == 4
    assert split_rules(_rules([59]), limit=60) == [["r0"]]


def test_a_single_rule_over_the_limit_is_a_clear_match_error() -> None:
    expected = r"measure t\.m0 expands to 60 durable-rules paths \(limit 59\): use a named list"
    with pytest.raises(MatchError, match=expected):
        split_rules(_rules([60]), limit=60)
    many = [f"{n:04d}" for n in range(1000, 1000 + MAX_PATHS)]
    pack = make_pack([{"id": "t.wide", "scope": {"codes": {"prefixes": many}}}])
    with pytest.raises(MatchError, match=r"t\.wide expands to"):
        matcher_for(pack)


def _attribute_condition_pack(tests: int) -> Pack:
    attrs = {f"k{i}": ["x", "y"] for i in range(tests)}
    cond = {"id": "c", "message": "m", "attributes": attrs, "action": "review"}
    return make_pack([{"id": "t.adm", "kind": "admissibility", "rate": None, "conditions": [cond]}])


def _condition_rule(tests: int) -> dict:
    rules = compile_pack(_attribute_condition_pack(tests), LAW).rules
    return next(cond for ref, cond in rules.values() if ref.kind == "condition")


def _fewest_tests_over_the_operator_limit() -> int:
    return next(k for k in range(1, 40) if operators(_condition_rule(k)) > MAX_OPERATORS)


def test_trap_durable_refuses_a_rule_of_16_and_or_operators() -> None:
    """durable's expression sequence has 32 slots, two per `$and`/`$or`: a condition with enough
    attribute tests to nest 16 operators is refused when the ruleset is created (error 113)."""
    cond = _condition_rule(_fewest_tests_over_the_operator_limit())
    assert operators(cond) == MAX_OPERATORS + 1
    with pytest.raises(Exception, match="error code: 113"):
        bare_host({"c": cond})


def test_a_rule_with_too_many_operators_is_a_match_error_not_a_durable_crash() -> None:
    k = _fewest_tests_over_the_operator_limit()
    compiled, matcher = matcher_for(_attribute_condition_pack(k - 1))  # at the limit: durable takes it
    [refs] = matcher.match([compiled.fact(line(attributes="k0=z"))])
    assert RuleRef("condition", "t.adm", "c") in refs
    with pytest.raises(
        MatchError, match=r"measure t\.adm condition c nests 16 and/or operators \(durable-rules limit 15\)"
    ):
        matcher_for(_attribute_condition_pack(k))


def test_a_rule_durable_refuses_is_a_match_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, definitions):  # type: ignore[no-untyped-def]
        raise RuntimeError("Could not create ruleset, error code: 113")

    monkeypatch.setattr(_Host, "set_rulesets", refuse)
    with pytest.raises(MatchError, match=r"durable-rules refused the compiled rules: .*113"):
        matcher_for(make_pack([{"id": "t.m"}]))


@pytest.mark.timeout(60)
def test_1500_measures_are_split_and_each_line_matches_its_own() -> None:
    n = 1500
    prefixes = [f"{100000 + 7 * i}" for i in range(n)]
    pack = make_pack(
        [{"id": f"t.m{i}", "rate": f"{i % 50}%", "scope": {"codes": {"prefixes": [p]}}} for i, p in enumerate(prefixes)]
    )
    compiled, matcher = matcher_for(pack)
    assert matcher.ruleset_count == math.ceil(n / (MAX_PATHS - 1))
    lines = [line(hts_code=f"{p}0000") for p in prefixes] + [line(hts_code="9999999999")]
    results = matcher.match([compiled.fact(x) for x in lines])
    assert [targets(r) for r in results] == [[f"t.m{i}"] for i in range(n)] + [[]]


_STACK_PROGRAM = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from clearance.engine.match.compile import compile_pack
    from clearance.engine.packs.load import Pack
    from clearance.engine.match.matcher import Matcher
    from clearance.engine.packs.model import Measure, PackHeader
    n, limit = int(sys.argv[1]), int(sys.argv[2])
    hdr = PackHeader(id="s", title="s", jurisdiction="US", currency="USD", minor_unit=2)
    day = lambda i: (dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat()
    ms = tuple(Measure.model_validate({"id": f"s.m{i}", "title": "m", "kind": "duty", "rate": "1%",
               "citations": ["x"], "scope": {"origins": ["JP"]}, "dates": {"from": day(i)}}) for i in range(n))
    compiled = compile_pack(Pack(header=hdr, measures=ms, lists={}, root=Path("."), files=(), content_hash="s"),
                            dt.date(2026, 1, 1))
    [refs] = Matcher(compiled, limit).match([{"t": "line", "o": "JP", "d": 20251201}])
    print("error" if isinstance(refs, Exception) else len(refs))
    """
)


def _run_stack_program(n: int, limit: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """In a child process (in `cwd`, where a core dump would land): the trap aborts the process."""
    return subprocess.run(
        [sys.executable, "-c", _STACK_PROGRAM, str(n), str(limit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.mark.timeout(90)
def test_trap_a_line_matching_many_rules_of_one_ruleset_breaks_durable(tmp_path: Path) -> None:
    """durable's matching stack holds 64 nodes: 100 measures that all match one line, in one ruleset of
    300 paths, abort the process or lose the line. With `MAX_PATHS` the same line matches all 100."""
    broken = _run_stack_program(100, 300, tmp_path)
    assert broken.returncode != 0 or broken.stdout.strip() == "error", broken
    fixed = _run_stack_program(100, MAX_PATHS, tmp_path)
    assert (fixed.returncode, fixed.stdout.strip()) == (0, "100"), fixed.stderr[-500:]


# 6. fact fields ----------------------------------------------------------------------------------------------


def _docs_pack(n: int) -> Pack:
    docs = {f"DOC-{i}": f"document {i}" for i in range(n)}
    cond = {"id": "docs", "message": "needs DOC-0", "documents": ["DOC-0"], "action": "reject"}
    return make_pack([{"id": "t.adm", "kind": "admissibility", "rate": None, "conditions": [cond]}], documents=docs)


def test_a_pack_whose_facts_would_be_too_wide_is_refused() -> None:
    n = MAX_FACT_FIELDS - FIXED_FACT_FIELDS + 1
    with pytest.raises(MatchError, match=rf"pack t needs {MAX_FACT_FIELDS + 1} fact fields"):
        matcher_for(_docs_pack(n))


def test_a_pack_at_the_field_limit_still_matches_a_line_holding_every_field() -> None:
    n = MAX_FACT_FIELDS - FIXED_FACT_FIELDS
    compiled, matcher = matcher_for(_docs_pack(n))
    every = line(
        documents=";".join(f"DOC-{i}" for i in range(n)),
        loaded_date="2025-05-01",
        transport_mode="air",
        mfn_rate="1%",
        quantity="1",
        steel_value="1",
        aluminum_value="1",
        copper_value="1",
        us_content_value="1",
    )
    fact = compiled.fact(every)
    assert len(fact) + 2 <= MAX_FACT_FIELDS  # + id and sid
    held, missing = matcher.match([fact, compiled.fact(line(documents="DOC-1"))])
    assert held == frozenset({RuleRef("measure", "t.adm")})
    assert missing == frozenset({RuleRef("measure", "t.adm"), RuleRef("condition", "t.adm", "docs")})


# 7. no floats: content shares are integer basis points --------------------------------------------------------


def _share_checker() -> Checker:
    pack = make_pack(
        [
            {"id": "t.share.gte", "rate": "0%", "scope": {"shares": [{"field": "us_content_value", "gte": "20%"}]}},
            {"id": "t.share.lt", "rate": "0%", "scope": {"shares": [{"field": "us_content_value", "lt": "20%"}]}},
        ]
    )
    return Checker({"US": pack}, LAW)


@pytest.mark.parametrize(
    ("value", "content", "at_least_20"),
    [
        ("1000", "200", True),  # exactly 20.00%
        ("1.1", "0.22", True),  # exactly 20%, but 0.22 / 1.1 in floats is 0.19999999999999998
        ("999999999999999.9", "199999999999999.98", True),  # the same with large values
        ("0.3", "0.06", True),
        ("1000", "199.9", False),  # 19.99%
        ("1000000", "199999.99", False),  # 19.999999%
        ("100", "19.999999", False),  # 19.999999%
        ("1000", "1000", True),
        ("1000", "0", False),
    ],
)
def test_the_20_percent_share_is_decided_in_decimal(value: str, content: str, at_least_20: bool) -> None:
    checker = _share_checker()
    compiled, _ = checker.engine("US")  # type: ignore[misc]
    ln = line(value=value, us_content_value=content)
    share = compiled.fact(ln)["sh_us_content_value"]  # exact basis points, then canonical (0 or the 20% bound)
    exact = int(Decimal(content) * 10000 / Decimal(value))
    assert type(share) is int and share == compiled.canonical("sh_us_content_value", exact)
    assert share == (2000 if at_least_20 else 0)
    [result] = checker.check(
        [
            {
                "hts_code": "0101210000",
                "origin": "JP",
                "value": value,
                "us_content_value": content,
                "entry_date": "2025-06-01",
            }
        ]
    )
    applied = sorted(d.measure for d in result.duties)
    assert applied == (["t.share.gte"] if at_least_20 else ["t.share.lt"])


def test_floats_really_are_wrong_for_these_values() -> None:
    assert float("0.22") / float("1.1") < 0.2
    assert float("199999999999999.98") / float("999999999999999.9") < 0.2


def test_facts_hold_only_ints_and_strings() -> None:
    compiled, _ = matcher_for(make_pack([{"id": "t.m", "scope": {"attributes": {"grade": ["a"]}}}]))
    fact = compiled.fact(line(value="1234.56", steel_value="0.01", quantity="2.5", attributes="grade=a"))
    assert fact and all(type(v) in (int, str) for v in fact.values())


# 8. $or fires once per true alternative ------------------------------------------------------------------------


def test_trap_an_or_fires_once_per_true_alternative() -> None:
    host, fired = bare_host({"a": {"$or": [{"h2": "01"}, {"h4": "0101"}]}})
    host.assert_fact("rs", {"t": "line", "h2": "01", "h4": "0101", "sid": "s", "id": 1})
    assert fired == ["a", "a"]


def test_a_measure_matched_by_two_alternatives_appears_once() -> None:
    pack = make_pack([{"id": "t.or", "rate": "10%", "scope": {"codes": {"prefixes": ["01", "0101", "010121"]}}}])
    compiled, matcher = matcher_for(pack)
    [refs] = matcher.match([compiled.fact(line())])
    assert refs == frozenset({RuleRef("measure", "t.or")})
    [result] = Checker({"US": pack}, LAW).check(
        [{"hts_code": "0101210000", "origin": "JP", "value": "1000", "entry_date": "2025-06-01"}]
    )
    assert [(d.measure, d.amount) for d in result.duties] == [("t.or", Decimal("100.00"))]


# 9. identical lines -------------------------------------------------------------------------------------------


def test_trap_durable_refuses_a_repeated_identical_fact() -> None:
    host, _ = bare_host({"a": {"t": "line"}})
    fact = {"t": "line", "sid": "s", "id": 1}
    with pytest.raises(Exception) as info:
        host.assert_facts("rs", [fact, dict(fact)])
    assert type(info.value).__name__ == "MessageObservedException"


def test_identical_lines_are_asserted_once_and_each_gets_its_result() -> None:
    pack = make_pack([{"id": "t.m", "rate": "5%"}])
    checker = Checker({"US": pack}, LAW)
    _, matcher = checker.engine("US")  # type: ignore[misc]
    sessions = _spy_sessions(matcher)
    rec = {"hts_code": "0101210000", "origin": "JP", "value": "200", "entry_date": "2025-06-01"}
    results = list(checker.check([rec, dict(rec), rec | {"value": "300"}, dict(rec)]))
    assert [r.total_duty for r in results] == [Decimal("10.00"), Decimal("10.00"), Decimal("15.00"), Decimal("10.00")]
    assert [r.row for r in results] == [1, 2, 3, 4]
    assert len(sessions) == 1  # the facts carry no money: the four lines are one fact


# 10. an engine error on one fact does not lose the batch ---------------------------------------------------------


def test_an_engine_error_on_one_fact_makes_only_that_line_invalid() -> None:
    pack = make_pack([{"id": "t.m", "rate": "5%", "scope": {"origins": ["JP", "KR", "CN"]}}])
    checker = Checker({"US": pack}, LAW)
    _, matcher = checker.engine("US")  # type: ignore[misc]
    real_one = matcher._host.assert_fact

    def batch_fails(name, facts, complete=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("Could not assert facts, error code: 303")

    def one_fails(name, fact, complete=None):  # type: ignore[no-untyped-def]
        if fact["o"] == "KR":
            raise RuntimeError("Could not assert fact, error code: 303")
        return real_one(name, fact, complete)

    matcher._host.assert_facts = batch_fails  # type: ignore[method-assign]
    matcher._host.assert_fact = one_fails  # type: ignore[method-assign]
    recs = [
        {"hts_code": "0101210000", "origin": o, "value": "100", "entry_date": "2025-06-01"}
        for o in ("JP", "KR", "CN", "BR")
    ]
    results = list(checker.check(recs))
    assert [r.verdict for r in results] == ["accept", "invalid", "accept", "accept"]
    assert [r.total_duty for r in results] == [Decimal("5.00"), None, Decimal("5.00"), Decimal(0)]
    assert results[1].reasons[0].rule == "input.*"
    assert "rule engine error on this line" in results[1].reasons[0].message and "303" in results[1].reasons[0].message


def test_the_match_cache_overflowing_mid_batch_keeps_earlier_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that repeats a cached fact while new facts overflow the cache used to answer the repeated
    fact with MatchError('cache overflow'), rejecting a good line."""
    _, matcher = matcher_for(make_pack([{"id": "t.m", "scope": {"origins": ["JP"]}}]))
    monkeypatch.setattr(match_module, "CACHE_SIZE", 3)
    fact = {"t": "line", "o": "JP", "d": 20250601}
    first = matcher.match([fact, fact | {"ld": 1}])
    second = matcher.match([fact, fact | {"ld": 2}, fact | {"ld": 3}, fact | {"o": "KR"}])
    assert [targets(r) for r in first + second] == [["t.m"]] * 5 + [[]]
