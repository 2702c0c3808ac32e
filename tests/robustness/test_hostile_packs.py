"""Hostile rule packs: YAML is only ever safe-loaded, nothing outside the rules folder is read, an invalid
pack never half-loads (not even into the run database), a repeated measure id is refused, and whatever
the YAML holds, loading ends in a `Pack` or one `PackError` line, never a traceback.

tests/packs/test_load.py already holds the basic refusals (invalid YAML, unknown keys, a `!!python/object/apply`
tag, a list symlinked outside the pack); these are the rest."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clearance.cli.main import cli
from clearance.engine import PackError, load_pack, load_rules

HEADER = "id: t\ntitle: t\njurisdiction: US\ncurrency: USD\nminor_unit: 2\n"
MEASURE = "{id: t.m, title: m, kind: duty, rate: 10%, dates: {from: 2025-01-01}}"
GOOD = f"instrument: T\ncitations: [T]\nmeasures:\n  - {MEASURE}\n"


def pack(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in {"pack.yaml": HEADER, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def refused(root: Path, *fragments: str) -> str:
    with pytest.raises(PackError) as info:
        load_pack(root)
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def check(rules: Path, entries: Path, *args: str) -> Result:
    opts = ["--workers", "1", "--law-as-of", "2026-01-01", "--format", "jsonl", "--rules", str(rules)]
    return CliRunner().invoke(cli, ["check", *opts, *args, str(entries)])


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.split("\n")
    assert len(lines) == 2 and lines[0].startswith("Error: ") and not lines[1], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return lines[0]


@pytest.fixture
def entries(tmp_path: Path) -> Path:
    path = tmp_path / "entries.csv"
    path.write_text("hts_code,origin,value,entry_date\n0101.21.00,JP,1000,2025-06-01\n")
    return path


# safe loading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/new:os.system [touch {marker}]",
        "!!python/object/apply:subprocess.call [[touch, {marker}]]",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/object:collections.OrderedDict {{}}",
    ],
)
def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    root = pack(tmp_path / "p", {"m.yaml": f"instrument: {tag.format(marker=marker)}\ncitations: [T]\n"})
    refused(root, "m.yaml", "invalid YAML")
    assert not marker.exists()


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    root = pack(tmp_path / "p", {"m.yaml": "\n".join(lines) + "\n" + GOOD})
    start = time.perf_counter()
    refused(root, "m.yaml", "Extra inputs are not permitted")
    assert time.perf_counter() - start < 5  # 9**9 strings if expanded


@pytest.mark.parametrize(
    "text",
    [
        f"instrument: T\ncitations: [T]\nmeasures: &m [{MEASURE[:-1]}, note: *m}}]\n",
        "instrument: T\ncitations: [T]\nmeasures:\n  - &m {id: t.m, title: m, kind: duty, scope: *m}\n",
        "&top {instrument: T, citations: [T], measures: [*top]}\n",
    ],
)
def test_recursive_anchors_are_refused(tmp_path: Path, text: str) -> None:
    refused(pack(tmp_path / "p", {"m.yaml": text}), "m.yaml")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "a measure file is a mapping"),
        ("# only a comment\n", "a measure file is a mapping"),
        ("- a\n- b\n", "a measure file is a mapping"),
        ("instrument: T\x00\n", "invalid YAML"),
        (b"instrument: \xff\xfe\n", "cannot read"),
        ("instrument: T\ncitations: [T]\nmeasures:\n\t- {id: t.m}\n", "invalid YAML"),
        ("instrument: T\ncitations: [T]\nmeasures: [" + MEASURE.replace("10%", "'1e999999%'") + "]\n", "rate"),
        ("instrument: T\ncitations: [T]\nmeasures: [" + MEASURE.replace("10%", "0.1") + "]\n", "rate"),
        ("instrument: T\ncitations: [T]\nmeasures: [" + MEASURE.replace("t.m", "../../etc") + "]\n", "id"),
    ],
)
def test_odd_measure_files_are_one_line_pack_errors(tmp_path: Path, text: str | bytes, fragment: str) -> None:
    refused(pack(tmp_path / "p", {"m.yaml": text}), "m.yaml", fragment)


YAML_CRASHES = {
    "an impossible date": GOOD.replace("2025-01-01", "2025-02-30"),
    "year zero": GOOD.replace("2025-01-01", "0000-01-01"),
    "an impossible published date": "published: 2025-06-31\n" + GOOD,
    "a 5000-digit integer": GOOD.replace("rate: 10%", "rate: 10%, note: " + "9" * 5000),
    "deep flow nesting": "instrument: T\ncitations: [T]\nmeasures: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep block nesting": "x:\n" + "".join("  " * i + "- \n" for i in range(1, 3000)),
}


@pytest.mark.parametrize("case", sorted(YAML_CRASHES))
def test_yaml_the_constructor_chokes_on_is_a_pack_error(tmp_path: Path, case: str) -> None:
    refused(pack(tmp_path / "p", {"m.yaml": YAML_CRASHES[case]}), "m.yaml")


def test_a_repeated_key_in_a_measure_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("rate: 10%", "rate: 10%, rate: 90%")
    refused(pack(tmp_path / "p", {"m.yaml": text}), "m.yaml", "rate")


# nothing outside the rules folder ------------------------------------------------------------------------------------


def test_a_measure_file_symlinked_outside_the_pack_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(GOOD.replace("t.m", "t.outside"))
    root = pack(tmp_path / "p", {"m.yaml": GOOD})
    os.symlink(tmp_path / "outside.yaml", root / "evil.yaml")
    refused(root, "points outside the pack folder")


def test_a_pack_header_symlinked_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(HEADER)
    root = pack(tmp_path / "p", {"m.yaml": GOOD})
    (root / "pack.yaml").unlink()
    os.symlink(tmp_path / "outside.yaml", root / "pack.yaml")
    refused(root, "points outside the pack folder")


def test_a_folder_symlinked_outside_is_not_read(tmp_path: Path) -> None:
    outside = pack(tmp_path / "outside", {"more.yaml": GOOD.replace("t.m", "t.outside")})
    root = pack(tmp_path / "p", {"m.yaml": GOOD})
    os.symlink(outside, root / "linked")
    try:
        loaded = load_pack(root)
    except PackError as exc:
        assert "outside" in str(exc)
        return
    assert [m.id for m in loaded.measures] == ["t.m"] and not any(f.startswith("linked") for f in loaded.files)


def test_list_names_are_names_not_paths(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("codes: ['0101']\n")
    scope = "scope: {codes: {lists: ['../../secret', '/etc/passwd']}}, "
    text = GOOD.replace("rate: 10%, ", "rate: 10%, " + scope)
    refused(pack(tmp_path / "p", {"m.yaml": text, "lists/x.yaml": "codes: ['01']\n"}), "unknown list")


def test_special_files_in_a_pack_are_not_read(tmp_path: Path) -> None:
    root = pack(tmp_path / "p", {"m.yaml": GOOD})
    os.mkfifo(root / "fifo.yaml")  # reading it would block forever
    os.symlink("/dev/zero", root / "zero.yaml")  # and this would never end
    assert [m.id for m in load_pack(root).measures] == ["t.m"]


# never half-loads; duplicate ids ----------------------------------------------------------------------------------


def test_a_broken_pack_beside_a_good_one_stops_the_run_before_anything_is_recorded(
    tmp_path: Path, entries: Path
) -> None:
    rules = tmp_path / "rules"
    pack(rules / "us", {"m.yaml": GOOD})
    jp_header = HEADER.replace("US", "JP").replace("USD", "JPY").replace("minor_unit: 2", "minor_unit: 0")
    pack(rules / "jp", {"pack.yaml": jp_header, "a.yaml": GOOD.replace("t.m", "t.jp"), "b.yaml": "measures: [\n"})
    with pytest.raises(PackError):
        load_rules(rules)
    db = tmp_path / "runs.db"
    assert "b.yaml" in one_line_error(check(rules, entries, "--db", str(db)))
    if db.exists():  # a database may be created, but holds no run
        con = sqlite3.connect(db)
        assert not con.execute("SELECT name FROM sqlite_master WHERE name = 'runs'").fetchall() or (
            con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        )


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        (
            {"m.yaml": f"instrument: T\ncitations: [T]\nmeasures:\n  - {MEASURE}\n  - {MEASURE}\n"},
            "duplicate measure id",
        ),
        ({"a.yaml": GOOD, "sub/dir/b.yaml": GOOD}, "duplicate measure id"),
        ({"m.yaml": GOOD, "lists/x.yaml": "codes: ['01']\n", "lists/x.csv": "hts_prefix\n01\n"}, "defined twice"),
    ],
)
def test_duplicates_are_refused(tmp_path: Path, entries: Path, files: dict[str, str], fragment: str) -> None:
    root = pack(tmp_path / "p", files)
    refused(root, fragment)
    assert fragment in one_line_error(check(root, entries, "--no-db"))
