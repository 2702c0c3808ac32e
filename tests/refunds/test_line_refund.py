"""A line's refund (`resolve/refund.py`) and the IEEPA family of the US pack (pack.yaml `families`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.packs.model import Family
from clearance.engine.report.result import DutyLine
from clearance.engine.resolve.refund import PaidDuty, line_refund
from clearance.engine.run.check import Checker

PACKS = load_rules(BUNDLED_RULES)
IEEPA = PACKS["US"].header.families["ieepa"]
MACHINE = {"hts_code": "8479.89.94", "origin": "JP", "value": "100000", "mfn_rate": "2.5%", "entry_date": "2025-09-10"}


def _duty(heading: str, amount: str) -> DutyLine:
    zero = Decimal(0)
    return DutyLine(measure="m.x", heading=heading, rate="", basis="value", basis_value=zero, amount=Decimal(amount))


@pytest.mark.parametrize(
    ("heading", "covered"),
    [
        ("9903.01.01", True),
        ("9903.01.06", False),  # between the Mexico and Canada ranges
        ("9903.01.25", True),
        ("9903.01.33", True),
        ("9903.01.40", False),  # not in the Basic Edition
        ("9903.01.53", True),
        ("9903.01.90", True),
        ("9903.01.91", False),
        ("9903.02.73", True),
        ("990302.91", True),
        ("9903.03.01", False),  # Section 122
        ("9903.81.87", False),  # Section 232
        ("9903.96.02", False),  # civil aircraft: no IEEPA duty
        ("8479.89.94", False),
    ],
)
def test_the_ieepa_family_by_heading(heading: str, covered: bool) -> None:
    assert IEEPA.covers(heading) is covered


def test_every_ieepa_duty_measure_heading_is_in_the_family() -> None:
    groups = ("us-ieepa-reciprocal", "us-ieepa-canada", "us-ieepa-mexico", "us-ieepa-china")
    headings = {
        m.heading for m in PACKS["US"].measures if m.heading and m.kind == "duty" and m.stacking.group in groups
    }
    assert headings and all(IEEPA.covers(h) for h in headings), sorted(h for h in headings if not IEEPA.covers(h))


def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(ValueError, match="first heading is after the last"):
        Family(title="t", headings=["9903.01.05-9903.01.01"], citations=["c"])


def test_paid_is_the_deposit_less_the_other_duty() -> None:
    duties = [_duty("8479.89.94", "2500.00"), _duty("9903.02.73", "12500.00")]
    r = line_refund(IEEPA, duties, PaidDuty(Decimal("15000.00"), Decimal("17500.00")))
    assert (r.family_duty, r.other_duty, r.paid, r.refundable, r.estimated) == (
        Decimal("12500.00"),
        Decimal("2500.00"),
        Decimal("15000.00"),
        Decimal("15000.00"),
        False,
    )
    under = line_refund(IEEPA, duties, PaidDuty(Decimal("15000.00"), Decimal("2000.00")))
    assert under.refundable == 0  # less deposited than the other duty: no IEEPA duty was paid
    estimate = line_refund(IEEPA, duties, PaidDuty(Decimal("15000.00"), None))
    assert (estimate.refundable, estimate.estimated) == (Decimal("12500.00"), True)


def _refund_reasons(law: dt.date, **line: str) -> list:
    [result] = Checker(PACKS, law).check([{**MACHINE, **line}])
    return [r for r in result.reasons if r.rule == "refund"]


def test_a_2025_line_under_todays_law_carries_a_refund_reason() -> None:
    [reason] = _refund_reasons(dt.date(2026, 12, 3), declared_duty="15000")
    assert reason.message.startswith("12500.00 USD of IEEPA duty")
    assert "deposited 15000.00 less 2500.00 other duty; computed at entry 12500.00" in reason.message
    assert "Learning Resources" in reason.citation and "CSMS 68315804" in reason.citation
    assert "CAPE" in reason.message


def test_no_refund_reason_before_the_ruling_or_after_collection_ended() -> None:
    assert _refund_reasons(dt.date(2026, 2, 19)) == []
    assert len(_refund_reasons(dt.date(2026, 2, 20))) == 1
    assert _refund_reasons(dt.date(2026, 12, 3), entry_date="2026-02-24") == []


def test_no_mfn_rate_leaves_the_split_unknown_without_per_heading_amounts() -> None:
    """The MFN duty could not be computed: the deposit cannot be split, and the refund is unknown, not a number."""
    duties = [_duty("9903.01.25", "500.00")]
    missing = (("9503.00.00.73", "mfn_rate is missing"),)
    r = line_refund(IEEPA, duties, PaidDuty(Decimal("500.00"), Decimal("1650.00"), uncomputed=missing))
    assert r.unknown == "9503.00.00.73 could not be computed (mfn_rate is missing)"
    assert (r.refundable, r.estimated) == (0, False)
    nothing = line_refund(IEEPA, duties, PaidDuty(Decimal("500.00"), Decimal("0.00"), uncomputed=missing))
    assert (nothing.unknown, nothing.refundable) == (None, 0)  # nothing deposited: nothing to refund


def test_no_mfn_rate_with_per_heading_amounts_refunds_what_was_declared_on_ieepa_headings() -> None:
    duties = [_duty("9903.01.25", "500.00")]
    missing = (("9503.00.00.73", "mfn_rate is missing"),)
    by_heading = (("9903.01.25", Decimal("500.00")), ("9503.00.0073", Decimal("0.00")))
    r = line_refund(IEEPA, duties, PaidDuty(Decimal("500.00"), Decimal("500.00"), by_heading, missing))
    assert (r.unknown, r.refundable, r.by_heading) == (None, Decimal("500.00"), True)
    goods_only = (("6110.20.2079", Decimal("1650.00")),)  # the MFN deposit on the goods row: not IEEPA duty
    r = line_refund(IEEPA, duties, PaidDuty(Decimal("1000.00"), Decimal("1650.00"), goods_only, missing))
    assert (r.unknown, r.refundable) == (None, 0)


def test_an_ieepa_heading_that_needs_the_mfn_rate_or_was_not_computed_leaves_it_unknown() -> None:
    """An all-in heading (MFN filed on it) or a heading the law at entry does not give: its amount may hold other
    duty, so the per-heading amounts do not settle the split."""
    all_in = (("5209.42.00.40", "mfn_rate is missing"), ("9903.02.73", "mfn_rate is missing"))
    by_heading = (("9903.02.73", Decimal("3000.00")), ("5209.42.0040", Decimal("0.00")))
    r = line_refund(IEEPA, [], PaidDuty(Decimal("0.00"), Decimal("3000.00"), by_heading, all_in))
    assert r.unknown == "5209.42.00.40, 9903.02.73 could not be computed (mfn_rate is missing)"
    replaced = (("9903.02.30", Decimal("1500.00")), ("5209.41.6040", Decimal("750.00")))
    other = (("5209.41.60.40", "mfn_rate is missing"),)
    r = line_refund(
        IEEPA, [_duty("9903.01.25", "0.00")], PaidDuty(Decimal("0.00"), Decimal("2250.00"), replaced, other)
    )
    assert r.unknown is not None and r.refundable == 0


def test_a_line_with_no_mfn_rate_says_its_refund_is_unknown() -> None:
    no_mfn = {k: v for k, v in MACHINE.items() if k != "mfn_rate"}
    [result] = Checker(PACKS, dt.date(2026, 12, 3)).check([{**no_mfn, "declared_duty": "15000"}])
    [reason] = [r for r in result.reasons if r.rule == "refund"]
    assert reason.severity == "warning" and "not known" in reason.message and "mfn_rate is missing" in reason.message
    assert result.uncomputed and result.verdict == "review"
