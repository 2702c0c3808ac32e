"""Loading rule packs: a broken pack is one clear PackError naming the file, and never half-loads."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from clearance.engine import PackError, load_pack, load_rules

HEADER = """
    id: t
    title: test pack
    jurisdiction: US
    currency: USD
    minor_unit: 2
    areas: {col2: [CU, KP]}
    documents: {DOC-A: a document}
"""
MEASURES = """
    instrument: Test Act
    citations: ["Test Act sec. 1"]
    published: 2025-01-01
    measures:
      - id: t.duty.one
        title: one
        kind: duty
        rate: 10%
        scope: {codes: {lists: [things]}, exclude_origins: [area:col2]}
        dates: {from: 2025-02-01}
        stacking: {group: g}
"""


def write_pack(root: Path, files: dict[str, str]) -> Path:
    base = {"pack.yaml": HEADER, "measures.yaml": MEASURES, "lists/things.yaml": "codes: ['8703', '7208.10']\n"}
    base.update(files)
    for name, text in base.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_good_pack_loads_with_defaults_from_the_file(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, {}))
    m = pack.measure("t.duty.one")
    assert m.citations == ["Test Act sec. 1"] and str(m.dates.published) == "2025-01-01"
    assert pack.lists["things"].prefixes == frozenset({"8703", "720810"})
    assert len(pack.content_hash) == 64


def test_test_files_are_not_rules(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, {"measures.test.yaml": "cases: []\n"}))
    assert "measures.test.yaml" not in pack.files


def swap(old: str, new: str) -> dict[str, str]:
    return {"measures.yaml": MEASURES.replace(old, new)}


BROKEN = {
    "invalid YAML": ({"measures.yaml": "measures: [\n"}, "measures.yaml:2: invalid YAML"),
    "unknown key": (
        {"measures.yaml": MEASURES.replace("kind: duty", "kind: duty\n        colour: red")},
        "colour: Extra inputs are not permitted",
    ),
    "duplicate id": ({"more.yaml": MEASURES}, "duplicate measure id"),
    "unknown list": (
        swap("lists: [things]", "lists: [nothing]"),
        "unknown list 'nothing'",
    ),
    "unknown area": ({"measures.yaml": MEASURES.replace("area:col2", "area:eu")}, "unknown origin or area 'area:eu'"),
    "unknown target": (
        {"measures.yaml": MEASURES.replace("{group: g}", "{excludes: [{target: t.nope}]}")},
        "unknown stacking target 't.nope'",
    ),
    "from after until": (
        swap("{from: 2025-02-01}", "{from: 2025-02-01, until: 2025-01-01}"),
        "must be before `until`",
    ),
    "bad rate": ({"measures.yaml": MEASURES.replace("rate: 10%", "rate: ten percent")}, "rate 'ten percent'"),
    "no citation": (
        {"measures.yaml": MEASURES.replace('citations: ["Test Act sec. 1"]', "citations: []")},
        "citations: List should have at least 1 item",
    ),
    "list entry not digits": ({"lists/things.yaml": "codes: ['87O3']\n"}, "'87O3' is not a tariff code"),
    "empty list": ({"lists/things.yaml": "codes: []\n"}, "the list is empty"),
    "python object tag": ({"measures.yaml": "!!python/object/apply:os.system ['echo pwned']\n"}, "invalid YAML"),
    "unknown document": (
        {
            "more.yaml": """
        instrument: Other Act
        citations: ["Other Act"]
        measures:
          - id: t.adm.one
            title: adm
            kind: admissibility
            dates: {from: 2025-01-01}
            conditions: [{id: doc, message: needs a doc, documents: [DOC-Z], action: reject}]
    """
        },
        "unknown document code 'DOC-Z'",
    ),
    "header unknown key": ({"pack.yaml": HEADER + "    flavour: x\n"}, "pack.yaml: flavour"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_packs_are_one_line_errors(tmp_path: Path, case: str) -> None:
    files, expected = BROKEN[case]
    with pytest.raises(PackError) as err:
        load_pack(write_pack(tmp_path, files))
    message = str(err.value)
    assert expected in message
    assert "\n" not in message and str(tmp_path) in message


def test_a_list_symlinked_outside_the_pack_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("codes: ['01']\n")
    root = write_pack(tmp_path / "pack", {})
    os.symlink(outside, root / "lists" / "escape.yaml")
    with pytest.raises(PackError, match="points outside the pack folder"):
        load_pack(root)


def test_rules_folder_problems(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="rules folder not found"):
        load_rules(tmp_path / "none")
    with pytest.raises(PackError, match="no rule packs"):
        load_rules(tmp_path)
    write_pack(tmp_path / "a", {})
    write_pack(tmp_path / "b", {})
    with pytest.raises(PackError, match="a second pack for US"):
        load_rules(tmp_path)


def test_the_shipped_packs_load(packs) -> None:
    assert packs["US"].measures and packs["US"].lists
