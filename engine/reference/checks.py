"""What the HTS reference says about an entry line, and which headings of a rule pack the reference lacks.

`reference_check` is pure: the same line and store give the same answer. It never changes the line; it returns
the column-1 rate the line should be checked with and the reasons to add to its result."""

from __future__ import annotations

import datetime as dt
import re

from ..duty.codes import format_code
from ..duty.expression import DutyExpression, parse_duty_expression
from ..entries.line import Line
from ..packs.load import Pack
from ..packs.model import Measure
from ..packs.queries import code_covers, in_force
from ..report.result import Reason
from .edition import Edition, HtsLine, HtsReference
from .rates import parse_rate_or_none, same_rate

CHECKED_LENGTHS = (8, 10)  # HTSUS subheadings and statistical lines


def reference_check(line: Line, ref: HtsReference) -> tuple[str | None, list[Reason]]:
    """(mfn_rate, reasons) for `line` against the edition in force on its entry date.

    - no `mfn_rate`: the General rate of its 8-digit line (statistical suffixes inherit), or the Special rate of
      a claimed program the line lists (`spi`), with an info reason saying where it came from;
    - `mfn_rate` given and different from that rate: a warning with both values (the declared rate is kept);
    - a 10-digit code not in the edition: an error with the nearest valid codes (an unknown 8-digit
      subheading is a warning: 8-digit codes are accepted, but this one has no rate to read);
    - a rate the reference cannot give (text-only, a reference to another heading, blank): a warning when
      the line has no `mfn_rate` of its own.
    Lines whose code is not 8 or 10 digits are left alone."""
    if len(line.hts_code) not in CHECKED_LENGTHS:
        return line.mfn_rate, []
    edition = ref.edition_for(line.entry_date)
    if edition is None:
        if line.mfn_rate is not None:
            return line.mfn_rate, []
        return None, [_reason("info", "hts.no-edition", f"no HTS edition in force on {line.entry_date}", "")]
    hts = ref.line(edition, line.hts_code)
    if hts is None:
        return line.mfn_rate, [_unknown(line, ref, edition)]
    rate, source, reasons = _applicable(line, hts, ref)
    cite = _citation(hts)
    if line.mfn_rate is None:
        if rate is None:
            reasons.append(_reason("warning", "hts.mfn-unavailable", f"{source}: declare mfn_rate", cite))
            return None, reasons
        reasons.append(_reason("info", "hts.mfn-filled", f"MFN rate {rate} from {source}{_units(hts)}", cite))
        return rate, reasons
    if rate is not None and not same_rate(_parse(line.mfn_rate), _parse(rate)):
        message = f"declared MFN rate {line.mfn_rate} differs from {rate}, {source}: the declared rate is used"
        reasons.append(_reason("warning", "hts.mfn-differs", message, cite))
    return line.mfn_rate, reasons


def _applicable(line: Line, hts: HtsLine, ref: HtsReference) -> tuple[str | None, str, list[Reason]]:
    """The rate the line owes under column 1 (General, or a claimed Special program), where it comes from,
    and the reasons about the preference claim."""
    edition = hts.edition.label()
    general_rate = hts.general if parse_rate_or_none(hts.general) is not None else None
    inherits = f" (statistical line {hts.dotted} inherits)" if hts.general_from != hts.code else ""
    if general_rate is None:
        text = repr(hts.general) if hts.general else "blank"
        general = f"the General rate of {format_code(hts.general_from)} in the {edition} is {text}, not a rate"
    else:
        general = f"the General column of {format_code(hts.general_from)}{inherits}, {edition}"
    if not line.spi:
        return general_rate, general, []
    cite = _citation(hts)
    claim = ref.special_rate(hts, line.spi)
    if claim is None and general_rate is not None and _is_free(_parse(general_rate)):
        return general_rate, general, []  # nothing to prefer to a free rate
    if claim is None:
        claimed = ", ".join(sorted(line.spi))
        message = f"SPI {claimed} claimed, but the Special column of {hts.dotted} lists none of them"
        return general_rate, general, [_reason("info", "hts.preference-not-listed", message, cite)]
    program, special = claim
    if parse_rate_or_none(special) is None:
        message = f"SPI {program} claimed: the Special column of {hts.dotted} gives {special!r} for it, not a rate"
        return None, message, [_reason("warning", "hts.preference-text", message, cite)]
    message = (
        f"SPI {program} claimed and listed in the Special column of {hts.dotted}: "
        f"special rate {special} instead of the General rate {hts.general or 'blank'}"
    )
    reasons = [_reason("info", "hts.preference", message, cite)]
    if program[-1] in "*+":
        restricted = f"{program} is restricted on {hts.dotted} (see the general notes): check that the origin qualifies"
        reasons.append(_reason("warning", "hts.preference-restricted", restricted, cite))
    return special, f"the Special column ({program}) of {hts.dotted}, {edition}", reasons


def _unknown(line: Line, ref: HtsReference, edition: Edition) -> Reason:
    code = line.hts_code
    hints = ", ".join(format_code(c) for c in ref.nearest(code, line.entry_date)) or "none"
    if len(code) == 10:
        message = f"unknown HTS code {format_code(code)} in the {edition.label()}; nearest valid codes: {hints}"
        return _reason("error", "hts.unknown-code", message, edition.citation())
    message = f"subheading {format_code(code)} is not in the {edition.label()}; nearest subheadings: {hints}"
    return _reason("warning", "hts.unknown-subheading", message, edition.citation())


def _units(hts: HtsLine) -> str:
    return f" (unit of quantity: {', '.join(hts.units)})" if hts.units else ""


def _citation(hts: HtsLine) -> str:
    return f"{hts.edition.citation()}, {hts.dotted}"


def _parse(text: str) -> DutyExpression:
    return parse_duty_expression(text, allow_special=False)


def _is_free(expr: DutyExpression) -> bool:
    return expr.is_ad_valorem_only and not expr.ad_valorem


def _reason(severity: str, rule: str, message: str, citation: str) -> Reason:
    return Reason(severity=severity, rule=rule, message=message, citation=citation)  # type: ignore[arg-type]


def covering_measures(pack: Pack, code: str, date: dt.date) -> list[Measure]:
    """The pack's measures in force on `date` whose code scope covers `code` (any origin, mode or document)."""
    digits = re.sub(r"\D", "", code)
    return [m for m in pack.measures if in_force(m.dates, date) and code_covers(m.scope.codes, digits, pack.lists)]
