from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clearance.engine import BUNDLED_RULES, load_rules

from .helpers import make_rules

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PACKS = ROOT / "tests" / "fixtures" / "packs"  # the fixture rule packs
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def packs():
    return load_rules(BUNDLED_RULES)


@pytest.fixture(autouse=True)
def _run_database_in_tmp(tmp_path_factory, monkeypatch) -> None:
    """A test that runs `clearance check` without --db writes to a temporary database, never to the work tree."""
    monkeypatch.setenv("CLEARANCE_DB", str(tmp_path_factory.mktemp("db") / "clearance.db"))


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mixed test packs of `helpers.MIXED_PACKS`, written once per module."""
    return make_rules(tmp_path_factory.mktemp("packs"))
