"""`clearance rules test | list | show | schema` through click's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine import BUNDLED_RULES

from ..conftest import PACKS

CLEAN = PACKS / "lint-clean"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["rules", *args])
    return result.exit_code, result.output


def test_rules_test_passes_on_the_clean_pack() -> None:
    code, out = run("test", str(CLEAN))
    assert code == 0, out
    assert out.strip() == "4 passed, 0 failed"


def test_rules_test_fails_with_a_diff_when_a_case_is_wrong(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CLEAN, pack)
    cases = pack / "mini.test.yaml"
    text = cases.read_text(encoding="utf-8")
    assert 'total_duty: "1500.00"' in text
    cases.write_text(text.replace('total_duty: "1500.00"', 'total_duty: "1400.00"'), encoding="utf-8")
    code, out = run("test", str(pack))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("mini.test.yaml::fabric after the correction pays 15% all-in")
    assert lines[0].startswith("FAIL ")
    assert "    --- expected" in lines and "    +++ got" in lines
    assert "    -total_duty: 1400.00" in lines and "    +total_duty: 1500.00" in lines
    assert "     verdict: accept" in lines  # unchanged keys are context
    assert lines[-1] == "3 passed, 1 failed"


def test_rules_test_json_select_and_single_file(tmp_path: Path) -> None:
    code, out = run("test", str(CLEAN / "mini.test.yaml"), "-k", "beef", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["passed"], data["failed"]) == (1, 0)
    assert data["cases"][0]["case"] == "beef without a certificate is rejected"
    code, out = run("test", str(CLEAN), "-k", "no such case")
    assert code == 2 and "no golden case matches" in out
    code, out = run("test", str(tmp_path))
    assert code == 2 and "no golden cases" in out


def test_rules_test_runs_the_shipped_cases() -> None:
    code, out = run("test", str(BUNDLED_RULES / "us" / "worked-examples.test.yaml"))
    assert code == 0, out
    assert out.strip().endswith(" passed, 0 failed")


def test_rules_list() -> None:
    code, out = run("list", "--rules", str(CLEAN))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "kind", "heading", "rate", "from", "until", "status"]
    assert any(x.split()[:4] == ["mini.extra.new", "duty", "9903.90.02", "all-in"] for x in lines)
    assert lines[-1] == "6 measure(s)"
    code, out = run("list", "--rules", str(CLEAN), "--on", "2025-05-10", "--format", "json")
    ids = {r["id"] for r in json.loads(out)}
    assert "mini.extra.old" in ids and "mini.extra.new" not in ids  # published 2025-05-20
    assert "mini.in-transit" not in ids  # from 2025-05-01, but published 2025-05-20


def test_rules_show_names_a_charge_its_basis_and_its_own_rounding() -> None:
    code, out = run("show", "jp.consumption-tax.local")
    assert code == 0, out
    assert "Kind:       duty (confirmed, charge tax)" in out
    assert "Rate:       22/78 on jp.consumption-tax.national.standard + jp.consumption-tax.national.reduced" in out
    assert "Rounding:   basis truncated to a multiple of 1; amount truncated to a multiple of 1" in out


def test_rules_show_documents_a_measure() -> None:
    code, out = run("show", "mini.extra.old", "--rules", str(CLEAN))
    assert code == 0, out
    assert out.startswith("# mini.extra.old\n\nExtra duty 10%\n")
    assert "extra.yaml:5" in out
    assert "Rate:       10% on value" in out
    assert "Dates:      from 2025-02-01, no end (entry date); published 2025-01-01" in out
    assert "Citations:  Test Order 1 sec. 2" in out
    excluded_by = out.split("## Excluded by\n")[1].split("\n\n")[0].splitlines()
    assert excluded_by == [
        "- mini.extra.new via mini.extra.old (wholly, when it applies): "
        "Test Order 2 replaces the 10% with 15% all-in, from 2025-05-01",
        "- mini.metal via group:extra (on the basis of it, when it applies): "
        "the metal content pays the metal duty, not the extra duty",
    ]
    code, out = run("show", "mini.metal", "--rules", str(CLEAN), "--format", "json")
    info = json.loads(out)
    assert info["excludes"][0]["members"] == ["mini.extra.new", "mini.extra.old"]  # pack order
    assert info["scope"]["codes"]["list_sizes"] == {"metal": 2}
    code, out = run("show", "mini.in-transit", "--rules", str(CLEAN))
    assert "In transit: only goods loaded before 2025-05-01 by vessel" in out


def test_rules_show_unknown_and_shipped() -> None:
    code, out = run("show", "no.such.measure")
    assert code == 2 and "no measure 'no.such.measure'" in out
    code, out = run("show", "us.ieepa.reciprocal.jp.all-in")
    assert code == 0 and "EO 14345" in out and "## Excluded by" in out


def _properties(schema: dict, name: str) -> set[str]:
    return set(schema["$defs"][name]["properties"])


def test_rules_schema_covers_every_shipped_file() -> None:
    code, out = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {r["$ref"].split("/")[-1] for r in schema["anyOf"]} == {
        "PackHeader",
        "MeasureFileSchema",
        "CodeListFile",
        "CaseFile",
        "ProgrammeFile",
        "RefundCaseFile",
    }
    measure = schema["$defs"]["MeasureEntry"]
    assert "citations" not in measure["required"]  # defaults to the file's
    assert schema["$defs"]["MeasureFileSchema"]["properties"]["measures"]["items"]["$ref"].endswith("MeasureEntry")
    assert "from" in _properties(schema, "Dates") and "from_" not in _properties(schema, "Dates")
    for path in sorted(BUNDLED_RULES.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name == "pack.yaml":
            kind = "PackHeader"
        elif "refunds" in path.parts:
            kind = "RefundCaseFile" if path.name.endswith(".test.yaml") else "ProgrammeFile"
        elif path.name.endswith(".test.yaml"):
            kind = "CaseFile"
        elif "lists" in path.parts:
            kind = "CodeListFile"
        else:
            kind = "MeasureFileSchema"
            for m in data["measures"]:
                assert set(m) - {"<<"} <= _properties(schema, "MeasureEntry"), (path, m["id"])
        if schema["$defs"][kind].get("additionalProperties") is False:
            assert set(data) <= _properties(schema, kind), path


def test_rules_schema_one_kind(tmp_path: Path) -> None:
    target = tmp_path / "measures.schema.json"
    code, _ = run("schema", "--kind", "measures", "-o", str(target))
    assert code == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert schema["required"] == ["instrument", "measures"]
    assert schema["properties"]["measures"]["items"]["$ref"] == "#/$defs/MeasureEntry"
    assert "anyOf" not in schema and "PackHeader" not in schema["$defs"]


def test_rules_list_for_an_origin_on_a_law_date() -> None:
    """`rules list --law-as-of DATE --origin JP`: what is in force for Japanese goods that day."""
    code, out = run("list", "--law-as-of", "2026-12-01", "--origin", "jp", "--format", "json")
    assert code == 0, out
    ids = {r["id"] for r in json.loads(out)}
    assert {"us.301.fl.jp", "us.232.metals.i-a", "us.232.metals.i-c.jp", "us.column-1.general"} <= ids
    assert "us.301.fl.kr-ch" not in ids  # Korea and Switzerland only
    assert "us.232.metals.i-c" not in ids  # excludes Japan
    assert "us.122.surcharge" not in ids  # ended 2026-07-24
    assert "us.232.polysilicon.partners" not in ids  # from 2026-12-04
    assert "us.301.fl.eu-tw" not in ids and "us.232.pharma.partners" in ids  # area:eu names not Japan; JP listed
    code, out = run("list", "--law-as-of", "2026-12-01", "--origin", "DE", "--format", "json")
    assert "us.301.fl.eu-tw" in {r["id"] for r in json.loads(out)}  # Germany is in area:eu
