"""Golden cases of a refund programme: `refunds/*.test.yaml` beside it, an entry (its lines and entry fields)
in, its status, rule, amounts and deadline out. Run by pytest and by `clearance rules test`.

    as_of: 2026-12-03                  # the day the entries are sorted on (and the law as of); per case too
    refund_cases:
      - name: liquidated 80 days before -> CAPE Phase 1
        entry: {entry_number: SYN-0000201-1, entry_type: "01", liquidation_status: Liquidated,
                liquidation_date: 2026-09-14, reconciliation_indicator: N}
        lines:
          - {hts_code: 8479.89.94, origin: JP, value: 100000, mfn_rate: 2.5%, entry_date: 2025-09-10,
             declared_duty: 15000}
        expect: {status: claim, rule: liquidated-80-days, phase: phase-1, refundable: "12500.00",
                 deadline: 2026-12-03, days_left: 0, checks: 0}
"""

from __future__ import annotations

import datetime as dt
import difflib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..authoring.golden import Outcome, load_cases
from ..packs.load import Pack, readable
from ..packs.walk import TEST_SUFFIX, kind_of, pack_files
from ..run.check import Checker
from .eligibility import Decision, decide
from .entries import Entry, entries_of, programme_of


class RefundExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    rule: str | None = None
    phase: str | None = None
    refundable: Decimal | None = None
    family_duty: Decimal | None = None
    other_duty: Decimal | None = None
    deadline: dt.date | None = None
    days_left: int | None = None
    checks: int | None = None  # how many things a person must still check
    entry_number: str | None = None  # as the declaration writes it


class RefundCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    as_of: dt.date | None = None
    entry: dict[str, object] = {}
    lines: list[dict[str, object]] = Field(min_length=1)
    expect: RefundExpect


class RefundCaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = None
    refund_cases: list[RefundCase] = Field(min_length=1)


def is_refund_cases(root: Path, path: Path) -> bool:
    return kind_of(path, path.relative_to(root).as_posix()) == "refund-cases"


def refund_case_files(root: Path) -> list[Path]:
    return [readable(f) for f in pack_files(root, f"*{TEST_SUFFIX}") if f.kind == "refund-cases"]


def views(expect: RefundExpect, entry: Entry, decision: Decision) -> tuple[list[str], list[str]]:
    got = {
        "status": decision.status,
        "rule": decision.rule,
        "phase": decision.phase,
        "refundable": entry.refundable if entry.amount_known else None,
        "family_duty": entry.family_duty if entry.amount_known else None,
        "other_duty": entry.other_duty if entry.amount_known else None,
        "deadline": decision.deadline,
        "days_left": decision.days_left,
        "checks": len(decision.checks),
        "entry_number": decision.entry_number,
    }
    exp, out = [], []
    for key, want in expect.model_dump(exclude_none=True).items():
        have = got[key]
        same = have == want
        exp.append(f"{key}: {want}")
        out.append(f"{key}: {want if same else have}")
    return exp, out


def run_refund_file(path: Path, packs: dict[str, Pack], today: dt.date | None = None) -> list[Outcome]:
    spec = load_cases(path, RefundCaseFile)
    outcomes = []
    for case in spec.refund_cases:
        as_of = case.as_of or spec.as_of or today or dt.date.today()
        found = programme_of(packs, as_of)
        if found is None:
            outcomes.append(Outcome(path, case, [f"no refund programme is known on {as_of}"], None))  # type: ignore[arg-type]
            continue
        jurisdiction, programme = found
        records = [{k: "" if v is None else str(v) for k, v in {**line, **case.entry}.items()} for line in case.lines]
        entries, _ = entries_of(Checker(packs, as_of).check(records), packs, programme, jurisdiction)
        problems = [f"the lines make {len(entries)} entries, not one"] if len(entries) != 1 else []
        if not problems:
            entry = next(iter(entries.values()))
            decision = decide(programme, entry, as_of)
            exp, got = views(case.expect, entry, decision)
            if exp != got:
                problems = list(difflib.unified_diff(exp, got, "expected", "got", lineterm="", n=len(exp)))
                problems += [f"reason: {decision.message}", *(f"check: {c}" for c in decision.checks)]
        outcomes.append(Outcome(path, case, problems, None))  # type: ignore[arg-type]
    return outcomes
