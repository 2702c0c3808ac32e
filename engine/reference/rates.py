"""The rate columns of the HTSUS export: which General / Column 2 strings are prose, and the Special column.

General and Column 2 rates are read by `engine.duty.parse_duty_expression`, whose grammar covers the HTSUS
forms: `Free`, `2.5%`, `33 1/3%`, `4.4¢/kg`, `$1.035/kg + 4.8%`, `$1.50 each + 45% on the case`, `$1.15/1,000`,
`14¢/gross`, `18.7¢/clean kg`, `10.1¢/kg on drained weight`, `$1.10/kg on molybdenum content`, `10.5¢/bbl`,
`$1.32/pf. liter`. A rate on a part of the value ("on the case", "of the fair retail value") or on a quantity
the line cannot state in its one `unit` parses, but only computes when the line declares that part or unit;
otherwise the line goes to review with the reason.

The strings in `TEXT_ONLY_RATES` are prose that no arithmetic reads (a rate borrowed from another provision,
a sugar-polarity formula, "Free, under bond", "No change", two export artefacts ":" and "37% /"), exactly as the
2025 and 2026 Basic Edition exports spell them. A line that needs one of them goes to review. The export test
(tests/reference/test_rates.py) fails when an export brings a string that is neither parsed nor listed here.

The Special column lists rates with the programs that grant them: `2.2% (JP) Free (A,AU,...)` gives
{JP: 2.2%, A: Free, AU: Free, ...}; `See 9822.05.20 (P+)` gives {P+: "See 9822.05.20"} (a reference, not a rate).
"""

from __future__ import annotations

import re

from ..duty.expression import DutyExpression, DutyExpressionError, parse_duty_expression


class UnreadableRate(ValueError):
    """A rate string that is neither in the HTSUS grammar nor a known text-only rate."""


