"""ACE ES-003 ("Entry Summary Line Tariff Details") read as one record per entry line: grouping, ordinal
order, Chapter 99 rows as declared headings, duty summed, entry fields passed through; the synthetic sample
in examples/ checked end to end against the HTSUS 2025 edition (golden)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.cli.main import cli
from clearance.engine.entries.es003 import us_date
from clearance.engine.entries.line import money
from clearance.engine.entries.readers import LINE, PROBLEM, read_records
from clearance.engine.reference import import_edition

from ..conftest import ROOT, SHARED

SAMPLE = ROOT / "examples" / "es003-sample.csv"
HTS_2025 = SHARED / "data" / "hts" / "hts_2025_basic_edition_csv.csv"
HEADER = (
    "Entry Summary Number,Entry Summary Line Number,Entry Type Code,Entry Date,Country of Origin Code,"
    "Tariff Ordinal Number,HTS Number - Full,Line Tariff Goods Value Amount,Line Tariff Duty Amount,"
    "Line Tariff Quantity (1),Line Tariff UOM (1) Code,Liquidation Status,Liquidation Date"
)


def report(tmp_path: Path, *rows: str, name: str = "es003.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_rows_of_a_line_become_one_record_in_ordinal_order(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        'E-1,1,01,08/20/2025,JP,3,5209.41.6040,"$10,000.00",$750.00,2400,M2,Liquidated,04/17/2026',
        'E-1,1,01,08/20/2025,JP,1,9903.02.30,$0.00,"$1,500.00",,X,Liquidated,04/17/2026',
        "E-1,1,01,08/20/2025,JP,2,9903.01.33,$0.00,$0.00,,X,Liquidated,04/17/2026",
        "E-1,2,01,08/20/2025,JP,1,8479.89.9599,$850.00,$21.25,1,NO,Liquidated,04/17/2026",
    )
    first, second = list(read_records(path))
    assert first["entry_number"] == "E-1" and first["line_number"] == "1"
    assert first["hts_code"] == "5209.41.6040" and first["value"] == "$10,000.00"
    assert first["declared_headings"] == "9903.02.30;9903.01.33"  # filed (ordinal) order, not file order
    assert first["declared_duty"] == "2250.00"  # every row's duty: the MFN row's and the Chapter 99 rows'
    assert first["declared_heading_duty"] == "9903.02.30=1500.00;9903.01.33=0.00;5209.41.6040=750.00"
    assert first["entry_date"] == "2025-08-20" and first["liquidation_date"] == "2026-04-17"
    assert first["entry_type"] == "01" and first["liquidation_status"] == "Liquidated"
    assert first["quantity"] == "2400" and first["unit"] == "M2"
    assert second["declared_headings"] == "" and second["declared_duty"] == "21.25"
    assert "ordinal" not in first and "duty" not in first  # row fields do not leak into `extra`


@pytest.mark.parametrize(
    ("rows", "column", "fragment"),
    [
        (["E-1,1,01,08/20/2025,JP,1,9903.02.30,$0.00,$10.00,,X,,"], "hts_code", "found: none"),
        (
            [
                "E-1,1,01,08/20/2025,JP,1,5209.41.6040,$1.00,$0.00,1,NO,,",
                "E-1,1,01,08/20/2025,JP,2,5209.42.0040,$1.00,$0.00,1,NO,,",
            ],
            "hts_code",
            "5209.41.6040, 5209.42.0040",
        ),
        (["E-1,1,01,08/20/2025,JP,first,5209.41.6040,$1.00,$0.00,1,NO,,"], "ordinal", "'first' is not a number"),
    ],
)
def test_a_line_that_cannot_be_grouped_is_one_record_with_its_problem(
    tmp_path: Path, rows: list[str], column: str, fragment: str
) -> None:
    (record,) = read_records(report(tmp_path, *rows))
    assert fragment in record[PROBLEM] and record["entry_number"] == "E-1"


def test_a_line_whose_rows_are_split_apart_is_flagged_not_merged(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        "E-1,1,01,08/20/2025,JP,1,5209.41.6040,$1.00,$0.00,1,NO,,",
        "E-1,2,01,08/20/2025,JP,1,5209.41.6040,$1.00,$0.00,1,NO,,",
        "E-1,1,01,08/20/2025,JP,2,9903.02.73,$0.00,$0.15,,X,,",
    )
    records = list(read_records(path))
    assert len(records) == 3 and PROBLEM not in records[0] and "not together" in records[2][PROBLEM]


def test_an_es003_header_is_required_when_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("hts_code,origin,value,entry_date\n8479.89.94,JP,1,2025-04-15\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path), "--input-format", "es003", "--no-db", "--format", "none"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        f"Error: {path}: not an ES-003 report: the header has no 'Entry Summary Number', "
        "'Entry Summary Line Number', 'Tariff Ordinal Number', 'HTS Number - Full' column"
    )


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)), st.booleans())
def test_us_dates_become_iso_dates(day: dt.date, padded: bool) -> None:
    text = day.strftime("%m/%d/%Y") if padded else f"{day.month}/{day.day}/{day.year}"
    assert us_date(text) == day.isoformat()
    assert us_date(day.isoformat()) == day.isoformat()  # anything else is left for the line parser to name


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_report_amounts_read_exactly(amount: Decimal) -> None:
    assert money(f"${amount:,.2f}") == amount and money(f"{amount:.2f}") == amount


# the synthetic sample, end to end -------------------------------------------------------------------------------

GOLDEN = [  # entry, line, verdict, total duty, the rules of its warnings and errors, in order (info left out)
    ("SYN-0000101-4", "1", "review", "1500.00", ["declared.heading", "declared.heading", "declared.duty"]),
    ("SYN-0000101-4", "2", "accept", "3000.00", []),  # 15% reported on 9903.02.73, 0 on the line (CSMS 66319804)
    ("SYN-0000102-2", "1", "accept", "11000.00", []),
    ("SYN-0000103-0", "1", "accept", "25000.00", []),
    ("SYN-0000104-8", "1", "reject", "2650.00", ["declared.heading", "declared.duty"]),
    ("SYN-0000104-8", "2", "accept", "500.00", []),
]


@pytest.fixture(scope="module")
def hts_2025(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HTS_2025.is_file():
        pytest.skip(f"the HTSUS 2025 export is not in {HTS_2025.parent} (shared test data absent)")
    db = tmp_path_factory.mktemp("hts") / "clearance.db"
    import_edition(db, HTS_2025, "2025", dt.date(2025, 1, 1))
    return db


def warnings(record: dict) -> list[str]:
    return [x["rule"] for x in record["reasons"] if x["severity"] != "info"]


def test_the_es003_sample_checked_end_to_end(hts_2025: Path) -> None:
    args = ["check", str(SAMPLE), "--db", str(hts_2025), "--law-as-of", "2026-12-03", "--format", "json", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.stderr  # SYN-0000104-8 line 1 is under-declared
    records = json.loads(result.stdout)
    got = [(r["entry_number"], r["line_number"], r["verdict"], r["total_duty"], warnings(r)) for r in records]
    assert got == GOLDEN
    first = records[0]
    assert [d["heading"] for d in first["duties"]] == ["5209.41.60.40", "9903.02.73"]
    declared = [x["message"] for x in first["reasons"] if x["rule"] == "declared.duty"]
    assert declared == ["over-declared: refund of 750.00 USD (declared 2250.00, computed 1500.00)"]
    assert first["extra"] == {
        "entry_type": "01",
        "importer_number": "00-0000001AA",
        "entry_summary_date": "2025-08-29",
        "export_country": "JP",
        "liquidation_status": "Unliquidated",
        "liquidation_date": "",
        "reconciliation_indicator": "N",
        "protest_number": "",
        "protest_status": "",
    }
    liquidated = records[3]["extra"]
    assert (liquidated["liquidation_date"], liquidated["protest_number"]) == ("2026-08-28", "SYN-26-000001")
    under = records[4]["reasons"]
    assert "9903.01.25 (us.ieepa.reciprocal.baseline) applies but was not declared" in [x["message"] for x in under]


def test_declared_duty_is_compared_per_heading_as_well_as_in_total(tmp_path: Path, hts_2025: Path) -> None:
    path = report(
        tmp_path,
        'X-1,1,01,08/20/2025,JP,1,9903.02.73,$0.00,"$1,000.00",,X,,',  # the right total, split wrongly
        'X-1,1,01,08/20/2025,JP,2,5209.42.0040,"$20,000.00","$2,000.00",5000,M2,,',
    )
    args = ["check", str(path), "--db", str(hts_2025), "--law-as-of", "2026-12-03", "--format", "json", "-q"]
    [record] = json.loads(CliRunner().invoke(cli, args).stdout)
    assert record["verdict"] == "review" and record["total_duty"] == "3000.00"
    assert [x["message"] for x in record["reasons"] if x["rule"] == "declared.heading-duty"] == [
        "9903.02.73: under-declared by 320.00 USD (declared 1000.00, computed 1320.00)",
        "5209.42.00.40: over-declared by 320.00 USD (declared 2000.00, computed 1680.00)",
    ]


def test_an_es003_workbook_reads_as_the_csv_report(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            book.active.append(row)
    book.save(tmp_path / "es003.xlsx")
    from_csv = list(read_records(SAMPLE))
    assert list(read_records(tmp_path / "es003.xlsx")) == from_csv and len(from_csv) == 6


def test_a_row_that_cannot_be_read_is_its_own_invalid_and_its_line_is_invalid_too(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        'E-1,1,01,08/20/2025,JP,1,5209.42.0040,"$20,000.00",$0.00,5000,M2,,',
        'E-1,1,01,08/20/2025,JP,2,"9903.02.73"x,$0.00,"$3,000.00",,X,,',  # a stray character after a quote
        "E-1,1,01,08/20/2025,JP,3,9903.01.33,$0.00,$0.00,,X,,",
        'E-1,2,01,08/20/2025,JP,1,5209.42.0040,"$20,000.00",$0.00,5000,M2,,',
    )
    args = ["check", str(path), "--no-db", "--law-as-of", "2026-12-03", "--format", "json", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.stderr
    records = json.loads(result.stdout)
    assert [(r["entry_number"], r["line_number"], r["verdict"]) for r in records] == [
        (None, None, "invalid"),  # the unreadable row, on its own
        ("E-1", "1", "invalid"),  # the line it interrupts is never checked without it
        ("E-1", "2", records[2]["verdict"]),
    ]
    assert [r[LINE] for r in read_records(path)] == [3, 2, 5]  # each record's first physical line
    assert "malformed CSV on line 3" in records[0]["reasons"][0]["message"]
    assert records[1]["reasons"][0]["message"] == "row: a row among this line's rows cannot be read (line 3)"
    assert records[2]["verdict"] != "invalid"


def test_es003_through_worker_processes_reads_as_in_one(hts_2025: Path, tmp_path: Path) -> None:
    args = ["check", str(SAMPLE), "--db", str(hts_2025), "--law-as-of", "2026-12-03", "--format", "json", "-q"]
    one = CliRunner().invoke(cli, [*args, "--workers", "1"])
    two = CliRunner().invoke(cli, [*args, "--workers", "2", "--chunk-size", "2"])
    assert one.exit_code == two.exit_code == 1 and json.loads(one.stdout) == json.loads(two.stdout)


def test_ten_thousand_es003_entries_give_two_cape_declarations(hts_2025: Path, tmp_path: Path) -> None:
    """A broker's ES-003 report of 10,000 unliquidated 2025 entries, each an MFN row and its reciprocal-duty row:
    `clearance refunds` claims every one, in CAPE declarations of at most 9,999 entries (9,999 + 1)."""
    db = tmp_path / "clearance.db"
    shutil.copy(hts_2025, db)
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    rows = []
    for n in range(10_000):
        entry = f"SYN-{n:07d}-{n % 10}"
        common = f"{entry},1,01,00-0000001AA,04/15/2025,04/25/2025,JP,JP,"
        rows.append(common + ",1,9903.01.25,$0.00,$100.00,,X,Unliquidated,,N,,")
        rows.append(common + ',2,5209.41.6040,"$1,000.00",$75.00,240,M2,Unliquidated,,N,,')
    report = tmp_path / "es003.csv"
    report.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "cape"
    args = ["refunds", str(report), "--as-of", "2026-12-03", "--db", str(db), "-o", str(out), "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    files = sorted(out.glob("cape-declaration-*.csv"))
    counts = [len(list(csv.reader(f.open(newline="")))) - 1 for f in files]
    assert counts == [9_999, 1]
    numbers = [row[0] for f in files for row in list(csv.reader(f.open(newline="")))[1:]]
    assert len(set(numbers)) == 10_000
    summary = json.loads((out / "refunds-summary.json").read_text())
    assert [d["entries"] for d in summary["declarations"]] == [9_999, 1] and summary["left_out"] == []


SAMPLE_REFUNDS = {  # entry: (status, refundable) with the HTSUS 2025 edition
    "SYN-0000101-4": ("claim", "2820.00"),  # 9903.02.30 $1,500 + (9903.02.73 $3,000 less MFN $1,680)
    "SYN-0000102-2": ("none", "0.00"),  # 232 autos and MFN: nothing IEEPA
    "SYN-0000103-0": ("none", "0.00"),  # 232 steel, 9903.01.33 at zero
    "SYN-0000104-8": ("claim", "500.00"),  # 9903.01.25 $500; line 1's $1,650 is MFN
}


def _sample_refunds(tmp_path: Path, *db_args: str) -> dict[str, dict]:
    out = tmp_path / "cape"
    args = ["refunds", str(SAMPLE), "--as-of", "2026-12-03", "-o", str(out), "--workers", "1", *db_args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    with (out / "refunds-summary.csv").open(newline="", encoding="utf-8") as fh:
        return {row["entry_number"]: row for row in csv.DictReader(fh)}


def test_the_es003_sample_refunds_with_the_2025_htsus(hts_2025: Path, tmp_path: Path) -> None:
    db = tmp_path / "clearance.db"
    shutil.copy(hts_2025, db)
    rows = _sample_refunds(tmp_path, "--db", str(db))
    assert {n: (r["status"], r["refundable"]) for n, r in rows.items()} == SAMPLE_REFUNDS


def test_the_es003_sample_refunds_without_an_htsus_edition(tmp_path: Path) -> None:
    """No MFN rate: the MFN deposit is never counted as IEEPA duty. Where the per-heading amounts settle the
    split the numbers are those with the HTSUS; where they cannot (9903.02.73 holds the MFN), `review`, no number."""
    rows = _sample_refunds(tmp_path, "--no-db")
    got = {n: (r["status"], r["refundable"]) for n, r in rows.items()}
    assert got == {**SAMPLE_REFUNDS, "SYN-0000101-4": ("review", "")}
    unknown = rows["SYN-0000101-4"]
    assert unknown["rule"] == "split-unknown" and unknown["declaration"] == ""
    assert "mfn_rate is missing" in unknown["reason"] and "clearance hts import" in unknown["reason"]
    summary = json.loads((tmp_path / "cape" / "refunds-summary.json").read_text())
    assert summary["totals"]["review"] == {"entries": 1, "refundable": {}, "amount_unknown": 1}
    assert summary["totals"]["claim"]["refundable"] == {"USD": "500.00"}


def test_the_importer_number_and_name_pass_through_for_the_declarations_per_importer(tmp_path: Path) -> None:
    path = report(tmp_path, "E-1,1,01,04/15/2025,JP,1,5209.41.6040,$100.00,$7.50,,X,Unliquidated,")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",Importer Number,Importer Name", lines[1] + ",00-0000001AA,Kanto Machines Inc"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["check", str(path), "--no-db", "--law-as-of", "2026-12-03", "--format", "json", "-q"]
    [record] = json.loads(CliRunner().invoke(cli, args).stdout)
    assert (record["extra"]["importer_number"], record["extra"]["importer_name"]) == (
        "00-0000001AA",
        "Kanto Machines Inc",
    )
