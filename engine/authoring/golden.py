"""Golden cases: `*.test.yaml` files beside the rules they test (input line -> expected verdict,
headings, duties). Used by pytest and by `clearance rules test`.

    law_as_of: 2026-11-25          # default for the file's cases (else today)
    cases:
      - name: fabric entered 2025-08-20 pays 15% all-in
        law_as_of: 2025-09-01      # optional, per case
        line: {hts_code: 5208.11.40, origin: JP, value: 10000, entry_date: 2025-08-20, mfn_rate: 7.5%}
        expect:
          verdict: accept
          total_duty: "1500.00"
          headings: [5208.11.40, 9903.02.73]   # exactly these duty-line headings, any order
          duties: {9903.02.73: "750.00"}      # these headings with these amounts
          reasons: [declared.duty]            # these rule ids among the reasons
          excluded: [us.ieepa.reciprocal.jp.additive]
          total_taxes: "60800"                # also total_fees; taxes / fees: {measure id: amount}
      - name: an entry of two lines shares the fee's minimum   # `lines`: checked together, in order,
        lines:                                                 # one `expect` per line
          - {entry_number: E1, hts_code: 8479.89.94, origin: JP, value: 1000, entry_date: 2026-08-03}
          - {entry_number: E1, hts_code: 8479.89.94, origin: JP, value: 3000, entry_date: 2026-08-03}
        expect:
          - {fees: {us.fee.mpf.fy2026: "8.40"}}
          - {fees: {us.fee.mpf.fy2026: "25.18"}}
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..packs.load import Pack, PackError, PackLoader, readable
from ..packs.walk import TEST_SUFFIX, pack_files
from ..report.result import Result
from ..run.check import Checker


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: str | None = None
    total_duty: Decimal | None = None
    headings: list[str] | None = None
    duties: dict[str, Decimal] = {}
    reasons: list[str] = []
    no_reasons: list[str] = []
    excluded: list[str] = []
    total_taxes: Decimal | None = None
    total_fees: Decimal | None = None
    taxes: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}


def charge_checks(expect: Expect, r: Result) -> list[tuple[str, str, bool]]:
    """(expected, got, equal) for the taxes and fees a case names: totals, and amounts by measure id."""
    out = []
    for name in ("total_taxes", "total_fees"):
        want, got = getattr(expect, name), getattr(r, name)
        if want is not None:
            out.append((f"{name}: {want}", f"{name}: {got}", got == want))
    for kind in ("taxes", "fees"):
        amounts = {d.measure: d.amount for d in getattr(r, kind)}
        for measure, want in sorted(getattr(expect, kind).items()):
            got = amounts.get(measure)
            shown = "none" if got is None else got
            out.append((f"{kind} {measure}: {want}", f"{kind} {measure}: {shown}", got == want))
    return out


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    law_as_of: dt.date | None = None
    destination: str | None = None
    line: dict[str, object] | None = None
    lines: list[dict[str, object]] | None = None  # an entry's lines, checked together (what is per entry)
    expect: Expect | list[Expect]

    @model_validator(mode="after")
    def _one_expect_per_line(self) -> Case:
        if (self.line is None) == (self.lines is None):
            raise ValueError("a case has either `line` or `lines`")
        expects = self.expect if isinstance(self.expect, list) else [self.expect]
        if len(expects) != len(self.lines or [self.line]):
            raise ValueError("a case has one `expect` per line (a list for `lines`)")
        return self

    def expects(self) -> list[Expect]:
        return self.expect if isinstance(self.expect, list) else [self.expect]

    def records(self) -> list[dict[str, str]]:
        """The case's lines as input records (every value as text, as a file gives it)."""
        return [{k: "" if v is None else str(v) for k, v in line.items()} for line in self.lines or [self.line]]


Cases = TypeVar("Cases", bound=BaseModel)


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    law_as_of: dt.date | None = None
    destination: str | None = None
    cases: list[Case] = Field(min_length=1)


@dataclass
class Outcome:
    file: Path
    case: Case
    problems: list[str]
    result: Result | None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def id(self) -> str:
        return f"{self.file.name}::{self.case.name}"


