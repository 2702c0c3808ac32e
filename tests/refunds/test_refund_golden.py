"""The golden cases of every refund programme (`rules/*/refunds/*.test.yaml`), and that they can fail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.authoring.golden import case_files
from clearance.engine.authoring.golden_report import golden_test
from clearance.engine.refunds.golden import refund_case_files, run_refund_file

from ..conftest import TODAY

FILES = refund_case_files(BUNDLED_RULES)
PACKS = load_rules(BUNDLED_RULES)


def test_there_are_refund_cases_and_line_cases_leave_them_out() -> None:
    assert FILES
    assert not set(FILES) & set(case_files(BUNDLED_RULES))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(BUNDLED_RULES)))
def test_refund_golden_file(path: Path) -> None:
    failures = [o for o in run_refund_file(path, PACKS, TODAY) if not o.ok]
    assert not failures, "\n".join(f"{o.case.name}:\n    " + "\n    ".join(o.problems) for o in failures)


def test_a_wrong_expectation_fails_with_a_diff(tmp_path: Path) -> None:
    pack = tmp_path / "us"
    (pack / "refunds").mkdir(parents=True)
    (pack / "pack.yaml").write_text((BUNDLED_RULES / "us" / "pack.yaml").read_text())
    case = (BUNDLED_RULES / "us" / "refunds" / "ieepa-cape.test.yaml").read_text()
    wrong = case.replace("deadline: 2027-03-12, days_left: 99", "deadline: 2027-03-12, days_left: 98")
    assert wrong != case
    path = pack / "refunds" / "x.test.yaml"
    path.write_text(wrong)
    failed = [o for o in run_refund_file(path, PACKS, TODAY) if not o.ok]
    assert [o.case.name for o in failed] == ["liquidated 81 days before -> outside CAPE, protest within 180 days"]
    assert "-days_left: 98" in failed[0].problems and "+days_left: 99" in failed[0].problems


def test_rules_test_runs_the_refund_cases() -> None:
    outcomes = golden_test(BUNDLED_RULES / "us" / "refunds" / "ieepa-cape.test.yaml", dt.date(2026, 12, 3))
    assert len(outcomes) >= 30 and all(o.ok for o in outcomes)
