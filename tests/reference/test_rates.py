"""The HTSUS rate grammar (engine/duty/expression.py), the text-only rates and the Special column
(engine/reference/rates.py).

The export tests read every General and Column 2 string of the two official exports in ../shared/data/hts and
skip, saying so, where that folder is absent."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from clearance.engine.duty.expression import (
    DutyExpressionError,
    Portion,
    QuantityError,
    Specific,
    parse_duty_expression,
    plain_amount,
    round_money,
)
from clearance.engine.reference.rates import (
    TEXT_ONLY_RATES,
    UnreadableRate,
    read_rate,
    same_rate,
    special_programs,
)

from ..conftest import SHARED

HTS_DIR = SHARED / "data" / "hts"
EXPORTS = sorted(HTS_DIR.glob("hts_*_basic_edition_csv.csv")) if HTS_DIR.is_dir() else []
needs_exports = pytest.mark.skipif(
    len(EXPORTS) < 2, reason=f"the official HTSUS exports are not in {HTS_DIR} (shared test data absent)"
)
RATE_COLUMNS = ("General Rate of Duty", "Column 2 Rate of Duty")


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_duty_expression(text, allow_special=False)


def duty(text: str, value: str = "0", quantity: str | None = None, unit: str | None = None) -> Decimal:
    q = Decimal(quantity) if quantity is not None else None
    return round_money(plain_amount(parse(text), Decimal(value), q, unit, "USD"), 2)


# --- the grammar -------------------------------------------------------------------------------------------


def test_existing_forms_are_unchanged() -> None:
    assert parse("2.5").ad_valorem == Decimal("0.025")
    e = parse("$0.50/kg + 4.8%")
    assert e.ad_valorem == Decimal("0.048") and e.specific == (Specific(Decimal("0.50"), "USD", "kg"),)
    assert parse_duty_expression("341 JPY/kg").specific == (Specific(Decimal(341), "JPY", "kg"),)
    assert parse_duty_expression("all-in 15%").kind == "all_in"
    assert parse("Free").describe() == "Free"
    with pytest.raises(DutyExpressionError):
        parse_duty_expression("all-in 15% on the case")
    with pytest.raises(DutyExpressionError):
        parse("4.4¢/furlong")


def test_per_unit_each_and_per_thousand() -> None:
    assert duty("$1.50 each + 45%", "100", "10", "No.") == Decimal("60.00")
    assert duty("0.9¢ each", "0", "1000", "pcs") == Decimal("9.00")
    assert duty("$1.15/1,000 + 40%", "10", "2", "thousands") == Decimal("6.30")
    assert duty("10¢/1,000 pins + 3.5%", "100", "5000", "No.") == Decimal("4.00")
    assert duty("$2.50/thou- sand + 40%", "0", "3000", "no") == Decimal("7.50")


def test_mixed_fraction_percent() -> None:
    assert duty("33 1/3%", "300") == Decimal("100.00")


def test_units_of_their_own_compute_only_in_that_unit() -> None:
    assert duty("18.7¢/clean kg", "0", "100", "cy kg") == Decimal("18.70")
    assert duty("$1.32/pf. liter", "0", "10", "pf.liters") == Decimal("13.20")
    assert duty("10.5¢/bbl", "0", "1000", "bbl") == Decimal("105.00")
    assert duty("14¢/gross + 4.3%", "1000", "10", "gross") == Decimal("44.40")
    assert duty("0.3¢/line/ gross + 4.6%", "100", "5", "gr.lines") == Decimal("4.62")
    assert duty("$1.10/kg on molybdenum content + 15%", "1000", "20", "Mo kg") == Decimal("172.00")
    assert duty("$1.32/t, including weight of container", "0", "500", "kg gross") == Decimal("0.66")
    with pytest.raises(QuantityError, match="kg drained"):
        duty("3.7¢/kg on drained weight", "0", "100", "kg")
    assert duty("3.7¢/kg on drained weight", "0", "100", "kg drained") == Decimal("3.70")
    with pytest.raises(QuantityError, match="Pb kg"):  # two contents, one quantity: never computable
        duty("0.7¢/kg on copper content + 0.7¢/kg on lead content", "0", "100", "Cu kg")


def test_a_rate_on_part_of_the_value_does_not_compute() -> None:
    e = parse("$1.50 each + 45% on the case + 35% on the battery")
    assert e.portions == (
        Portion(Decimal("0.45"), "on the case"),
        Portion(Decimal("0.35"), "on the battery"),
    )
    assert e.describe() == "1.5 USD/no + 45% on the case + 35% on the battery"
    assert not e.is_ad_valorem_only
    with pytest.raises(QuantityError, match="45% on the case"):
        duty(e.text, "100", "1", "no")
    assert parse("2 percent of the fair retail value").portions == (
        Portion(Decimal("0.02"), "of the fair retail value"),
    )


def test_export_spacing_and_typos() -> None:
    assert same_rate(parse("22¢/kg on drained weight+45%"), parse("22¢/kg on drained weght + 45%"))
    assert same_rate(parse("86.1¢/m2of recording surface"), parse("86.1¢/m2 of recording surface"))
    assert same_rate(parse("88.2¢/kg + 55% + 12.5¢/ article"), parse("$0.882/kg + 55% + 12.5¢/article"))


def test_same_rate_ignores_spelling_only() -> None:
    assert same_rate(parse("2.5%"), parse("2.50 %"))
    assert same_rate(parse("Free"), parse("0%"))
    assert same_rate(parse("4.4¢/kg"), parse("$0.044/kg"))
    assert not same_rate(parse("2.5%"), parse("2.6%"))
    assert not same_rate(parse("4.4¢/kg"), parse("4.4¢/kg on drained weight"))


def test_read_rate_names_text_only_and_rejects_the_rest() -> None:
    text = "The rate applicable to each garment in the ensemble if separately entered"
    assert text in TEXT_ONLY_RATES and read_rate(text) is None
    assert read_rate("6.8%") is not None
    with pytest.raises(UnreadableRate):
        read_rate("The rate applicable to something new")


def test_special_programs() -> None:
    assert special_programs("2.2% (JP) Free (A,AU,BH)") == {"JP": "2.2%", "A": "Free", "AU": "Free", "BH": "Free"}
    assert special_programs("Free  (A+, AU, JP)") == {"A+": "Free", "AU": "Free", "JP": "Free"}
    got = special_programs("Free (BH,CL) See 9822.05.20 (P+) 7.5¢/kg (KR)")
    assert got == {"BH": "Free", "CL": "Free", "P+": "See 9822.05.20", "KR": "7.5¢/kg"}
    assert special_programs("Free (See U.S. note 4 of this subchapter)") == {}
    assert special_programs("Free") == {} and special_programs("") == {}


# --- every rate of the two official exports ----------------------------------------------------------------


def _export_rates(column_names: tuple[str, ...]) -> dict[str, set[str]]:
    """{rate text: {export file names}} for the given columns of both exports."""
    found: dict[str, set[str]] = {}
    for path in EXPORTS:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for column in column_names:
                    text = (row[column] or "").strip()
                    if text:
                        found.setdefault(text, set()).add(path.name)
    return found


@needs_exports
def test_every_general_and_column_2_rate_parses_or_is_listed_text_only() -> None:
    rates = _export_rates(RATE_COLUMNS)
    unreadable = []
    parsed = 0
    for text in sorted(rates):
        try:
            parsed += read_rate(text) is not None
        except UnreadableRate as exc:
            unreadable.append(f"{exc} (in {', '.join(sorted(rates[text]))})")
    text_only = [t for t in rates if t in TEXT_ONLY_RATES]
    print(f"\n{len(rates)} distinct General/Column 2 rates: {parsed} parsed, {len(text_only)} text-only")
    assert not unreadable, "rates neither parsed nor listed in TEXT_ONLY_RATES:\n" + "\n".join(unreadable)
    assert parsed > 1300


@needs_exports
def test_text_only_list_is_tight() -> None:
    """Every listed string occurs in an export and really does not parse: nothing is listed for comfort."""
    rates = _export_rates(RATE_COLUMNS)
    absent = sorted(t for t in TEXT_ONLY_RATES if t not in rates)
    assert not absent, f"TEXT_ONLY_RATES entries found in no export: {absent}"
    parseable = []
    for text in sorted(TEXT_ONLY_RATES):
        try:
            parse(text)
            parseable.append(text)
        except DutyExpressionError:
            pass
    assert not parseable, f"TEXT_ONLY_RATES entries that parse: {parseable}"


@needs_exports
def test_special_column_programs_are_well_formed() -> None:
    specials = _export_rates(("Special Rate of Duty",))
    programs: set[str] = set()
    rates: set[str] = set()
    for text in specials:
        listed = special_programs(text)
        programs |= set(listed)
        rates |= set(listed.values())
    assert {"JP", "C", "A", "A*", "A+", "AU", "KR", "S+", "P+"} <= programs
    unread = sorted(r for r in rates if not r.startswith("See ") and r not in TEXT_ONLY_RATES and _fails(r))
    print(f"\n{len(specials)} Special strings, {len(programs)} programs, {len(rates)} rates; not rates: {unread}")
    assert len(unread) <= 10, unread  # a few prose special rates ("A duty upon the value of the repairs...")


def _fails(text: str) -> bool:
    try:
        parse(text)
        return False
    except DutyExpressionError:
        return True
