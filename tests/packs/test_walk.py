"""packs.walk: the one walk over a pack folder (each file's kind, and the problem of a file that must not be read)
and the one merge of a measure file's defaults, shared by the loader and lint."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from clearance.engine.packs import walk
from clearance.engine.packs.walk import PackFile, list_code, list_name, pack_files, with_file_defaults


def test_each_file_of_a_pack_has_its_kind(tmp_path: Path) -> None:
    for rel in ["pack.yaml", "steel.yaml", "sub/autos.yaml", "lists/steel.csv", "lists/alu.yaml", "a.test.yaml"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x: 1\n")
    (tmp_path / "notes.md").write_text("not a pack file")
    (tmp_path / "stray.csv").write_text("a\n")
    os.mkfifo(tmp_path / "fifo.yaml")  # never opened
    os.symlink(tmp_path / "gone.yaml", tmp_path / "dangling.yaml")
    kinds = {f.rel: f.kind for f in pack_files(tmp_path)}
    assert kinds == {
        "a.test.yaml": "cases",
        "lists/alu.yaml": "list",
        "lists/steel.csv": "list",
        "pack.yaml": "header",
        "stray.csv": "other",
        "steel.yaml": "measures",
        "sub/autos.yaml": "measures",
    }
    assert [f.rel for f in pack_files(tmp_path)] == sorted(kinds)
    assert all(f.problem is None for f in pack_files(tmp_path))


def test_a_link_outside_or_an_oversized_file_is_named_as_its_problem(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "pack"
    root.mkdir()
    (tmp_path / "outside.yaml").write_text("x: 1\n")
    os.symlink(tmp_path / "outside.yaml", root / "evil.yaml")
    (root / "big.yaml").write_text("x: 1\n" * 10)
    monkeypatch.setattr(walk, "MAX_PACK_FILE", 20)
    problems = {f.rel: f.problem for f in pack_files(root)}
    assert "points outside the pack folder" in problems["evil.yaml"]  # type: ignore[operator]
    assert "a pack file holds at most 20" in problems["big.yaml"]  # type: ignore[operator]


def test_list_names_and_codes() -> None:
    assert list_name(Path("lists/steel.yaml")) == list_name(Path("lists/steel.csv")) == "steel"
    assert list_code("7208.10 15") == "72081015"
    assert list_code("72") == "72" and list_code("7") is None and list_code("72a") is None
    assert list_code("12345678901") is None


def test_a_file_s_defaults_fill_what_a_measure_does_not_give() -> None:
    day = dt.date(2025, 3, 12)
    given = with_file_defaults({"id": "m", "dates": {"from": "2025-03-12"}}, ["EO 1"], day)
    assert given == {"id": "m", "dates": {"from": "2025-03-12", "published": day}, "citations": ["EO 1"]}
    own = with_file_defaults({"id": "m", "citations": ["own"], "dates": {"published": "x"}}, ["EO 1"], day)
    assert own["citations"] == ["own"] and own["dates"] == {"published": "x"}
    assert with_file_defaults({"id": "m"}, [], None) == {"id": "m", "citations": []}
    assert PackFile(Path("p"), "p", "header").problem is None
