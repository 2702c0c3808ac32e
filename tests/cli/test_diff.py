"""`clearance diff`: per-line and total changes between two states of the law."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from clearance.cli.main import cli

from ..conftest import PACKS

CLEAN = PACKS / "lint-clean"
HEADER = "entry_number,line_number,hts_code,origin,value,entry_date,mfn_rate\n"
FABRIC = "E1,1,5208.11.40,JP,10000,2025-05-15,7.5%\n"
BEEF = "E1,2,0201.30.50,JP,100,2025-05-15,26.4%\n"
OTHER = "E1,3,5208.11.40,KR,10000,2025-05-15,7.5%\n"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["diff", *args], input=stdin)
    return result.exit_code, result.output


def entries(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return str(path)


def test_a_retroactive_correction_is_a_refund(tmp_path: Path) -> None:
    path = entries(tmp_path, FABRIC, BEEF, OTHER)
    code, out = run(path, "--rules", str(CLEAN), "--law-as-of", "2025-05-10", "--law-as-of", "2025-05-25")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[:2] == [f"A: law as of 2025-05-10, rules {CLEAN}", f"B: law as of 2025-05-25, rules {CLEAN}"]
    assert (
        f"{path}:1 (E1/1)  5208.11.40 JP entered 2025-05-15: 1750.00 -> 1500.00 USD (refund 250.00); "
        "verdict review -> accept" in lines  # under A the entry is after the law date (input.entry_date)
    )
    assert (
        "    - 9903.90.01  mini.extra.old  1000.00: excluded by mini.extra.new: Test Order 2 replaces the 10% "
        "with 15% all-in, from 2025-05-01" in lines
    )
    assert "    + 9903.90.02  mini.extra.new  750.00: applies under B" in lines
    assert "    responsible: mini.extra.new [Test Order 2 sec. 1]" in lines
    # beef: 26.4% MFN, nothing to top up (nil heading), so a 10.00 refund; KR: no extra duty either way
    assert any(x.startswith(f"{path}:2 (E1/2)") and "(refund 10.00)" in x for x in lines)
    assert "    + 9903.90.03  mini.extra.new  0.00: applies under B" in lines
    # KR: the same duty; only the verdict changes (review under A, whose law date is before the entry date)
    kr = f"{path}:3 (E1/3)  5208.11.40 KR entered 2025-05-15: 750.00 -> 750.00 USD (no change in duty); "
    assert kr + "verdict review -> accept" in lines
    assert lines[-2:] == ["3 of 3 line(s) changed", "USD: refunds 260.00, extra liability 0.00, net -260.00"]


def test_two_rules_folders_extra_liability_json(tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(CLEAN, changed)
    extra = changed / "extra.yaml"
    extra.write_text(extra.read_text(encoding="utf-8").replace("rate: 10%", "rate: 12%"), encoding="utf-8")
    path = entries(tmp_path, FABRIC, OTHER)
    code, out = run(
        path, "--rules", str(CLEAN), "--rules", str(changed), "--law-as-of", "2025-05-10", "--format", "json"
    )
    assert code == 0, out
    data = json.loads(out)
    assert (data["lines_checked"], data["lines_changed"]) == (2, 1)
    [line] = data["lines"]
    assert (line["total_a"], line["total_b"], line["delta"]) == ("1750.00", "1950.00", "200.00")
    assert line["changes"] == [
        {
            "change": "changed",
            "heading": "9903.90.01",
            "measure": "mini.extra.old",
            "before": "1000.00",
            "after": "1200.00",
            "why": "amount changed",
        }
    ]
    assert line["responsible"] == [{"measure": "mini.extra.old", "citation": "Test Order 1 sec. 2"}]
    assert data["totals"] == {"USD": {"refunds": "0.00", "extra_liability": "200.00", "net": "200.00"}}


def test_exit_code_and_standard_input() -> None:
    same = ("--rules", str(CLEAN), "--law-as-of", "2025-05-25", "--law-as-of", "2025-05-25", "--exit-code")
    code, out = run("-", *same, stdin=HEADER + FABRIC)
    assert code == 0 and "0 of 1 line(s) changed" in out
    code, out = run(
        "-",
        "--rules",
        str(CLEAN),
        "--law-as-of",
        "2025-05-10",
        "--law-as-of",
        "2025-05-25",
        "--exit-code",
        stdin=HEADER + FABRIC,
    )
    assert code == 1 and "1 of 1 line(s) changed" in out


def test_usage_errors(tmp_path: Path) -> None:
    path = entries(tmp_path, FABRIC)
    code, out = run(path, "--law-as-of", "2025-05-10")
    assert code == 2 and "give two states" in out
    code, out = run(path, "--law-as-of", "2025-05-10", "--law-as-of", "2025-13-01")
    assert code == 2 and "is not a date" in out
    code, out = run(str(tmp_path / "missing.csv"), "--law-as-of", "2025-05-10", "--law-as-of", "2025-05-25")
    assert code == 2 and "missing.csv" in out


def test_worked_example_japan_correction() -> None:
    """The README example: EO 14345 (2025-09-04) replaced the +15% additive retroactively from 2025-08-07."""
    fabric = "hts_code,origin,value,entry_date,mfn_rate\n5208.11.40,JP,10000,2025-08-20,7.5%\n"
    code, out = run("-", "--law-as-of", "2025-09-01", "--law-as-of", "2025-09-05", stdin=fabric)
    assert code == 0, out
    lines = out.splitlines()
    assert (
        "-:1  5208.11.40 JP entered 2025-08-20: 2250.00 -> 1500.00 USD (refund 750.00); verdict accept "
        "(unchanged)" in lines
    )
    assert any(
        x.startswith(
            "    - 9903.02.30  us.ieepa.reciprocal.jp.additive  1500.00: excluded by us.ieepa.reciprocal.jp.all-in"
        )
        for x in lines
    )
    assert "    + 9903.02.73  us.ieepa.reciprocal.jp.all-in  750.00: applies under B" in lines
    assert any(x.startswith("    responsible: us.ieepa.reciprocal.jp.all-in [EO 14345") for x in lines)
    assert lines[-1] == "USD: refunds 750.00, extra liability 0.00, net -750.00"
