"""What is settled per entry: shares of a bounded fee add up exactly, entries are cut in input order, and the
liquidation tolerance is applied to the entry's net difference (resolve/per_entry.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from clearance.engine.packs.model import PerEntry, Tolerance
from clearance.engine.report.result import DutyLine, Reason, Result
from clearance.engine.resolve.per_entry import EntryGroups, EntryLaw, settle_entry, share

FEE = "x.fee"
LAW = EntryLaw(
    bounds={FEE: PerEntry(minimum=Decimal("30.00"), maximum=Decimal("600.00"), citations=["a rule"])},
    tolerance=Tolerance(under=Decimal("20.00"), citations=["a tolerance"]),
    minor_unit=2,
    currency="USD",
)
money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(total=money, weights=st.lists(money, min_size=1, max_size=30))
def test_shares_add_up_to_the_total_and_follow_the_weights(total: Decimal, weights: list[Decimal]) -> None:
    shares = share(total, weights, 2)
    assert sum(shares) == total
    assert all(s >= 0 and s == s.quantize(Decimal("0.01")) for s in shares)
    weight_sum = sum(weights)
    for s, w in zip(shares, weights, strict=True):
        exact = total * w / weight_sum if weight_sum else total / len(weights)
        assert abs(s - exact) < Decimal("0.01")  # within one cent of the exact share


def fee_line(row: int, entry: str | None, value: str, amount: str, declared: str | None = None) -> Result:
    fee = DutyLine(
        measure=FEE, heading="-", rate="1%", basis="value", basis_value=Decimal(value), amount=Decimal(amount)
    )
    reasons = []
    difference = None
    if declared is not None:
        difference = Decimal(declared)
        severity = "error" if difference < 0 else "warning"
        reasons = [Reason(severity=severity, rule="declared.duty", message=f"differs by {difference}")]
    return Result(
        row=row,
        entry_number=entry,
        destination="XX",
        verdict="reject" if declared and difference < 0 else "accept",
        total_duty=Decimal("0.00"),
        currency="USD",
        fees=[fee],
        total_fees=Decimal(amount),
        reasons=reasons,
        declared_difference=difference,
    )


def fees(results: list[Result]) -> list[str]:
    return [str(r.fees[0].amount) for r in results]


def test_an_entry_under_the_minimum_shares_it_by_value() -> None:
    settled = settle_entry([fee_line(1, "E", "1000", "10.00"), fee_line(2, "E", "2000", "5.00")], LAW)
    assert fees(settled) == ["10.00", "20.00"]
    assert [str(r.total_fees) for r in settled] == ["10.00", "20.00"]
    assert all(r.reasons[-1].rule == f"{FEE}.minimum" and r.reasons[-1].severity == "info" for r in settled)


def test_an_entry_inside_the_bounds_is_left_alone() -> None:
    lines = [fee_line(1, "E", "1000", "10.00"), fee_line(2, "E", "2000", "20.00")]
    assert settle_entry(lines, LAW) == lines


def test_the_tolerance_is_on_the_net_difference_of_the_entry() -> None:
    under, over = fee_line(1, "E", "5000", "50.00", "-25.00"), fee_line(2, "E", "5000", "50.00", "10.00")
    settled = settle_entry([under, over], LAW)
    assert [r.verdict for r in settled] == ["review", "review"]
    assert "net difference is -15.00 USD" in settled[0].reasons[0].message
    alone = settle_entry([under], LAW)
    assert alone[0].verdict == "reject" and alone[0].reasons[0].severity == "error"


def test_entries_are_cut_in_input_order_and_a_split_entry_is_flagged() -> None:
    groups = EntryGroups(lambda destination: LAW)
    stream = [
        fee_line(1, "A", "1000", "1.00"),
        fee_line(2, "A", "1000", "1.00"),
        fee_line(3, None, "1000", "1.00"),
        fee_line(4, "B", "1000", "100.00"),
        fee_line(5, "A", "1000", "1.00"),
    ]
    done = []
    for n, result in enumerate(stream):
        done += groups.add(n, result)
        if n == 1:
            assert done == []  # entry A is still open
    done += groups.close()
    assert [handle for handle, _ in done] == [0, 1, 2, 3, 4]
    by = {handle: r for handle, r in done}
    assert fees([by[0], by[1]]) == ["15.00", "15.00"] and fees([by[2]]) == ["30.00"] and fees([by[3]]) == ["100.00"]
    assert [x.rule for x in by[4].reasons] == [f"{FEE}.minimum", "entry.split"] and by[4].verdict == "review"
    assert not any(x.rule == "entry.split" for r in (by[0], by[1], by[3]) for x in r.reasons)


def declaring(row: int, entry: str, amount: str, declared_fees: str, declared: str | None = None) -> Result:
    return fee_line(row, entry, "100000", amount, declared).model_copy(update={"declared_fees": Decimal(declared_fees)})


def test_declared_fees_are_compared_per_entry_not_per_line() -> None:
    settled = settle_entry([declaring(1, "E", "100.00", "150.00"), declaring(2, "E", "100.00", "50.00")], LAW)
    assert not any(x.rule == "declared.fees" for r in settled for x in r.reasons)
    short = settle_entry([declaring(1, "E", "100.00", "60.00"), declaring(2, "E", "100.00", "50.00")], LAW)
    assert [r.verdict for r in short] == ["reject", "reject"]
    said = "entry E: fees under-declared by 90.00 USD (declared 110.00, computed 200.00 on 2 line(s))"
    assert short[0].reasons[-1].message == said


def test_the_tolerance_nets_duty_and_fee_differences() -> None:
    # duty over-declared by 15, fees under-declared by 25: net 10 under -> both findings are warnings
    settled = settle_entry([declaring(1, "E", "100.00", "75.00", "15.00")], LAW)
    assert settled[0].verdict == "review"
    assert {x.rule: x.severity for x in settled[0].reasons} == {"declared.duty": "warning", "declared.fees": "warning"}
    assert "net difference is -10.00 USD" in settled[0].reasons[-1].message