class _TextLoader(PackLoader):
    """Safe YAML where every scalar but null stays text: `0101210000` is a code, not an octal number, and
    `no` is a unit, not False. The models turn text into dates and decimals where they expect them."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in PackLoader.yaml_implicit_resolvers.items()
}


def read_cases(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_TextLoader)  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackError(f"{path}: cannot read golden cases: {str(exc).splitlines()[0]}") from exc


def load_cases(path: Path, model: type[Cases] = CaseFile) -> Cases:  # type: ignore[assignment]
    """A golden-case file as `model` (line cases; refund cases are `refunds.golden.RefundCaseFile`)."""
    try:
        return model.model_validate(read_cases(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PackError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


def case_files(root: Path) -> list[Path]:
    """The line cases under `root` (a refund programme's cases, in `refunds/`, are entries: refunds/golden.py)."""
    return [readable(f) for f in pack_files(root, f"*{TEST_SUFFIX}") if f.kind == "cases"]


def _same(expected: Decimal, got: Decimal | None) -> str:
    """The got amount, written as the case wrote it when they are equal (1500 and 1500.00)."""
    return str(expected) if got is not None and got == expected else str(got if got is not None else "none")


def views(expect: Expect, r: Result) -> tuple[list[str], list[str]]:
    """What the case expects and what the engine gave, line for line, over the keys the case names."""
    exp: list[str] = []
    got: list[str] = []

    def pair(e: str, g: str) -> None:
        exp.append(e)
        got.append(g)

    if expect.verdict is not None:
        pair(f"verdict: {expect.verdict}", f"verdict: {r.verdict}")
    if expect.total_duty is not None:
        pair(f"total_duty: {expect.total_duty}", f"total_duty: {_same(expect.total_duty, r.total_duty)}")
    if expect.headings is not None:
        exp += [f"heading: {h}" for h in sorted(expect.headings)]
        got += [f"heading: {h}" for h in sorted(d.heading for d in r.duties)]
    amounts = {d.heading: d.amount for d in r.duties}
    for heading, amount in sorted(expect.duties.items()):
        pair(f"duty {heading}: {amount}", f"duty {heading}: {_same(amount, amounts.get(heading))}")
    for want, have, ok in charge_checks(expect, r):
        pair(want, want if ok else have)
    rules = {x.rule for x in r.reasons}
    for rule in expect.reasons:
        pair(f"reason {rule}: present", f"reason {rule}: {'present' if rule in rules else 'absent'}")
    for rule in expect.no_reasons:
        pair(f"reason {rule}: absent", f"reason {rule}: {'present' if rule in rules else 'absent'}")
    excluded = {x.measure for x in r.excluded}
    for mid in expect.excluded:
        pair(f"excluded {mid}: yes", f"excluded {mid}: {'yes' if mid in excluded else 'no'}")
    return exp, got


def compare(expect: Expect, r: Result) -> list[str]:
    """How what the engine gave differs from what the case expects: a unified diff, expected -> got, over the
    keys the case names; empty when they agree."""
    exp, got = views(expect, r)
    if exp == got:
        return []
    return list(difflib.unified_diff(exp, got, "expected", "got", lineterm="", n=len(exp) + len(got)))


def run_file(path: Path, packs: dict[str, Pack], today: dt.date | None = None) -> list[Outcome]:
    spec = load_cases(path)
    checkers: dict[tuple, Checker] = {}
    outcomes = []
    for case in spec.cases:
        law = case.law_as_of or spec.law_as_of or today or dt.date.today()
        dest = case.destination or spec.destination
        checker = checkers.setdefault((law, dest), Checker(packs, law, dest))
        results = list(checker.check(case.records()))
        expects = case.expects()
        problems = []
        for n, (expect, result) in enumerate(zip(expects, results, strict=True), 1):
            diff = compare(expect, result)
            problems += [f"line {n}: {d}" for d in diff] if len(expects) > 1 and diff else diff
        outcomes.append(Outcome(path, case, problems, results[-1]))
    return outcomes
