"""Every rule-pack feature, on the fixture pack `tests/fixtures/packs/features/` (each feature on its own heading),
through `Checker`: each side of every date edge, stacking, bases, conditions, declared vs computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from clearance.engine import Checker, Result, load_pack
from clearance.engine.authoring.golden import run_file

from ..conftest import PACKS

PACK = load_pack(PACKS / "features")
LAW = dt.date(2026, 1, 1)


@cache
def checker(law: dt.date = LAW) -> Checker:
    return Checker({"US": PACK}, law)


def check(code: str, law: dt.date = LAW, **cols: str) -> Result:
    rec = {"hts_code": code, "origin": "JP", "value": "1000", "entry_date": "2025-06-01", **cols}
    [result] = checker(law).check([rec])
    return result


def duties(r: Result) -> dict[str, str]:
    return {d.heading: str(d.amount) for d in r.duties}


def flagged(r: Result) -> dict[str, str]:
    """Rule -> message of the errors and warnings."""
    return {x.rule: x.message for x in r.reasons if x.severity != "info"}


def excluded(r: Result) -> dict[str, tuple[str, Decimal | None]]:
    return {x.measure: (x.excluded_by, x.portion) for x in r.excluded}


# duty forms ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "applies"),
    [
        ("2025-02-28", False),
        ("2025-03-01", True),  # `from` is inclusive
        ("2025-03-02", True),
        ("2025-08-31", True),
        ("2025-09-01", False),  # `until` is exclusive
        ("2025-09-02", False),
    ],
)
def test_ad_valorem_on_each_side_of_its_dates(entry: str, applies: bool) -> None:
    r = check("0101210000", entry_date=entry)
    assert duties(r) == ({"9901.00.01": "100.00"} if applies else {})
    assert r.verdict == "accept" and r.total_duty == Decimal("100.00" if applies else "0")


@pytest.mark.parametrize(
    ("quantity", "unit", "amount"),
    [("100", "kg", "50.00"), ("2500", "g", "1.25"), ("0.5", "t", "250.00"), ("0.01", "kg", "0.01")],
)
def test_specific_duty_in_kg_g_and_t(quantity: str, unit: str, amount: str) -> None:
    r = check("0102100000", quantity=quantity, unit=unit)
    assert (r.verdict, duties(r)) == ("accept", {"9901.00.02": amount})
    assert r.duties[0].rate == "0.5 USD/kg"


@pytest.mark.parametrize(
    ("cols", "message"),
    [({}, "a quantity in kg is needed"), ({"quantity": "3", "unit": "no"}, "quantity is in no but the rate is per kg")],
)
def test_specific_duty_without_a_usable_quantity_is_review(cols: dict, message: str) -> None:
    r = check("0102100000", **cols)
    assert (r.verdict, duties(r)) == ("review", {})
    assert "9901.00.02: cannot compute duty" in flagged(r)["feat.specific"] and message in flagged(r)["feat.specific"]


def test_compound_duty() -> None:
    r = check("0103100000", quantity="10", unit="kg")
    assert duties(r) == {"9901.00.03": "58.35"}  # 10 kg x $1.035 + 4.8% of 1000


def test_mfn_measure_uses_the_lines_own_rate() -> None:
    assert duties(check("0101210000", entry_date="2025-01-01", mfn_rate="Free")) == {"0101.21.00.00": "0.00"}
    assert check("0101210000", entry_date="2025-01-01", mfn_rate="Free").duties[0].rate == "Free"
    assert duties(check("0101210000", entry_date="2025-01-01")) == {}  # requires_fields: [mfn_rate]


# all-in -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cols", "expected", "rate"),
    [
        ({"mfn_rate": "2.5%"}, {"0104.10.00.00": "25.00", "9901.00.04": "125.00"}, "all-in 15% (MFN 2.5% + 12.5%)"),
        # a specific MFN: its ad valorem equivalent is MFN duty / value ($0.50/kg on $10/kg = 5%)
        (
            {"mfn_rate": "$0.50/kg", "quantity": "100", "unit": "kg"},
            {"0104.10.00.00": "50.00", "9901.00.04": "100.00"},
            "all-in 15% (MFN 5% + 10%)",
        ),
        ({"mfn_rate": "14.99%"}, {"0104.10.00.00": "149.90", "9901.00.04": "0.10"}, "all-in 15% (MFN 14.99% + 0.01%)"),
        ({"mfn_rate": "15%"}, {"0104.10.00.00": "150.00", "9901.00.05": "0.00"}, "all-in 15% (MFN 15% + 0%)"),
        ({"mfn_rate": "26.4%"}, {"0104.10.00.00": "264.00", "9901.00.05": "0.00"}, "all-in 15% (MFN 26.4% + 0%)"),
    ],
)
def test_all_in_tops_up_the_mfn_and_uses_the_nil_heading(cols: dict, expected: dict, rate: str) -> None:
    r = check("0104100000", **cols)
    assert (r.verdict, duties(r)) == ("accept", expected)
    assert next(d.rate for d in r.duties if d.measure == "feat.all-in") == rate


def test_all_in_without_an_mfn_rate_is_review() -> None:
    r = check("0104100000")
    assert r.verdict == "review" and "needs the line's MFN rate" in flagged(r)["feat.all-in"]
    r = check("0104100000", mfn_rate="$0.50/kg")  # a specific MFN and no quantity
    assert r.verdict == "review" and "a quantity in kg is needed" in flagged(r)["feat.all-in"]


def test_all_in_top_up_is_exact_before_its_rounding() -> None:
    r = check("0104100000", value="6", mfn_rate="$0.179/kg", quantity="5", unit="kg")
    assert duties(r)["9901.00.04"] == "0.01"


# bases on content -------------------------------------------------------------------------------------


def test_portion_basis_takes_the_content_out_of_the_other_measures_basis() -> None:
    r = check("7201100000", steel_value="400")
    assert duties(r) == {"9901.00.11": "100.00", "9901.00.10": "60.00", "9901.00.19": "0.00"}
    by_heading = {d.heading: d for d in r.duties}
    assert (by_heading["9901.00.10"].basis, by_heading["9901.00.10"].basis_value) == ("value - feat.steel", 600)
    assert (by_heading["9901.00.19"].basis, by_heading["9901.00.19"].basis_value) == ("excluded", 400)
    assert excluded(r) == {"feat.recip": ("feat.steel", Decimal(400))}
    assert r.verdict == "accept" and r.total_duty == Decimal("160.00")


def test_content_basis_not_declared_is_review() -> None:
    r = check("7201100000")
    assert r.verdict == "review" and flagged(r) == {"feat.steel": "9901.00.11 applies but steel_value is not declared"}
    assert "9901.00.11" not in duties(r)


def test_an_unknown_content_does_not_remove_the_whole_value() -> None:
    assert duties(check("7201100000"))["9901.00.10"] == "100.00"


def test_content_basis_with_fallback_charges_the_full_value_with_a_warning() -> None:
    r = check("7301100000")
    assert r.verdict == "review"
    assert flagged(r) == {"feat.steel-fallback": "steel_value not declared: duty charged on the full value"}
    assert duties(r) == {"9901.00.12": "250.00", "9901.00.19": "0.00"}
    assert excluded(r) == {"feat.recip": ("feat.steel-fallback", None)}  # the whole basis is taken
    assert duties(check("7301100000", steel_value="300")) == {
        "9901.00.12": "75.00",
        "9901.00.10": "70.00",
        "9901.00.19": "0.00",
    }


@pytest.mark.parametrize(
    ("us_content", "expected"),
    [
        ("200", {"9901.00.13": "0.00", "9901.00.10": "80.00"}),  # exactly 20%
        ("199.99", {"9901.00.10": "100.00"}),  # 19.999%
        ("", {"9901.00.10": "100.00"}),
    ],
)
def test_share_test_on_us_content(us_content: str, expected: dict) -> None:
    assert duties(check("8479100000", us_content_value=us_content)) == expected


@pytest.mark.parametrize(("steel", "applies"), [("99.99", True), ("100", False), ("", False)])
def test_share_test_lt(steel: str, applies: bool) -> None:
    assert ("9901.00.14" in duties(check("7202100000", steel_value=steel))) is applies


# stacking ----------------------------------------------------------------------------------------------


def test_when_subject_a_zero_rate_does_not_exclude() -> None:
    r = check("8101100000")
    assert duties(r) == {"9901.00.20": "50.00", "9901.00.21": "0.00"} and not r.excluded


def test_when_applies_a_zero_rate_excludes() -> None:
    r = check("8102100000")
    assert duties(r) == {"9901.00.22": "0.00"} and excluded(r) == {"feat.victim": ("feat.zero-applies", None)}
    assert "not applied: zero-applies replaces the victim" in [x.message for x in r.reasons]


def test_when_subject_a_measure_that_owes_duty_excludes() -> None:
    r = check("8103100000")
    assert duties(r) == {"9901.00.23": "10.00"} and excluded(r) == {"feat.victim": ("feat.one-subject", None)}


@pytest.mark.parametrize(
    ("entry", "law", "expected"),
    [
        ("2025-05-31", LAW, {"9901.00.30": "200.00", "9901.00.31": "70.00"}),
        ("2025-06-01", LAW, {"9901.00.30": "200.00"}),  # the order starts
        ("2025-06-02", LAW, {"9901.00.30": "200.00"}),
        ("2025-06-02", dt.date(2025, 4, 30), {"9901.00.30": "200.00", "9901.00.31": "70.00"}),  # not yet published
        ("2025-06-02", dt.date(2025, 5, 1), {"9901.00.30": "200.00"}),
    ],
)
def test_dated_precedence(entry: str, law: dt.date, expected: dict) -> None:
    r = check("8201100000", law, entry_date=entry)
    assert duties(r) == expected
    if len(expected) == 1:
        assert excluded(r) == {"feat.prec.low": ("feat.prec.high", None)}
    assert duties(check("8202100000", law, entry_date=entry)) == {"9901.00.31": "70.00"}


def test_precedence_on_application_lets_a_zero_rate_go_first() -> None:
    assert duties(check("8601100000")) == {"9901.00.32": "0.00"}
    assert duties(check("8602100000")) == {"9901.00.33": "40.00"}


def test_two_measures_of_one_group_with_nothing_deciding_are_review() -> None:
    r = check("8301100000")
    assert r.verdict == "review" and duties(r) == {"9901.00.40": "30.00", "9901.00.41": "40.00"}
    assert "feat.conflict.a, feat.conflict.b of group feat-conflict" in flagged(r)["stacking.ambiguous"]


def test_a_stacking_cycle_is_review() -> None:
    r = check("8901100000")
    assert r.verdict == "review" and "feat.cycle.a, feat.cycle.b" in flagged(r)["stacking.cycle"]


def test_an_unconfirmed_measure_is_review() -> None:
    r = check("8701100000")
    assert (r.verdict, duties(r)) == ("review", {"9901.00.44": "20.00"})
    assert flagged(r)["feat.unconfirmed"] == "unconfirmed measure applies: 2% not yet confirmed (awaiting guidance)"
    r = check("8702100000")
    assert (r.verdict, duties(r)) == ("review", {}) and "feat.unconfirmed-no-rate" in flagged(r)


# conditions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("documents", "entry", "origin", "met"),
    [
        ("CERT-A", "2025-06-01", "JP", True),
        ("cert-b", "2025-06-01", "JP", True),  # document codes are case-insensitive
        ("", "2025-06-01", "JP", False),
        ("CERT-Z", "2025-06-01", "JP", False),
        ("CERT-NEW", "2025-05-31", "JP", False),
        ("CERT-NEW", "2025-06-01", "JP", True),
        ("CERT-NEW", "2025-06-02", "JP", True),
        ("CERT-OLD", "2025-05-31", "JP", True),
        ("CERT-OLD", "2025-06-01", "JP", False),
        ("CERT-OLD", "2025-06-02", "JP", False),
        ("CERT-KR", "2025-06-01", "KR", True),
        ("CERT-KR", "2025-06-01", "JP", False),
        ("CERT-KR;CERT-NEW", "2025-05-31", "JP", False),
        ("CERT-KR;CERT-OLD", "2025-05-31", "JP", True),
    ],
)
def test_document_condition_any_of_with_dated_and_origin_alternatives(
    documents: str, entry: str, origin: str, met: bool
) -> None:
    r = check("0201100000", documents=documents, entry_date=entry, origin=origin, attributes="purpose=sale;organic=yes")
    assert r.verdict == ("accept" if met else "reject")
    if not met:
        [reason] = [x for x in r.reasons if x.severity == "error"]
        assert (reason.rule, reason.message) == ("feat.admit.certificate", "a valid certificate is needed")
        assert reason.citation == "Fixture import conditions, certificate"


@pytest.mark.parametrize(
    ("attributes", "verdict", "rules"),
    [
        ("purpose=sale;organic=yes", "accept", set()),
        ("purpose=research;organic=yes", "review", {"feat.admit.purpose"}),
        ("organic=yes", "review", {"feat.admit.purpose"}),
        ("purpose=sale", "accept", {"feat.admit.organic"}),  # an info action does not change the verdict
        ("", "review", {"feat.admit.purpose", "feat.admit.organic"}),
    ],
)
def test_attribute_conditions_and_actions(attributes: str, verdict: str, rules: set) -> None:
    r = check("0201100000", documents="CERT-A", attributes=attributes)
    assert r.verdict == verdict
    assert {x.rule for x in r.reasons if x.rule.startswith("feat.admit.")} == rules


def test_sale_measure_condition() -> None:
    assert check("0202100000").verdict == "review"
    assert check("0202100000", documents="CERT-B").verdict == "accept"


def test_capped_document_counts_across_lines() -> None:
    fresh = Checker({"US": PACK}, dt.date(2026, 1, 2))  # the law date of the last entry (a new year)
    rec = {"hts_code": "8801100000", "origin": "JP", "value": "10", "entry_date": "2025-06-01"}
    capped = rec | {"documents": "CERT-CAP", "quantity": "6"}
    records = [
        capped | {"attributes": "grade=premium"},
        capped | {"attributes": "grade=premium"},  # 12 > 10
        capped | {"attributes": "grade=deluxe"},
        rec | {"documents": "CERT-A", "quantity": "6", "attributes": "grade=premium"},
        capped | {"attributes": "grade=premium", "entry_date": "2026-01-02"},  # a new year
        capped,  # no grade: cannot be counted
    ]
    results = list(fresh.check(records))
    assert [r.verdict for r in results] == ["accept", "reject", "accept", "accept", "accept", "review"]
    assert "limited to 10 units per premium in 2025" in flagged(results[1])["feat.capped.quota.cap"]


# scopes -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "origin", "heading"),
    [
        ("0401100000", "JP", "9901.00.50"),
        ("0401100000", "CN", None),  # area:far-east
        ("0401100000", "KR", None),
        ("0401100000", "VN", None),
        ("0401100000", "TW", "9901.00.50"),
        ("0402100000", "CN", "9901.00.51"),
        ("0402100000", "TW", "9901.00.51"),
        ("0402100000", "JP", None),
    ],
)
def test_origins_and_exclude_origins_with_an_area(code: str, origin: str, heading: str | None) -> None:
    assert list(duties(check(code, origin=origin))) == ([heading] if heading else [])


@pytest.mark.parametrize(
    ("code", "applies"),
    [
        ("0501100000", True),  # list feat-widgets: 0501
        ("0501900000", False),  # exclude_lists feat-exempt: 050190 (a CSV list)
        ("0502100000", True),  # prefix 0502
        ("0502990000", False),  # exclude_prefixes 050299
        ("0503100000", True),  # list entry 0503.10.00
        ("05031000", True),
        ("0503200000", False),
        ("0504100000", False),
    ],
)
def test_code_lists_prefixes_and_their_exclusions(code: str, applies: bool) -> None:
    assert ("9901.00.52" in duties(check(code))) is applies


@pytest.mark.parametrize(("mode", "applies"), [("vessel", True), ("air", False), ("", False)])
def test_modes(mode: str, applies: bool) -> None:
    assert ("9901.00.53" in duties(check("0601100000", transport_mode=mode))) is applies


@pytest.mark.parametrize(
    ("code", "spi", "expected"),
    [
        ("0701100000", "", {"9901.00.54": "60.00"}),
        ("0701100000", "A", {}),  # exclude_spi
        ("0701100000", "c", {"9901.00.55": "0.00"}),  # the exemption reports its heading
        ("0702100000", "C", {"9901.00.54": "60.00"}),
    ],
)
def test_spi_and_exclude_spi(code: str, spi: str, expected: dict) -> None:
    r = check(code, spi=spi)
    assert duties(r) == expected
    if "9901.00.55" in expected:
        assert excluded(r) == {"feat.spi-victim": ("feat.spi-claim", None)}


@pytest.mark.parametrize(
    ("code", "attributes", "applies"),
    [
        ("0801100000", "grade=premium", True),
        ("0801100000", "GRADE=deluxe", True),
        ("0801100000", "grade=standard", False),
        ("0801100000", "grade=premium;organic=yes", False),  # exclude_attributes
        ("0801100000", "grade=premium;organic=no", True),
        ("0801100000", "", False),
        ("0802100000", "grade=anything", True),  # "*": any declared value
        ("0802100000", "organic=yes", False),
    ],
)
def test_attributes_and_exclude_attributes(code: str, attributes: str, applies: bool) -> None:
    assert bool(duties(check(code, attributes=attributes))) is applies


def test_requires_fields() -> None:
    assert duties(check("1101100000")) == {}
    assert duties(check("1101100000", quantity="1", unit="no")) == {"9901.00.58": "10.00"}


@pytest.mark.parametrize(
    ("entry", "loaded", "mode", "exempt"),
    [
        ("2025-04-05", "2025-04-04", "vessel", True),
        ("2025-04-05", "2025-04-05", "vessel", False),  # loaded_before is exclusive
        ("2025-04-05", "2025-04-04", "air", False),  # only by vessel
        ("2025-04-05", "2025-03-01", "vessel", True),  # loaded_from is inclusive
        ("2025-04-05", "2025-02-28", "vessel", False),
        ("2025-05-26", "2025-04-04", "vessel", True),
        ("2025-05-27", "2025-04-04", "vessel", False),  # entered too late
        ("2025-04-05", "", "vessel", False),
    ],
)
def test_in_transit(entry: str, loaded: str, mode: str, exempt: bool) -> None:
    r = check("0901100000", entry_date=entry, loaded_date=loaded, transport_mode=mode)
    assert duties(r) == ({"9901.00.61": "0.00"} if exempt else {"9901.00.60": "100.00"})


def test_in_transit_before_the_duty_starts() -> None:
    assert duties(check("0901100000", entry_date="2025-04-04", loaded_date="2025-03-20", transport_mode="vessel")) == {}


# law as of ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "law", "applies"),
    [
        ("0301100000", dt.date(2025, 6, 30), False),
        ("0301100000", dt.date(2025, 7, 1), True),
        ("0301100000", dt.date(2025, 7, 2), True),
        ("0302100000", dt.date(2025, 7, 31), False),  # its own `published` overrides the file's
        ("0302100000", dt.date(2025, 8, 1), True),
    ],
)
def test_law_as_of_hides_measures_published_later(code: str, law: dt.date, applies: bool) -> None:
    r = check(code, law, entry_date="2025-03-01")  # entered before publication: retroactive
    assert duties(r) == ({r.duties[0].heading: "50.00"} if applies else {})


def test_a_declared_heading_not_yet_published_says_so() -> None:
    r = check("0301100000", dt.date(2025, 6, 30), declared_headings="9901.00.90", declared_duty="50")
    assert "declared 9901.00.90 (feat.later) is not in force under the law as of 2025-06-30" in flagged(r).values()
    assert r.verdict == "review" and "refund of 50.00 USD" in flagged(r)["declared.duty"]


# declared vs computed -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "verdict", "message"),
    [
        ("100", "accept", None),
        ("100.004", "accept", None),  # the declared duty is rounded like any duty
        ("99.99", "reject", "under-declared by 0.01 USD: declared 99.99, computed 100.00"),
        ("100.01", "review", "over-declared: refund of 0.01 USD (declared 100.01, computed 100.00)"),
    ],
)
def test_declared_duty_against_computed(declared: str, verdict: str, message: str | None) -> None:
    r = check("0101210000", declared_duty=declared, declared_headings="9901.00.01")
    assert r.verdict == verdict and flagged(r).get("declared.duty") == message


def test_a_declared_heading_that_was_excluded_names_and_cites_the_excluding_measure() -> None:
    r = check("8102100000", declared_headings="9901.00.20; 9901.00.22", declared_duty="0")
    [reason] = [x for x in r.reasons if x.rule == "declared.heading"]
    assert reason.message.startswith("declared 9901.00.20 (feat.victim) does not apply: excluded by feat.zero-applies")
    assert reason.citation == "Fixture stacking, zero applies" and r.verdict == "review"


def test_a_computed_heading_not_declared() -> None:
    r = check("0101210000", declared_headings="9901.00.02")
    assert r.verdict == "reject"  # duty is owed on an undeclared heading and no duty was declared
    assert flagged(r)["declared.heading"] == "9901.00.01 (feat.adval) applies but was not declared"
    messages = [x.message for x in r.reasons if x.rule == "declared.heading"]
    assert "declared 9901.00.02 (feat.specific) does not apply to this line (scope or dates)" in messages
    r = check("0101210000", declared_headings="9999.99.99", declared_duty="100")
    assert "declared 9999.99.99 is not a heading of pack features" in [x.message for x in r.reasons]


def test_currency_mismatch_is_invalid() -> None:
    r = check("0101210000", currency="EUR")
    assert (r.verdict, r.duties, r.total_duty) == ("invalid", [], None)
    assert flagged(r) == {"input.currency": "customs value is in EUR; US entries are declared in USD"}
    assert check("0101210000", currency="usd").verdict == "accept"


# rounding -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "each", "total"),
    [
        ("0.20", "0.01", "0.02"),  # 0.005 each: half up per duty line (the sum first would give 0.01)
        ("0.60", "0.02", "0.04"),  # 0.015 each
        ("10.02", "0.25", "0.50"),  # 0.2505 each
        ("0.19", "0.00", "0.00"),  # 0.00475 each
    ],
)
def test_rounding_once_per_duty_line_half_up(value: str, each: str, total: str) -> None:
    r = check("0106100000", value=value)
    assert duties(r) == {"9901.00.06": each, "9901.00.07": each} and str(r.total_duty) == total


def test_total_duty_is_always_in_the_minor_unit() -> None:
    assert str(check("0101210000", entry_date="2025-01-01").total_duty) == "0.00"


# golden cases of the fixture pack ------------------------------------------------------------------------


def test_golden_cases_of_the_feature_pack() -> None:
    outcomes = run_file(PACK.root / "features.test.yaml", {"US": PACK})
    assert len(outcomes) >= 15
    assert [o.id for o in outcomes if not o.ok] == []


def test_golden_lines_keep_unquoted_codes_as_written(tmp_path: Path) -> None:
    case = tmp_path / "octal.test.yaml"
    case.write_text(
        "cases:\n  - name: unquoted code\n    law_as_of: 2026-01-01\n"
        "    line: {hts_code: 0101210000, origin: JP, value: 1000, entry_date: 2025-06-01}\n"
        "    expect: {headings: [9901.00.01]}\n",
        encoding="utf-8",
    )
    [outcome] = run_file(case, {"US": PACK})
    assert outcome.ok, outcome.problems
