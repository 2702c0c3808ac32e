"""`clearance rules lint`: one test per finding kind on deliberately broken packs, exit codes, formats."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine import PackError, load_pack
from clearance.engine.authoring.lint_codes import CODES

from ..conftest import PACKS

BROKEN = PACKS / "broken"
CLEAN = PACKS / "lint-clean"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["rules", *args])
    return result.exit_code, result.output


def findings(path: Path, *extra: str) -> list[dict]:
    code, out = run("lint", str(path), "--format", "json", *extra)
    assert code in (0, 1), out
    return json.loads(out)["findings"]


@pytest.fixture(scope="module")
def broken() -> list[dict]:
    return findings(BROKEN)


# (code, file, line, a fragment of the message): each kind of finding where the broken pack has it
EXPECTED = [
    ("CL001", "schema.yaml", 5, "titel: Extra inputs are not permitted"),
    ("CL001", "schema.yaml", 12, "cannot read duty component '15 percent'"),
    ("CL001", "schema.yaml", 18, "key 'rate' is given twice"),
    ("CL001", "broken.test.yaml", 9, "expekt"),
    ("CL002", "overlap.yaml", 12, "broken.overlap.old (overlap.yaml:4) and broken.overlap.new overlap"),
    ("CL003", "dates.yaml", 7, "`from` 2025-09-01 must be before `until` 2025-08-01"),
    ("CL003", "in-transit.yaml", 9, "`loaded_from` 2025-04-01 must be before `loaded_before` 2025-03-01"),
    ("CL004", "lists-ref.yaml", 9, "unknown list 'no-such-list'"),
    ("CL005", "targets.yaml", 10, "unknown stacking target 'broken.no-such-target'"),
    ("CL005", "pack.yaml", 19, "unknown measure 'broken.no-such-measure'"),
    ("CL005", "broken.test.yaml", 6, "unknown measure 'broken.never-defined'"),
    ("CL006", "documents.yaml", 11, "unknown document code 'PHYT0'"),
    ("CL007", "bad-entry.yaml", 4, "'8708.2O' is not a tariff code"),
    ("CL008", "citation.yaml", 3, "measure broken.citation.none: citations: no citation"),
    ("CL008", "pack.yaml", 23, "precedence broken.order.no-citation"),
    ("CL009", "unconfirmed.yaml", 7, "broken.unconfirmed is unconfirmed (no primary text found)"),
    ("CL011", "duplicate.yaml", 8, "duplicate measure id broken.duplicate (first in duplicate.yaml:4)"),
    ("CL012", "origins.yaml", 8, "unknown origin or area 'area:nowhere'"),
    ("CL013", "attributes.yaml", 8, "attribute 'colour'"),
]


@pytest.mark.parametrize(("code", "file", "line", "fragment"), EXPECTED, ids=lambda v: str(v))
def test_broken_pack_finding(broken: list[dict], code: str, file: str, line: int, fragment: str) -> None:
    hits = [f for f in broken if f["code"] == code and Path(f["file"]).name == file and f["line"] == line]
    assert any(fragment in f["message"] for f in hits), (code, file, line, [f for f in broken if f["code"] == code])
    assert all(f["severity"] == CODES[code].severity for f in hits)


def test_broken_pack_has_nothing_unexpected(broken: list[dict]) -> None:
    expected = {(c, f, n) for c, f, n, _ in EXPECTED}
    extra = [f for f in broken if (f["code"], Path(f["file"]).name, f["line"]) not in expected]
    # the typo'd measure also lacks its required `title` (reported on the measure's first line)
    assert [(f["code"], f["line"], f["message"]) for f in extra] == [
        ("CL001", 7, "golden cases: cases.1.expect: Field required"),
        ("CL001", 4, "measure broken.schema.typo: title: Field required"),
    ]


def test_every_code_is_tested_and_documented() -> None:
    tested = {c for c, *_ in EXPECTED} | {"CL010", "CL014"}
    assert tested == set(CODES)
    for c in CODES.values():
        code, out = run("rule", c.code)
        assert code == 0 and f"({c.code})" in out and c.severity in out


def test_the_loader_agrees_the_broken_pack_is_broken() -> None:
    with pytest.raises(PackError):
        load_pack(BROKEN)


def _copy(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(CLEAN, pack)
    return pack


def test_cl010_a_rule_with_too_many_paths(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    prefixes = ", ".join(f'"{8400 + i:04d}"' for i in range(300))
    (pack / "wide.yaml").write_text(
        "instrument: Test wide\ncitations: [Test]\nmeasures:\n"
        f"  - {{id: mini.wide, title: wide, kind: exemption, scope: {{codes: {{prefixes: [{prefixes}]}}}},"
        " dates: {from: 2025-01-01}}\n",
        encoding="utf-8",
    )
    [f] = findings(pack)
    assert (f["code"], Path(f["file"]).name, f["line"]) == ("CL010", "wide.yaml", 4)
    assert "300 durable-rules paths" in f["message"] and "named list" in f["message"]


def test_cl010_too_many_operators(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    attributes = ", ".join(f"k{i}: [a, b]" for i in range(15))  # unmet when any test fails: 15 paths, 17 operators
    (pack / "nested.yaml").write_text(
        "instrument: Test nested\ncitations: [Test]\nmeasures:\n"
        "  - {id: mini.nested, title: nested, kind: admissibility, dates: {from: 2025-01-01},\n"
        f"     conditions: [{{id: many, message: many tests, action: review, attributes: {{{attributes}}}}}]}}\n",
        encoding="utf-8",
    )
    [f] = findings(pack, "--select", "CL010")
    assert (Path(f["file"]).name, f["line"]) == ("nested.yaml", 4)
    assert f["message"].startswith("condition many of mini.nested: the rule nests 17 and/or operators")
    assert "(durable-rules limit 15)" in f["message"]


def test_cl010_too_many_fact_fields(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    documents = "".join(f"  DOC{i}: document {i}\n" for i in range(170))
    text = (pack / "pack.yaml").read_text(encoding="utf-8").replace("documents:\n", "documents:\n" + documents)
    (pack / "pack.yaml").write_text(text, encoding="utf-8")
    [f] = findings(pack)
    assert (f["code"], Path(f["file"]).name) == ("CL010", "pack.yaml")
    assert "171 documents" in f["message"] and "limit 200" in f["message"]


def test_overlaps_only_the_undecided_pairs() -> None:
    found = findings(PACKS / "lint-overlap")
    assert {f["code"] for f in found} == {"CL002"}
    pairs = {tuple(sorted(w for w in f["message"].split() if w.startswith("overlap."))[:2]) for f in found}
    assert pairs == {
        ("overlap.a1.undecided", "overlap.a2.undecided"),
        ("overlap.d1.undecided", "overlap.d2.undecided"),
        ("overlap.k1.undecided", "overlap.k2.undecided"),
        ("overlap.m1.undecided", "overlap.m2.undecided"),
    }
    [a] = [f for f in found if "overlap.a1" in f["message"]]
    assert "from 2025-03-01 until 2025-09-01; origins JP; codes 870323" in a["message"]


def test_exit_codes(tmp_path: Path) -> None:
    assert run("lint", str(BROKEN))[0] == 1
    assert run("lint", str(CLEAN))[0] == 0
    code, out = run("lint", str(PACKS / "no-such-pack"))
    assert code == 2 and "no such file or folder" in out
    code, out = run("lint", str(tmp_path))
    assert code == 2 and "no rule packs" in out
    assert run("lint", str(CLEAN), "--select", "CL999")[0] == 2


def test_warnings_alone_exit_zero(tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    shutil.copy(BROKEN / "unconfirmed.yaml", pack / "unconfirmed.yaml")
    code, out = run("lint", str(pack))
    assert code == 0
    assert "unconfirmed.yaml:7: CL009 [warning]" in out and "Found 0 error(s) and 1 warning(s)" in out


def test_text_and_github_formats() -> None:
    code, out = run("lint", str(BROKEN))
    assert code == 1 and "overlap.yaml:12: CL002 [error] measures broken.overlap.old" in out
    assert out.rstrip().endswith("Found 19 error(s) and 2 warning(s) in 15 file(s).")
    code, out = run("lint", str(BROKEN), "--format", "github")
    lines = out.splitlines()
    assert len(lines) == 21
    assert any(
        x.startswith("::error file=") and x.endswith("overlap.yaml,line=12,title=CL002::" + x.split("::")[-1])
        for x in lines
    )
    assert any(x.startswith("::warning file=") and ",title=CL009::" in x for x in lines)


def test_select_and_single_file() -> None:
    assert {f["code"] for f in findings(BROKEN, "--select", "CL002,cl004")} == {"CL002", "CL004"}
    only = findings(BROKEN / "overlap.yaml")
    assert [(f["code"], f["line"]) for f in only] == [("CL002", 12)]


def test_explain_option() -> None:
    code, out = run("lint", "--explain", "cl002")
    assert code == 0 and out.startswith("# overlapping-measures (CL002)") and "ME32" in out
    code, out = run("rule", "CL999")
    assert code == 2 and "unknown finding code" in out
    code, out = run("rule")
    assert code == 0 and len(out.splitlines()) == len(CODES)


@functools.cache
def _shipped_errors() -> list[dict]:
    code, out = run("lint", "--format", "json")
    assert code in (0, 1), out
    return [f for f in json.loads(out)["findings"] if f["severity"] == "error"]


def test_shipped_packs_have_no_errors() -> None:
    assert not _shipped_errors()


def test_cl014_a_stale_pack(tmp_path: Path) -> None:
    """The clean pack's newest `published` date is long past: stale with a small age, not with a large one,
    and not at all unless an age is given (`--max-age` or the pack's `stale_after_days`)."""
    pack = _copy(tmp_path)
    assert not [f for f in findings(pack) if f["code"] == "CL014"]
    stale = [f for f in findings(pack, "--max-age", "30") if f["code"] == "CL014"]
    assert len(stale) == 1 and stale[0]["severity"] == "warning" and "(more than 30)" in stale[0]["message"]
    assert not [f for f in findings(pack, "--max-age", "100000") if f["code"] == "CL014"]
    header = pack / "pack.yaml"
    header.write_text(header.read_text() + "stale_after_days: 30\n")
    assert [f["code"] for f in findings(pack) if f["code"] == "CL014"] == ["CL014"]