TEXT_ONLY_RATES: frozenset[str] = frozenset(
    {
        (
            "1.4606¢/kg less 0.020668¢/kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 0.943854¢/kg"
        ),
        (
            "3.6606¢/kg less 0.020668¢/kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 3.143854¢/kg"
        ),
        "37% /",
        (
            "4.3% + 1.7¢/jewel + 0.2¢ for each other piece or part, but if consisting in part of a plate or a set"
            " of plates the total duty shall not exceed the duty for the complete movement"
        ),
        (
            "4.3817¢/kg less 0.0622005¢ /kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less 2.831562¢ /kg"
        ),
        (
            "4.3817¢/kg less 0.0622005¢ /kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 2.831562¢ /kg"
        ),
        (
            "4.3817¢/kg less 0.0622005¢/kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 2.831562¢ /kg"
        ),
        (
            "4.3817¢/kg less 0.0622005¢/kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 2.831562¢/kg"
        ),
        (
            "6% + 2.3¢/jewel + 0.2¢ for each other piece or part, but if consisting in part of a plate or a set "
            "of plates the total duty shall not exceed the duty for the complete movement"
        ),
        (
            "6.58170¢/kg less 0.0622005¢ /kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 5.031562¢ /kg"
        ),
        (
            "6.58170¢/kg less 0.0622005¢/kg for each degree under 100 degrees (and fractions of a degree in "
            "proportion) but not less than 5.031562¢ /kg"
        ),
        (
            "65% + 25¢/jewel + 3¢ for each other piece or part, but if consisting in part of a plate or a set of "
            "plates the total duty shall not exceed the duty for the complete movement"
        ),
        ":",
        (
            "A duty (in lieu of any other duty or tax) equal to the sum of any duty and internal- revenue tax "
            "imposed upon the importation of like articles not previously exported, but in no case in excess of "
            "the sum of (a) any customs drawback proved to have been allowed upon such exportation of the "
            "article, and (b) any internal- revenue tax imposed, at the time such article is entered, upon the "
            "importation of like articles not previously exported"
        ),
        (
            "A duty equal to the duty upon the importation of like articles not previously exported, but in no "
            "case in excess of the sum of (a) any customs drawback proved to have been allowed upon such "
            "exportation, and (b) the duty which would have been payable on any articles used in the manufacture "
            "or production of such aircraft had they not been entered and exported under heading 9813.00.05"
        ),
        (
            "A duty upon the full value of the imported article less the value of fabrics, components or "
            "materials of the United States (see U.S. note 22 of this subchapter)"
        ),
        (
            "A duty upon the full value of the imported article, less the cost or value of such products of the "
            "United States (see U.S. Note 4 of this subchapter)"
        ),
        (
            "A duty upon the full value of the imported article, less the cost or value of such products of the "
            "United States (see U.S. note 4 of this subchapter)"
        ),
        "A duty upon the value of such processing outside the United States (see U.S. note 3 of this subchapter)",
        "A duty upon the value of the repairs or alterations (see U.S. note 3 of this subchapter)",
        "A duty upon the value of the repairs oralterations (see U.S. note 3 of this subchapter)",
        "Free, for such temporary periods as the Secretary of the Treasury by regulation may prescribe",
        "Free, under bond",
        "Free, under bond, as prescribed in U.S. note 1 to this subchapter",
        "Free, under bond, as prescribed in U.S. note 2 to this subchapter",
        "No Change",
        "No change",
        "No change.",
        "See additional U.S. note 1",
        "See additional U.S. note 2",
        "See additional U.S. note 3",
        "See additional U.S. note 4",
        "See additional U.S. note 5",
        "The duty provided for in the applicable subheading",
        "The duty provided in subheadings 8716.39.00, 8716.90.30 or 8716.90.50 + 100%",
        "The duty provided in the applicable subheading",
        "The duty provided in the applicable subheading + 0%",
        "The duty provided in the applicable subheading + 10%",
        "The duty provided in the applicable subheading + 100%",
        "The duty provided in the applicable subheading + 11%",
        "The duty provided in the applicable subheading + 13%",
        "The duty provided in the applicable subheading + 14%",
        "The duty provided in the applicable subheading + 15%",
        "The duty provided in the applicable subheading + 16%",
        "The duty provided in the applicable subheading + 17%",
        "The duty provided in the applicable subheading + 18%",
        "The duty provided in the applicable subheading + 19%",
        "The duty provided in the applicable subheading + 20%",
        "The duty provided in the applicable subheading + 200%",
        "The duty provided in the applicable subheading + 21%",
        "The duty provided in the applicable subheading + 22%",
        "The duty provided in the applicable subheading + 24%",
        "The duty provided in the applicable subheading + 25%",
        "The duty provided in the applicable subheading + 26%",
        "The duty provided in the applicable subheading + 27%",
        "The duty provided in the applicable subheading + 28%",
        "The duty provided in the applicable subheading + 29%",
        "The duty provided in the applicable subheading + 30%",
        "The duty provided in the applicable subheading + 31%",
        "The duty provided in the applicable subheading + 32%",
        "The duty provided in the applicable subheading + 33%",
        "The duty provided in the applicable subheading + 34%",
        "The duty provided in the applicable subheading + 35%",
        "The duty provided in the applicable subheading + 36%",
        "The duty provided in the applicable subheading + 37%",
        "The duty provided in the applicable subheading + 38%",
        "The duty provided in the applicable subheading + 39%",
        "The duty provided in the applicable subheading + 40%",
        "The duty provided in the applicable subheading + 41%",
        "The duty provided in the applicable subheading + 44%",
        "The duty provided in the applicable subheading + 46%",
        "The duty provided in the applicable subheading + 47%",
        "The duty provided in the applicable subheading + 48%",
        "The duty provided in the applicable subheading + 49%",
        "The duty provided in the applicable subheading + 50%",
        "The duty provided in the applicable subheading + 50%.",
        "The duty provided in the applicable subheading + 7.5%",
        "The duty provided in the applicable subheading + a duty of 25% upon the value of the aluminum content",
        "The duty provided in the applicable subheading + a duty of 25% upon the value of the aluminum content.",
        "The duty provided in the applicable subheading + a duty of 25% upon the value of the non-U.S. content",
        "The duty provided in the applicable subheading + a duty of 50% upon the value of the aluminum content.",
        "The duty provided in the applicable subheading + a duty of 50% upon the value of the copper content",
        "The duty provided in the applicable subheading + a duty of 50% upon the value of the steel content.",
        "The duty provided in the applicable subheading +10%",
        "The duty provided in the applicable subheading +25%",
        "The duty provided in the applicable subheading plus 25%",
        "The duty provided in the applicable subheading.",
        "The duty provided inthe applicable subheading+ 25%",
        "The duty rate provided in such subheading minus 0.5%",
        "The duty rate provided in such subheading minus 2.0%",
        "The rate applicable in the absence of this heading",
        "The rate applicable in the absence of this subheading",
        "The rate applicable in the absence of this subheading on the cost of such parts",
        "The rate applicable to each article in the absence of this subheading",
        "The rate applicable to each garment in the ensemble if entered separately",
        "The rate applicable to each garment in the ensemble if separately entered",
        "The rate applicable to each garment in the in the ensemble if separately entered",
        "The rate applicable to the article of which it is a part or accessory",
        "The rate applicable to the article of which it is an accessory",
        "The rate applicable to the complete, assembled",
        "The rate applicable to the complete, assembled movement",
        "The rate applicable to the natural juice in heading 2009",
        "The rate applicable, to each article in the absence of this subheading",
        "The rate of duty appli- cable to that article in the set subject to the high- est rate of duty",
        "The rate of duty applicable to that article in the set subject to the highest rate of duty",
    }
)

_GROUP = re.compile(r"([^()]*?)\s*\(([^()]*)\)")
_PROGRAM = re.compile(r"^[A-Z]{1,2}[+*]?$")


def read_rate(text: str) -> DutyExpression | None:
    """The parsed rate, or None for a text-only rate. Raises `UnreadableRate` for anything else."""
    if text in TEXT_ONLY_RATES:
        return None
    try:
        return parse_duty_expression(text, allow_special=False)
    except DutyExpressionError as exc:
        raise UnreadableRate(f"{text!r}: {exc}") from exc


def parse_rate_or_none(text: str) -> DutyExpression | None:
    """The parsed rate, or None when the text is not a rate (text-only, a reference, empty)."""
    if not text or text in TEXT_ONLY_RATES:
        return None
    try:
        return parse_duty_expression(text, allow_special=False)
    except DutyExpressionError:
        return None


def special_programs(text: str) -> dict[str, str]:
    """{program: rate text} from a Special column; the first rate given for a program wins."""
    out: dict[str, str] = {}
    for m in _GROUP.finditer(text):
        rate = " ".join(m.group(1).split())
        for token in m.group(2).split(","):
            program = token.strip()
            if rate and _PROGRAM.match(program):
                out.setdefault(program, rate)
    return out


def same_rate(a: DutyExpression, b: DutyExpression) -> bool:
    """Equal duty whatever the spelling: `2.5%` = `2.50 %`, `Free` = `0%`, `4.4¢/kg` = `$0.044/kg`."""
    return (a.kind, a.ad_valorem, sorted(map(str, a.specific)), sorted(map(str, a.portions))) == (
        b.kind,
        b.ad_valorem,
        sorted(map(str, b.specific)),
        sorted(map(str, b.portions)),
    )
