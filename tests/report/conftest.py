"""A run of the bundled packs over a seeded, generated entry file (with a hostile line), recorded in a run database:
what the report tests render."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.generate import COLUMNS, entries
from clearance.cli.main import cli

HOSTILE = "<b>E-99</b>,1,US,8479899500,JP,100.00,USD,,,2025-13-45,,vessel,2.5%,,,,,,,,,\n"  # an invalid line, markup


@dataclass(frozen=True)
class StoredRun:
    db: Path
    run_id: int
    entries: Path


@pytest.fixture(scope="session")
def stored_run(tmp_path_factory: pytest.TempPathFactory, packs) -> StoredRun:
    folder = tmp_path_factory.mktemp("report-run")
    path = folder / "entries.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(entries(600, 11, packs))
        fh.write(HOSTILE)
    db = folder / "runs.db"
    args = ["check", str(path), "--db", str(db), "--law-as-of", "2026-11-25", "--format", "none", "-q"]
    result = CliRunner().invoke(cli, [*args, "--workers", "1"])
    assert result.exit_code == 1, (result.stdout, result.stderr)
    return StoredRun(db, 1, path)
