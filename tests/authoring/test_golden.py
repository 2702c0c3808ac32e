"""Every golden case that lives beside the rule packs (`rules/**/*.test.yaml`)."""

from __future__ import annotations

import pytest

from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.authoring.golden import case_files, run_file

from ..conftest import TODAY

FILES = case_files(BUNDLED_RULES)
PACKS = load_rules(BUNDLED_RULES)


def test_there_are_golden_cases() -> None:
    assert len(FILES) >= 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(BUNDLED_RULES)))
def test_golden_file(path) -> None:
    failures = [o for o in run_file(path, PACKS, TODAY) if not o.ok]
    assert not failures, "\n".join(f"{o.case.name}:\n    " + "\n    ".join(o.problems) for o in failures)
