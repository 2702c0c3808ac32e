"""The charge sums the run store keeps as a run is written (`run_charges`): always those of the stored lines, summed
again in SQL (`store_sums.FILL`), through runs written batch by batch, a failed batch, a deleted run and the upgrade
of a schema-4 database; and the readers of them (`runs show`'s duty by measure, the report's charges)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.run.store import Store
from clearance.engine.run.store_sums import FILL, charges, own_code

from ..helpers import write_entries

LAW = "2026-11-25"


def kept(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM run_charges ORDER BY 1, 2, 3, 4, 5, 6").fetchall()


def summed(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT * FROM ({FILL}) ORDER BY 1, 2, 3, 4, 5, 6").fetchall()


@pytest.fixture(scope="module")
def two_runs(rules: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs of two files each, written in chunks of 40 lines by two workers."""
    folder = tmp_path_factory.mktemp("sums")
    files = [str(write_entries(folder / f"e{n}.csv", 150, seed=n)) for n in (5, 6)]
    db = folder / "runs.db"
    for _ in range(2):
        args = ["check", "--rules", str(rules), "--law-as-of", LAW, *files, "--db", str(db), "--format", "none"]
        result = CliRunner().invoke(cli, [*args, "--workers", "2", "--chunk-size", "40", "-q"])
        assert result.exit_code in (0, 1), result.stderr
    return db


def test_the_kept_sums_are_those_of_the_stored_lines(two_runs: Path) -> None:
    rows = kept(two_runs)
    assert rows == summed(two_runs) and {r[0] for r in rows} == {1, 2}
    headings = {r[4] for r in rows}
    assert "" in headings and len(headings) > 1  # charges under the line's own code ('') and under other headings
    with sqlite3.connect(two_runs) as conn:
        lines, amount = conn.execute("SELECT count(*), sum(amount) FROM line_duties").fetchone()
    assert (sum(r[6] for r in rows), sum(r[7] for r in rows)) == (lines, amount)


def test_a_deleted_run_takes_its_sums_and_an_upgrade_makes_them_again(two_runs: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    with sqlite3.connect(two_runs) as source, sqlite3.connect(db) as copy:  # the WAL's pages too
        source.backup(copy)
    result = CliRunner().invoke(cli, ["runs", "delete", "1", "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    rows = kept(db)
    assert rows == summed(db) and {r[0] for r in rows} == {2}
    with sqlite3.connect(db) as conn:  # as schema 4 left it: no sums
        conn.execute("DROP TABLE run_charges")
        conn.execute("UPDATE clearance_meta SET value = '4' WHERE key = 'schema_version'")
    store = Store(db)
    assert store._version() == "6" and kept(db) == rows


def test_charges_by_heading_other_than_the_lines_own_code(two_runs: Path) -> None:
    with sqlite3.connect(two_runs) as conn:
        rows = charges(conn, 1)
        by_line = conn.execute(
            "SELECT c.heading, count(*) FROM line_duties d JOIN lines l ON l.id = d.line_id "
            "JOIN duty_components c ON c.id = d.component_id "
            "WHERE l.run_id = 1 AND NOT l.hts_code LIKE replace(c.heading, '.', '') || '%' GROUP BY 1"
        ).fetchall()
    headings: dict[str, int] = {}
    for *_, heading, lines, _ in rows:
        if heading is not None:
            headings[heading] = headings.get(heading, 0) + lines
    assert headings == dict(by_line) and headings


@pytest.mark.parametrize(
    ("code", "heading", "own"),
    [
        ("8703230100", "8703.23.01", True),
        ("8703230100", "8703.23.01.00", True),
        ("8703230100", "9903.94.05", False),
        ("8703", "8703.23", False),
        ("abc123", "ABC.1", True),
        (None, "8703", False),
        ("8703", None, False),
    ],
)
def test_own_code_is_the_sql_like(code: str | None, heading: str | None, own: bool) -> None:
    assert own_code(code, heading) is own
    like = sqlite3.connect(":memory:").execute("SELECT ? LIKE replace(?, '.', '') || '%'", [code, heading])
    assert bool(like.fetchone()[0]) is own
