"""`clearance refunds`: entries sorted by the IEEPA refund programme, CAPE declarations of at most 9,999
entries, the summary of what went in and what was left out, the run store, and clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli

AS_OF = "2026-12-03"
HEADER = (
    "entry_number,line_number,hts_code,origin,value,mfn_rate,entry_date,declared_duty,entry_type,"
    "liquidation_status,liquidation_date,reconciliation_indicator,protest_number,protest_status,steel_value"
)
LINES = [  # entry, line, code, origin, value, MFN, entered, deposited, type, liquidation, date, recon, protest, steel
    "SYN-0000301-1,1,8479.89.94,JP,100000,2.5%,2025-09-10,15000,01,Unliquidated,,N,,,",
    "SYN-0000301-1,2,8450.11.00,JP,10000,1%,2025-07-01,2700,01,Unliquidated,,N,,,4000",
    "SYN-0000302-9,1,8479.89.94,JP,100000,2.5%,2025-09-10,15000,01,Liquidated,2026-09-13,N,,,",
    "SYN-0000303-7,1,8479.89.94,JP,100000,2.5%,2025-09-10,15000,09,Unliquidated,,N,,,",
    "SYN-0000304-5,1,8479.89.94,JP,100000,2.5%,2026-02-24,12500,01,Unliquidated,,N,,,",
    "SYN-0000305-2,1,8479.89.94,JP,100000,2.5%,2025-05-20,12500,01,Liquidated,2026-09-14,N,,,",
    "SYN00003052,1,8479.89.94,JP,100000,2.5%,2025-05-20,12500,01,Liquidated,2026-09-14,N,,,",
    "SYN-0000306-0,1,8479.89.94,JP,100000,2.5%,2025-05-20,12500,01,Liquidated,2026-10-01,N,P-1,Open,",
]


@pytest.fixture(autouse=True)
def no_default_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLEARANCE_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def invoke(*args: object, code: int) -> object:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


def _file(tmp_path: Path, lines: list[str], name: str = "entries.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_entries_sorted_declared_and_summarised(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("refunds", _file(tmp_path, LINES), "--as-of", AS_OF, "--db", tmp_path / "r.db", "-o", out, code=0)
    assert "claim             2 entries  23,100.00 USD" in result.stdout  # 12,500 + 600 (232 stacked) + 10,000
    assert "declaration cape-declaration-1.csv: 2 entries, 23,100.00 refundable" in result.stdout
    with (out / "cape-declaration-1.csv").open(newline="") as fh:
        assert list(csv.reader(fh)) == [["Entry Number"], ["SYN00003011"], ["SYN00003052"]]
    summary = json.loads((out / "refunds-summary.json").read_text())
    assert summary["totals"]["claim"] == {"entries": 2, "refundable": {"USD": "23100.00"}}
    assert [d["file"] for d in summary["declarations"]] == ["cape-declaration-1.csv"]
    left = {r["entry_number"]: (r["status"], r["rule"]) for r in summary["left_out"]}
    assert left == {
        "SYN-0000302-9": ("protest", "protest-window"),
        "SYN-0000303-7": ("excluded", "type-09"),
        "SYN-0000304-5": ("none", "nothing-paid"),
        "SYN00003052": ("review", "declared-twice"),  # the same entry spelt without hyphens
        "SYN-0000306-0": ("excluded", "protest-open"),
    }
    protest = next(r for r in summary["left_out"] if r["status"] == "protest")
    assert (protest["deadline"], protest["days_left"], protest["refundable"]) == ("2027-03-12", "99", "12500.00")
    with (out / "refunds-summary.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7 and rows[0]["declaration"] == "cape-declaration-1.csv" and rows[0]["lines"] == "2"
    shown = invoke("runs", "show", "1", "--db", tmp_path / "r.db", code=0).stdout
    assert "refunds by status" in shown and "claim             2 entries          23,100.00 USD" in shown
    invoke("report", "1", "--db", tmp_path / "r.db", "-o", tmp_path / "run.html", code=0)
    page = (tmp_path / "run.html").read_text()
    assert 'data-refund="claim" data-currency="USD">23,100.00</td>' in page
    assert 'data-refund="protest" data-currency="USD">12,500.00</td>' in page


def test_ten_thousand_entries_give_two_cape_files(tmp_path: Path) -> None:
    lines = [
        f"SYN-{n:07d}-{n % 10},1,8479.89.94,JP,{1000 + n % 7},2.5%,2025-09-{10 + n % 9},{150 + n % 7},01,"
        "Unliquidated,,N,,,"
        for n in range(10_000)
    ]
    out = tmp_path / "out"
    invoke("refunds", _file(tmp_path, lines), "--as-of", AS_OF, "--no-db", "-o", out, "--workers", 1, code=0)
    files = sorted(out.glob("cape-declaration-*.csv"))
    assert [f.name for f in files] == ["cape-declaration-1.csv", "cape-declaration-2.csv"]
    numbers = [row[0] for f in files for row in list(csv.reader(f.open(newline="")))[1:]]
    assert [len(list(csv.reader(f.open(newline="")))) - 1 for f in files] == [9_999, 1]
    assert len(set(numbers)) == 10_000 and all(len(n) == 11 for n in numbers)
    summary = json.loads((out / "refunds-summary.json").read_text())
    assert [d["entries"] for d in summary["declarations"]] == [9_999, 1] and summary["left_out"] == []


def test_without_output_the_entries_are_listed_and_an_unreadable_line_exits_1(tmp_path: Path) -> None:
    broken = "SYN-0000307-8,1,8479.89.94,JP,lots,2.5%,2025-09-10,15000,01,Unliquidated,,N,,,"
    result = invoke("refunds", _file(tmp_path, [LINES[0], broken]), "--as-of", AS_OF, "--no-db", code=1)
    assert "SYN-0000301-1    claim     phase-1" in result.stdout
    assert "SYN-0000307-8    review" in result.stdout and "could not be checked" in result.stdout
    assert "1 lines could not be read" in result.stdout


def test_before_the_ruling_there_is_no_programme(tmp_path: Path) -> None:
    result = invoke("refunds", _file(tmp_path, LINES), "--as-of", "2026-02-19", "--no-db", code=2)
    assert result.stderr.strip() == "Error: no refund programme is known under the law as of 2026-02-19"


def test_an_output_folder_that_is_a_file_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    folder = tmp_path / "taken" / "sub"
    result = invoke("refunds", _file(tmp_path, LINES), "--as-of", AS_OF, "--no-db", "-o", folder, code=2)
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_is_one_line_error(tmp_path: Path) -> None:
    result = invoke("refunds", tmp_path / "nope.csv", "--no-db", code=2)
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_runs_delete_and_prune_remove_a_refunds_run_with_its_refunds(tmp_path: Path) -> None:
    """The refunds rows reference their run: deleting or pruning the run deletes them too (no foreign-key error)."""
    import sqlite3

    db = tmp_path / "runs.db"
    entries = _file(tmp_path, LINES[:2])
    for _ in range(3):
        invoke("refunds", entries, "--as-of", AS_OF, "--db", db, "--workers", 1, code=0)
    invoke("check", entries, "--db", db, "--format", "none", "--workers", 1, code=0)

    def refund_runs() -> list[int]:
        with sqlite3.connect(db) as conn:
            return [r for (r,) in conn.execute("SELECT DISTINCT run_id FROM refunds ORDER BY run_id")]

    assert refund_runs() == [1, 2, 3]
    invoke("runs", "delete", 2, "--db", db, code=0)
    assert refund_runs() == [1, 3]
    assert "refunds by status" not in invoke("runs", "show", 4, "--db", db, code=0).stdout.lower()
    invoke("runs", "prune", "--keep", 1, "--db", db, code=0)
    assert refund_runs() == []
    listed = invoke("runs", "list", "--db", db, "--format", "json", code=0).stdout
    assert [r["id"] for r in json.loads(listed)] == [4]


def test_interest_is_a_review_note_never_a_number(tmp_path: Path) -> None:
    """CBP pays interest, but its accrual and rate are unconfirmed (law-2026-update A4): each entry with a refund
    says `review: not computed`, the summary carries the programme's reason and citations, the listing says it once."""
    out = tmp_path / "out"
    result = invoke("refunds", _file(tmp_path, LINES), "--as-of", AS_OF, "--no-db", "-o", out, code=0)
    assert "interest: not computed (unconfirmed): CBP pays CAPE refunds with interest" in result.stdout
    with (out / "refunds-summary.csv").open(newline="") as fh:
        interest = {r["entry_number"]: r["interest"] for r in csv.DictReader(fh)}
    assert interest["SYN-0000301-1"] == interest["SYN-0000302-9"] == "review: not computed (unconfirmed)"
    assert interest["SYN-0000304-5"] == ""  # nothing refundable: no interest either
    programme = json.loads((out / "refunds-summary.json").read_text())["programme"]
    assert (
        programme["interest"]["status"] == "unconfirmed" and "19 U.S.C. 1505(c)" in programme["interest"]["citations"]
    )


def test_an_interest_rate_in_the_programme_is_refused_until_the_engine_computes_one(tmp_path: Path) -> None:
    import shutil

    from clearance.engine import BUNDLED_RULES

    rules = tmp_path / "rules"
    shutil.copytree(Path(BUNDLED_RULES) / "us", rules / "us")
    programme = rules / "us" / "refunds" / "ieepa-cape.yaml"
    text = programme.read_text(encoding="utf-8").replace("    status: unconfirmed\n", "    status: confirmed\n")
    programme.write_text(text, encoding="utf-8")
    result = invoke("refunds", _file(tmp_path, LINES), "--as-of", AS_OF, "--no-db", "--rules", rules, code=2)
    assert "interest" in result.stderr and len(result.stderr.strip().splitlines()) == 1
