"""The HTML run report: its figures against the run database (summed here independently, in Python Decimals),
the calculation tables, escaping, no network at view time, and `clearance report` / `check --report`."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.report import html_report
from clearance.engine.report.calculation import calculation
from clearance.engine.report.result import DutyLine, Reason, Result
from clearance.engine.report.run_queries import RunFigures, decimal_text

from .conftest import StoredRun


def invoke(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def stored(run: StoredRun) -> list[dict]:
    with sqlite3.connect(run.db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM results WHERE run_id = ?", [run.run_id])]


@pytest.fixture(scope="module")
def figures(stored_run: StoredRun) -> RunFigures:
    return RunFigures(sqlite_utils.Database(stored_run.db), stored_run.run_id)


@pytest.fixture(scope="module")
def page(figures: RunFigures) -> str:
    return html_report.report(figures, lines=40)


def test_totals_and_counts_are_the_databases(stored_run: StoredRun, figures: RunFigures, page: str) -> None:
    rows = stored(stored_run)
    counts = Counter(r["verdict"] for r in rows)
    assert figures.counts() == {v: counts[v] for v in ("accept", "review", "reject", "invalid")}
    duty: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r["total_duty"] is not None:
            duty[r["currency"]] += Decimal(r["total_duty"])
    digits = figures.digits
    for cur, amount in duty.items():
        minor = int(amount.scaleb(digits[cur]))
        assert f'data-total="duty" data-currency="{cur}">{decimal_text(minor, digits[cur])}<' in page
    assert f'data-count="lines">{len(rows):,}<' in page


def test_charges_by_family_heading_and_month_add_up_to_every_charge_line(
    stored_run: StoredRun, figures: RunFigures
) -> None:
    by_measure: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    months: dict[str, Decimal] = defaultdict(Decimal)
    for r in stored(stored_run):
        for kind, column in (("duty", "duties"), ("tax", "taxes"), ("fee", "fees")):
            for d in json.loads(r[column]):
                by_measure[(kind, r["currency"])] += Decimal(d["amount"])
                if kind == "duty":
                    months[f"{r['entry_date'][:7]} {r['currency']}"] += Decimal(d["amount"])
    page = html_report.page(figures, lines=5)
    for g in page["by_family"]:
        total = sum(r.value for r in g["rows"])
        assert Decimal(total).scaleb(-figures.digits[g["currency"]]) == by_measure[(g["charge"], g["currency"])]
    for m in page["by_month"]:
        for month, text, _ in m["rows"]:
            assert Decimal(text.replace(",", "")) == months[f"{month} {m['currency']}"]
    assert len({m for m in months if m.endswith("USD")}) > 12  # 2025-2026: the tariff changes show month by month
    headings = {r.label for g in page["by_heading"] if g["currency"] == "USD" for r in g["rows"]}
    assert headings and all(h.startswith("99") for h in headings)  # not the lines' own codes: Chapter 99


def test_declared_against_computed_matches_the_lines_reasons(stored_run: StoredRun, figures: RunFigures) -> None:
    want: dict[str, Decimal] = defaultdict(Decimal)
    for r in stored(stored_run):
        for reason in json.loads(r["reasons"]):
            if reason["rule"] == "declared.duty":
                numbers = re.findall(r"declared ([0-9.]+), computed ([0-9.]+)", reason["message"])[0]
                declared, computed = map(Decimal, numbers)
                want[("under" if declared < computed else "over") + r["currency"]] += abs(declared - computed)
    got = {d.kind + d.currency: Decimal(d.minor).scaleb(-figures.digits[d.currency]) for d in figures.declared()}
    assert got == want and want


def test_listed_lines_are_the_largest_of_each_verdict_and_the_rest_are_counted(page: str, figures: RunFigures) -> None:
    listed = Counter(r.verdict for _, r in figures.flagged(40))
    counts = figures.counts()
    assert all(listed[v] == min(40, counts[v]) for v in ("review", "reject", "invalid"))
    assert f"{counts['review'] - 40:,} more review lines" in page
    assert f"clearance runs export {figures.run_id}" in page
    reviews = [r for _, r in figures.flagged(40) if r.verdict == "review"]
    assert [r.total_duty for r in reviews] == sorted((r.total_duty for r in reviews), reverse=True)


def test_page_is_self_contained_and_escapes_what_it_shows(page: str) -> None:
    assert "<b>E-99</b>" not in page and "&lt;b&gt;E-99&lt;/b&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched at view time
    assert "@import" not in page and "url(http" not in page
    assert page.count('<svg class="chart"') >= 5 and page.count("<title id=") == page.count('<svg class="chart"')
    assert "@media print" in page


def test_calculation_table_cites_each_charge_and_shows_the_rounding_of_the_total() -> None:
    tax = [
        DutyLine(
            measure="t.national",
            heading="1006.30.000",
            rate="6.24%",
            basis="value + duty",
            basis_value=Decimal(10818000),
            amount=Decimal(675000),
        ),
        DutyLine(
            measure="t.local",
            heading="1006.30.000",
            rate="22/78",
            basis="t.national",
            basis_value=Decimal(675000),
            amount=Decimal(190384),
        ),
    ]
    reasons = [
        Reason(
            severity="info",
            rule="t.national",
            message="national: 6.24% on value + duty 10818000 = 675000",
            citation="Consumption Tax Act art. 29",
        ),
        Reason(
            severity="info",
            rule="t.local",
            message="local: 22/78 on t.national 675000 = 190384",
            citation="Local Tax Act art. 72-83",
        ),
        Reason(severity="warning", rule="t.unconfirmed", message="rate unconfirmed", citation="addendum A1"),
    ]
    result = Result(
        row=3,
        verdict="review",
        total_duty=Decimal(0),
        currency="JPY",
        taxes=tax,
        total_taxes=Decimal(865300),
        reasons=reasons,
    )
    steps = {s.data: s for s in calculation(result)}
    assert steps["1006.30.000 t.national"].calculation == "6.24% × value + duty 10,818,000"
    assert steps["1006.30.000 t.national"].citation == "Consumption Tax Act art. 29"
    assert steps["1006.30.000 t.local"].citation == "Local Tax Act art. 72-83"
    assert steps["total taxes"].calculation == "675,000 + 190,384 = 865,384, rounded to 865,300"
    assert steps["total taxes"].value == "865,300 JPY"
    assert steps["t.unconfirmed"].citation == "addendum A1" and steps["t.unconfirmed"].kind == "warning"


def test_report_command_writes_the_page_and_check_report_too(stored_run: StoredRun, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = invoke("report", stored_run.run_id, "--db", stored_run.db, "-o", out, "--lines", 3)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    db, page = tmp_path / "runs.db", tmp_path / "check.html"
    result = invoke(
        "check",
        stored_run.entries,
        "--db",
        db,
        "--format",
        "none",
        "-q",
        "--workers",
        1,
        "--law-as-of",
        "2026-11-25",
        "--report",
        page,
    )
    assert result.exit_code == 1, result.stderr  # the run's own exit code
    assert "Customs check: run 1" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "7", "--db", "{db}"], "no run 7"),
        (["report", "1", "--db", "{missing}"], "no run database"),
        (["report", "1", "--db", "{db}", "-o", "{db}"], "is an input of this command"),
        (["check", "{entries}", "--no-db", "--report", "{out}"], "--report needs the run database"),
    ],
)
def test_report_problems_are_one_line_and_exit_2(
    stored_run: StoredRun, tmp_path: Path, args: list[str], message: str
) -> None:
    names = {
        "db": stored_run.db,
        "missing": tmp_path / "none.db",
        "entries": stored_run.entries,
        "out": tmp_path / "r.html",
    }
    result = invoke(*(a.format(**names) for a in args))
    assert result.exit_code == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
