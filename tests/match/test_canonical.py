"""Facts carry canonical dates (the latest rule date not after the real one), strings no rule names become
one value, and matches are cached per
fact. Both are optimisations: they must never change which rules a line matches."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.engine.entries.line import parse_line
from clearance.engine.match.compile import CompiledPack, compile_pack, date_bounds
from clearance.engine.match.matcher import Matcher, _digest

from ..conftest import TODAY

CODES = [
    "8703230140",
    "8703230190",
    "7326908688",
    "8708295060",
    "0201308010",
    "8479899400",
    "52081140",
    "02013050",
    "87032301",
    "72081015",
    "87082950",
    "73181500",
    "76061230",
    "44071100",
]
DAYS = st.integers(0, 1200).map(lambda n: dt.date(2024, 12, 1) + dt.timedelta(days=n))


class RawDates(CompiledPack):
    """The same compiled pack with real dates and shares and every code length in its facts."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.code_lengths = list(range(2, 11))

    def canonical(self, name: str, value: int) -> int:
        return value

    def keep(self, name: str, value: str) -> str:
        return value


def test_date_bounds_collects_every_compared_date() -> None:
    conds = [{"$and": [{"$gte": {"d": 20250405}}, {"$lt": {"ld": 20250405}}, {"$or": [{"$lt": {"d": 20250527}}]}]}]
    assert date_bounds(conds) == {"d": [20250405, 20250527], "ld": [20250405]}


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(CODES),
            st.sampled_from(["JP", "CN", "CA", "RU"]),
            DAYS,
            st.none() | DAYS,
            st.sampled_from(["vessel", "air"]),
            st.sampled_from(["", "0", "199.99", "200", "450", "1000"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_canonical_facts_and_cache_match_like_real_facts(packs, lines) -> None:
    compiled = compile_pack(packs["US"], TODAY)
    raw = RawDates(**{f: getattr(compiled, f) for f in compiled.__dataclass_fields__ if f not in ("bounds", "plans")})
    parsed = []
    for i, (code, origin, entry, loaded, mode, content) in enumerate(lines):
        if loaded is not None and loaded > entry:
            loaded = entry
        rec = {
            "hts_code": code,
            "origin": origin,
            "value": "1000",
            "entry_date": entry.isoformat(),
            "loaded_date": loaded.isoformat() if loaded else "",
            "transport_mode": mode,
            "us_content_value": content,
            "steel_value": content,
        }
        parsed.append(parse_line(i + 1, rec))
    canonical = Matcher(compiled).match([compiled.fact(x) for x in parsed])
    real = unprojected(Matcher(raw)).match([raw.fact(x) for x in parsed])
    assert canonical == real


def unprojected(matcher: Matcher) -> Matcher:
    """The matcher asserting whole facts to every ruleset (not their projections on the fields it tests)."""
    for ruleset in matcher._rulesets:
        ruleset.key = lambda f: _digest(tuple(sorted(f.items())))  # type: ignore[method-assign]
        ruleset.project = dict  # type: ignore[method-assign]
    return matcher


def test_a_rule_naming_the_placeholder_keeps_that_field_as_declared() -> None:
    """Values no rule names become one placeholder; if a pack named the placeholder itself, lines with other
    values would match it: that field is then left as declared."""
    from clearance.engine.match.compile import OTHER

    from ..match.test_match import line, make_pack, targets

    pack = make_pack([{"id": "t.odd", "scope": {"attributes": {"kind": [OTHER]}}}])
    compiled = compile_pack(pack, TODAY)
    key = compiled.attributes.names["kind"]
    assert compiled.keep(key, "foo") == "foo" and compiled.keep("o", "ZZ") == OTHER
    matcher = Matcher(compiled)
    found = matcher.match([compiled.fact(line(attributes=f"kind={v}")) for v in ("foo", OTHER)])
    assert [targets(r) for r in found] == [[], ["t.odd"]]
