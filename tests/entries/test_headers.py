"""Column names as people write them: the built-in alias table (English and Japanese headers, CP932), the
user's map (`--map`, `--columns`), a missing required column named with the closest names, a column close
to a known one warned about on every line (never a silent `extra`), and NACCS 10-character item codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.entries.headers import ColumnMap, aliases, column_key, user_map

from ..conftest import ROOT

FEATURES = ROOT / "tests" / "fixtures" / "packs" / "features"
CANONICAL = "entry_number,line_number,hts_code,origin,value,entry_date,declared_duty"
LINE = "E1,1,0101.21.00.00,JP,1000,2025-06-01,100.00"


def check(path: Path, *args: str, rules: Path | None = FEATURES) -> list[dict]:
    opts = ["--no-db", "--workers", "1", "--format", "json", "--law-as-of", "2026-11-25", "-q"]
    opts += ["--rules", str(rules)] if rules else []
    result = CliRunner().invoke(cli, ["check", str(path), *opts, *args])
    assert result.exit_code in (0, 1), (result.stderr, result.exception)
    return json.loads(result.stdout)


def write(tmp_path: Path, header: str, *lines: str, name: str = "e.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return path


def essentials(records: list[dict]) -> list[tuple]:
    return [(r["entry_number"], r["hts_code"], r["verdict"], r["total_duty"], r["extra"]) for r in records]


def test_the_alias_table_names_each_column_once() -> None:
    owner: dict[str, str] = {}
    for column, names in aliases().items():
        for name in names:
            assert owner.setdefault(column_key(name), column) == column, f"{name!r} names two columns"
    assert column_key("Tariff No.") == column_key("tariff_no") == "tariffno"
    assert column_key("ＨＳ Code") == "hscode"  # full-width letters are the letters


@pytest.mark.parametrize(
    "header",
    [
        "Entry No,Line No,HTS Number,Country of Origin,Entered Value,Entry Date,Declared Duty",
        "Entry Number,Line,Tariff No.,COO,Customs Value,Date of Entry,Duty Paid",
        "ENTRY_NO,LINE_NO,HS Code,Origin Country,Line Value,entry date,Estimated Duty",
    ],
)
def test_headers_as_brokers_write_them_read_as_the_contract(tmp_path: Path, header: str) -> None:
    canonical = check(write(tmp_path, CANONICAL, LINE, name="c.csv"))
    assert essentials(check(write(tmp_path, header, LINE))) == essentials(canonical)
    assert canonical[0]["verdict"] == "accept"


def test_japanese_headers_in_cp932(tmp_path: Path) -> None:
    header = "申告番号,欄番号,統計品目番号,原産地,課税価格,数量,申告年月日"
    path = write(tmp_path, header, "東京①-1,1,0201.30-010,US,1000000,100,2026/03/02", encoding="cp932")
    [record] = check(path, "--destination", "JP", rules=None)
    assert (record["entry_number"], record["line_number"], record["hts_code"]) == ("東京①-1", "1", "020130010")
    assert (record["origin"], record["entry_date"], record["extra"]) == ("US", "2026-03-02", {})
    assert record["verdict"] != "invalid"


def test_naccs_item_codes_of_ten_characters(tmp_path: Path) -> None:
    header = "destination,hts_code,origin,value,entry_date"
    lines = ["JP,0201.30.0101,US,1000,2026-03-02", "JP,020130010X,US,1000,2026-03-02"]
    lines += ["US,020130010X,JP,1000,2026-03-02"]
    records = check(write(tmp_path, header, *lines), rules=None)
    assert [r["hts_code"] for r in records[:2]] == ["020130010", "020130010"]  # the check character dropped
    assert records[2]["verdict"] == "invalid"  # the US schedule has no check character
    assert "is not a US tariff code of 8 or 10 digits" in records[2]["reasons"][0]["message"]


def test_map_and_columns_file(tmp_path: Path) -> None:
    header = "Ref,Line,Code,Made In,Worth,Date,Paid,Note"
    path = write(tmp_path, header, f"{LINE},hello")
    mapped = ["--map", "entry_number=Ref", "--map", "hts_code=Code", "--map", "origin=Made In"]
    mapped += ["--map", "value=Worth", "--map", "entry_date=Date", "--map", "declared_duty=Paid"]
    expected = [("E1", "0101210000", "accept", "100.00", {"note": "hello"})]
    assert essentials(check(path, *mapped)) == expected
    columns = tmp_path / "map.yaml"
    columns.write_text(
        "entry_number: Ref\nhts_code: [HTS, Code]\norigin: Made In\nvalue: Worth\nentry_date: Date\n"
        "declared_duty: Paid\n",
        encoding="utf-8",
    )
    assert essentials(check(path, "--columns", str(columns))) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "hts=Code"], "Error: 'hts' is not an input column (did you mean hts_code? columns: entry_number,"),
        (["--map", "hts_code"], "Error: --map 'hts_code': expected COLUMN=HEADER"),
        (["--columns", "missing.yaml"], "Error: missing.yaml: cannot read the column map:"),
    ],
)
def test_a_bad_map_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(write(tmp_path, CANONICAL, LINE)), "--no-db", *args])
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.startswith(message), result.stderr


def test_a_header_without_a_tariff_code_names_the_closest_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "HTS Nmbr,origin,value,entry_date", "0101.21.00.00,JP,1000,2025-06-01")
    result = CliRunner().invoke(cli, ["check", str(path), "--no-db", "--format", "none"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: {path}: the header has no hts_code column (closest: 'HTS Nmbr'; map one with "
        '--map hts_code="HTS Nmbr")'
    )


def test_a_missing_required_column_makes_each_line_invalid_with_the_closest_names(tmp_path: Path) -> None:
    path = write(tmp_path, "hts_code,Orign,value,entry_date", "0101.21.00.00,JP,1000,2025-06-01")
    [record] = check(path)
    assert record["verdict"] == "invalid"
    assert record["reasons"][0]["message"] == (
        "origin: missing (required): the header has no origin column (closest: 'Orign'; "
        'map one with --map origin="Orign")'
    )


def test_a_column_close_to_a_known_one_is_a_warning_on_every_line(tmp_path: Path) -> None:
    header = "hts_code,origin,value,entry_date,declared_duties,document"
    path = write(tmp_path, header, "0101.21.00.00,JP,1000,2025-06-01,999,CERT", "0101.21.00.00,JP,10,2025-06-01,1,")
    records = check(path)
    for record in records:
        assert record["verdict"] == "review" and set(record["extra"]) == {"declared_duties", "document"}
        warnings = [(x["rule"], x["message"]) for x in record["reasons"] if x["severity"] == "warning"]
        assert warnings == [
            (
                "input.declared_duty",
                "declared_duty: column 'declared_duties' is not read: did you mean declared_duty? "
                '(rename it, or --map declared_duty="declared_duties")',
            ),
            (
                "input.documents",
                "documents: column 'document' is not read: did you mean documents? "
                '(rename it, or --map documents="document")',
            ),
        ]


def test_json_keys_are_mapped_too(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    rec = {"Tariff No.": "0101.21.00.00", "COO": "JP", "Entered Value": "1000", "Entry Date": "2025-06-01"}
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    assert [(r["hts_code"], r["verdict"], r["total_duty"]) for r in check(path)] == [("0101210000", "accept", "100.00")]


def test_the_users_map_replaces_the_aliases_of_its_column() -> None:
    both = ["Tariff No.", "HTS", "origin"]
    assert ColumnMap().header(both).names[:2] == ("hts_code", "hts_code")  # a repeated column: read as one
    assert user_map(["hts_code=Tariff No."]).header(both).names[:2] == ("hts_code", "hts")


def test_explain_reads_a_file_with_the_same_names(tmp_path: Path) -> None:
    path = write(tmp_path, "Code,COO,Entered Value,Entry Date", "0101.21.00.00,JP,1000,2025-06-01")
    args = ["explain", str(path), "--row", "1", "--rules", str(FEATURES), "--map", "hts_code=Code"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0 and result.stdout.startswith("Row 1: 0101.21.00.00 from JP to US, value 1000")
