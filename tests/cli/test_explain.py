"""`clearance explain`: the per-part trace (matched by durable-rules), stacking and duty arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli

from ..conftest import PACKS

CLEAN = str(PACKS / "lint-clean")
STEEL = ("--hts-code", "7208.10.15", "--origin", "JP", "--value", "10000", "--mfn-rate", "Free")
FABRIC = ("--hts-code", "5208.11.40", "--origin", "JP", "--value", "10000", "--mfn-rate", "7.5%")


def explain(*args: str, rules: str | None = CLEAN) -> tuple[int, str]:
    extra = ["--rules", rules] if rules else []
    result = CliRunner().invoke(cli, ["explain", *args, *extra])
    return result.exit_code, result.output


def test_steel_partial_basis_and_all_in_arithmetic() -> None:
    code, out = explain(*STEEL, "-c", "steel_value=4000", "--entry-date", "2025-06-15", "--law-as-of", "2025-12-31")
    assert code == 0, out
    lines = [x.strip() for x in out.splitlines()]
    assert "+ mini.metal: applied" in lines
    assert "codes: yes: code in list metal (2 prefixes) (line: 72081015)" in lines
    assert (
        "x mini.extra.old: excluded (excluded by mini.extra.new: Test Order 2 replaces the 10% with 15% all-in, from "
        "2025-05-01)" in lines
    )
    assert (
        "+ mini.extra.new: reduced (4000 of its basis excluded by mini.metal: the metal content pays the metal "
        "duty, not the extra duty)" in lines
    )
    assert "mini.metal excludes mini.extra.new on its basis (when applies): took effect" in lines
    duties = out.split("\nDuties\n")[1].split("\n\n")[0]
    assert "basis: steel_value = 4000\n      25% × 4000 = 1000.00\n" in duties
    assert "basis: value 10000 − 4000 (mini.metal) = 6000" in duties
    assert "MFN ad valorem equivalent: 0 / 10000 = 0%" in duties
    assert "top-up to 15% all-in: 15% − 0% = 15%\n      15% × 6000 = 900.00\n" in duties
    assert "0% × 4000 = 0.00" in duties  # the metal content reported under 9903.90.11
    assert "Total duty 1900.00 USD; verdict accept" in out


def test_in_transit_part_and_an_exclusion_without_effect() -> None:
    code, out = explain(
        *FABRIC,
        "--entry-date",
        "2025-05-15",
        "--loaded-date",
        "2025-04-20",
        "--transport-mode",
        "vessel",
        "--law-as-of",
        "2025-12-31",
    )
    assert code == 0, out
    lines = [x.strip() for x in out.splitlines()]
    assert "+ mini.in-transit: applied" in lines
    assert "in-transit: yes: loaded before 2025-05-01 by vessel (line: loaded 2025-04-20, vessel)" in lines
    assert (
        "mini.extra.new excludes mini.extra.old wholly (when applies): no effect: mini.extra.new is itself "
        "excluded by mini.in-transit" in lines
    )
    assert "+ mini.extra.old: applied" in lines
    assert "Total duty 1750.00 USD; verdict accept" in out
    code, out = explain(
        *FABRIC,
        "--entry-date",
        "2025-05-15",
        "--loaded-date",
        "2025-04-20",
        "--transport-mode",
        "air",
        "--law-as-of",
        "2025-12-31",
    )
    assert "in-transit: no:" not in out and "measure(s) not matched (-v shows each" in out  # unmatched: only -v
    _, out = explain(
        *FABRIC, "--entry-date", "2025-05-15", "--loaded-date", "2025-04-20", "--transport-mode", "air", "-v"
    )
    assert "in-transit: no: loaded before 2025-05-01 by vessel (line: loaded 2025-04-20, air)" in out


def test_conditions_met_and_unmet() -> None:
    beef = (
        "--hts-code",
        "0201.30.50",
        "--origin",
        "JP",
        "--value",
        "100",
        "--mfn-rate",
        "26.4%",
        "--entry-date",
        "2025-06-15",
    )
    code, out = explain(*beef)
    assert code == 0
    assert (
        "condition cert: UNMET: document CERT, else reject: beef needs a test certificate (line documents: none)" in out
    )
    assert "verdict reject" in out
    _, out = explain(*beef, "-c", "documents=CERT")
    assert "condition cert: met: document CERT" in out and "verdict accept" in out


def test_measures_not_yet_published() -> None:
    code, out = explain(*FABRIC, "--entry-date", "2025-05-15", "--law-as-of", "2025-05-10")
    assert code == 0
    assert "- published after 2025-05-10, so not in force under that law: mini.extra.new, mini.in-transit" in out
    assert "Total duty 1750.00 USD" in out
    _, out = explain(*FABRIC, "--entry-date", "2025-05-15", "--law-as-of", "2025-05-10", "--verbose")
    assert "  - mini.extra.new: not in force (published 2025-05-20, after the law as of)" in out


@pytest.mark.parametrize(
    "line",
    [
        {"hts_code": "5208.11.40", "origin": "JP", "value": "10000", "mfn_rate": "7.5%", "entry_date": "2025-05-15"},
        {
            "hts_code": "7208.10.15",
            "origin": "KR",
            "value": "900",
            "steel_value": "300",
            "mfn_rate": "Free",
            "entry_date": "2025-06-15",
        },
        {
            "hts_code": "7209.15.00",
            "origin": "JP",
            "value": "900",
            "mfn_rate": "2%",
            "entry_date": "2025-06-15",
            "loaded_date": "2025-04-01",
            "transport_mode": "vessel",
        },
        {"hts_code": "0201.30.50", "origin": "JP", "value": "100", "mfn_rate": "26.4%", "entry_date": "2025-01-15"},
    ],
)
def test_parts_agree_with_the_matcher_and_arithmetic_reproduces(line: dict) -> None:
    options = [x for k, v in line.items() for x in ("-c", f"{k}={v}")]
    code, out = explain(*options, "--law-as-of", "2025-12-31", "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    for m in data["measures"]:
        scoped = all(p["matched"] for p in m["parts"] if not p["part"].startswith("condition "))
        assert m["applies"] == (m["in_force"] and scoped), m
    assert data["duties"] and all(d["reproduced"] for d in data["duties"])
    assert {d["heading"] for d in data["duties"]} == {d["heading"] for d in data["result"]["duties"]}


def test_explain_a_row_of_a_file(tmp_path: Path) -> None:
    entries = tmp_path / "entries.csv"
    entries.write_text(
        "entry_number,line_number,hts_code,origin,value,entry_date,mfn_rate\n"
        "E1,1,5208.11.40,JP,10000,2025-05-15,7.5%\n"
        "E1,2,7208.10.15,JP,not-a-number,2025-05-15,Free\n",
        encoding="utf-8",
    )
    code, out = explain(str(entries), "--row", "1", "--law-as-of", "2025-12-31")
    assert code == 0 and out.startswith("Row 1: 5208.11.40 from JP to US, value 10000, entered 2025-05-15")
    assert out.index("Total duty") < out.index("Duties") < out.index("Reasons") < out.index("Measures")
    code, out = explain(str(entries), "--row", "2")
    assert code == 0
    assert "input problem: value: 'not-a-number' is not a number" in out and "verdict invalid" in out
    assert explain(str(entries), "--entry", "E1/2") == (code, out)  # the line by its entry and line number
    assert explain(str(entries), "--entry", "E1")[1].startswith("Row 1: ")  # the entry's first line
    code, out = explain(str(entries), "--entry", "E9")
    assert code == 2 and "no line with entry E9" in out
    code, out = explain(str(entries), "--row", "3")
    assert code == 2 and "no row 3 (the input has 2 line(s))" in out


def test_usage_errors() -> None:
    code, out = explain()
    assert code == 2 and "give FILE and --row N" in out
    code, out = explain("entries.csv", "--hts-code", "5208.11.40")
    assert code == 2 and "not both" in out
    code, out = explain("no-such-file.csv", "--row", "1")
    assert code == 2 and "no-such-file.csv" in out
    code, out = explain("entries.csv")
    assert code == 2 and "--row N or --entry ENTRY[/LINE]" in out
    code, out = explain("entries.csv", "--row", "1", "--entry", "E1")
    assert code == 2 and "--row N or --entry ENTRY[/LINE]" in out


def test_shipped_worked_example_fabric_under_eo_14345() -> None:
    # the US pack has parts that compile to a lone `$nex` (exclude_origins: [area:...]): durable-rules would hang
    code, out = explain(*FABRIC, "--entry-date", "2025-08-20", "--law-as-of", "2025-09-05", rules=None)
    assert code == 0, out
    lines = [x.strip() for x in out.splitlines()]
    assert any(
        x.startswith("x us.ieepa.reciprocal.jp.additive: excluded (excluded by us.ieepa.reciprocal.jp.all-in")
        for x in lines
    )
    assert "MFN ad valorem equivalent: 750.000 / 10000 = 7.5%" in lines
    assert "top-up to 15% all-in: 15% − 7.5% = 7.5%" in lines
    assert "Total duty 1500.00 USD; verdict accept" in lines
