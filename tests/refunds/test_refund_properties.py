"""Properties of the refund arithmetic, the date edges and the declaration split (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.refunds.declarations import sort_entries
from clearance.engine.refunds.eligibility import decide
from clearance.engine.refunds.entries import Entry
from clearance.engine.report.result import DutyLine
from clearance.engine.resolve.refund import PaidDuty, line_refund

PACK = load_rules(BUNDLED_RULES)["US"]
PROGRAMME = PACK.programmes[0]
IEEPA = PACK.header.families["ieepa"]
AS_OF = dt.date(2026, 12, 3)
cents = st.integers(0, 10**9).map(lambda n: Decimal(n).scaleb(-2))


def _entry(number: str = "SYN-0000401-7", refundable: str = "100.00", **fields: str) -> Entry:
    entry = Entry(number, "USD", "f:1", lines=1, refundable=Decimal(refundable))
    entry.fields = {"entry_type": "01", "reconciliation_indicator": "N", **fields}
    return entry


@given(days=st.integers(-30, 800))
def test_liquidation_days_decide_claim_protest_or_final(days: int) -> None:
    liquidated = (AS_OF - dt.timedelta(days=days)).isoformat()
    d = decide(PROGRAMME, _entry(liquidation_status="Liquidated", liquidation_date=liquidated), AS_OF)
    want = "claim" if days <= 80 else "protest" if days <= 180 else "review"
    assert d.status == want
    if want != "review":
        assert d.days_left == (80 if want == "claim" else 180) - days


@given(heading=st.integers(99030101, 99030299))
def test_family_headings_dotted_or_not(heading: int) -> None:
    digits = str(heading)
    dotted = f"{digits[:4]}.{digits[4:6]}.{digits[6:]}"
    assert IEEPA.covers(digits) == IEEPA.covers(dotted)
    if 99030225 <= heading <= 99030291 or 99030101 <= heading <= 99030105:
        assert IEEPA.covers(dotted)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), limit=st.integers(1, 9), repeats=st.lists(st.integers(0, 39), max_size=5))
def test_declarations_split_at_the_limit_with_no_entry_twice(n: int, limit: int, repeats: list[int]) -> None:
    programme = PROGRAMME.model_copy(
        update={"declaration": PROGRAMME.declaration.model_copy(update={"max_entries": limit})}
    )
    numbers = [f"SYN-{k:07d}-{k % 10}" for k in range(n)] + [f"SYN{k:07d}{k % 10}" for k in repeats if k < n]
    entries = [_entry(x, liquidation_status="Unliquidated") for x in numbers]
    result = sort_entries(programme, [(e, decide(programme, e, AS_OF)) for e in entries], AS_OF)
    sizes = [len(d.numbers) for d in result.declarations]
    assert sizes == [limit] * (n // limit) + ([n % limit] if n % limit else [])
    declared = [x for d in result.declarations for x in d.numbers]
    assert len(declared) == len(set(declared)) == n
    assert sum(1 for _, d, _ in result.entries if d.rule == "declared-twice") == len(numbers) - n


@given(total=cents, share=st.integers(0, 100), declared=st.one_of(st.none(), cents))
def test_line_refund_arithmetic(total: Decimal, share: int, declared: Decimal | None) -> None:
    ieepa = (total * share / 100).quantize(Decimal("0.01"))
    lines = [
        DutyLine(measure="a.b", heading="9903.01.25", rate="", basis="", basis_value=Decimal(0), amount=ieepa),
        DutyLine(measure="a.c", heading="8479.89.94", rate="", basis="", basis_value=Decimal(0), amount=total - ieepa),
    ]
    r = line_refund(IEEPA, lines, PaidDuty(total, declared))
    assert r.family_duty + r.other_duty == total and r.family_duty == ieepa
    assert r.refundable >= 0
    assert r.refundable == (ieepa if declared is None else max(declared - (total - ieepa), Decimal(0)))
