"""`--date-order mdy`: MM/DD/YYYY dates in a generic entry file read as such when the user says so, never guessed
otherwise (the line is `invalid`, with a hint); ISO dates stay as they are either way."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from clearance.cli.main import cli
from clearance.engine.entries.date_order import dates_read
from clearance.engine.run.parts import Part

HEADER = "entry_number,hts_code,origin,value,mfn_rate,entry_date,declared_duty,entry_type,liquidation_status,"
HEADER += "liquidation_date,reconciliation_indicator"
LINE = "SYN-0000601-0,8479.89.94,JP,100000,2.5%,{entered},12500,01,Liquidated,{liquidated},N"


def _file(tmp_path: Path, entered: str, liquidated: str) -> Path:
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "\n" + LINE.format(entered=entered, liquidated=liquidated) + "\n", encoding="utf-8")
    return path


def _check(path: Path, *options: str) -> dict:
    args = ["check", str(path), "--no-db", "--law-as-of", "2026-12-03", "--format", "json", "-q", *options]
    [record] = json.loads(CliRunner().invoke(cli, args).stdout)
    return record


def test_mm_dd_yyyy_is_never_guessed_without_the_option(tmp_path: Path) -> None:
    record = _check(_file(tmp_path, "05/20/2025", "09/14/2026"))
    assert record["verdict"] == "invalid"
    [reason] = [r["message"] for r in record["reasons"] if r["severity"] == "error"]
    assert "'05/20/2025' is not a date YYYY-MM-DD" in reason and "--date-order mdy" in reason


def test_date_order_mdy_reads_month_day_year(tmp_path: Path) -> None:
    record = _check(_file(tmp_path, "05/20/2025", "09/14/2026"), "--date-order", "mdy")
    assert (record["verdict"], record["entry_date"], record["total_duty"]) == ("accept", "2025-05-20", "12500.00")
    assert record["extra"]["liquidation_date"] == "2026-09-14"
    assert _check(_file(tmp_path, "2025-05-20", "2026-09-14"), "--date-order", "mdy")["entry_date"] == "2025-05-20"
    day_first = _check(_file(tmp_path, "20/05/2025", ""), "--date-order", "mdy")  # month 20: not a date
    assert day_first["verdict"] == "invalid"


def test_refunds_read_the_liquidation_date_in_the_order_given(tmp_path: Path) -> None:
    path = _file(tmp_path, "05/20/2025", "09/14/2026")
    args = ["refunds", str(path), "--no-db", "--as-of", "2026-12-03", "--workers", "1"]
    unread = CliRunner().invoke(cli, args)
    assert unread.exit_code == 1 and "SYN-0000601-0    review" in unread.stdout
    read = CliRunner().invoke(cli, [*args, "--date-order", "mdy"])
    assert read.exit_code == 0, read.stderr
    assert "SYN-0000601-0    claim     phase-1       10,000.00 2026-12-03     0" in read.stdout


def test_the_dask_workers_read_their_partitions_in_the_order_given(tmp_path: Path) -> None:
    """With --executor dask each worker reads its own partition (run/parts.py): the date order goes with it."""
    path = _file(tmp_path, "05/20/2025", "09/14/2026")
    part = Part(0, str(path), str(path), None, None, None, (), date_order="mdy")
    [record] = part.records()
    assert (record["entry_date"], record["liquidation_date"]) == ("2025-05-20", "2026-09-14")
    [as_written] = replace(part, date_order=None).records()
    assert as_written["entry_date"] == "05/20/2025"


@given(day=st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)), pad=st.booleans())
def test_every_mm_dd_yyyy_date_reads_as_its_day(day: dt.date, pad: bool) -> None:
    text = f"{day.month:02d}/{day.day:02d}/{day.year}" if pad else f"{day.month}/{day.day}/{day.year}"
    record = {"Entry_Date": text, "loaded_date": day.isoformat(), "note": text}
    [got] = dates_read([record], "mdy")
    assert got == {"Entry_Date": day.isoformat(), "loaded_date": day.isoformat(), "note": text}
    assert list(dates_read([{"entry_date": text}], None)) == [{"entry_date": text}]
