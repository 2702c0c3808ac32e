"""Cross-references checked once (engine/packs/references.py): the loader raises the first problem, lint
reports every one at its line; both read the same list."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clearance.engine.authoring.lint import lint
from clearance.engine.packs.load import PackError, load_pack
from clearance.engine.packs.model import Measure, PackHeader
from clearance.engine.packs.references import reference_problems

PACK_YAML = """id: t
title: T
jurisdiction: US
currency: USD
minor_unit: 2
documents: {DOC-A: a}
precedence:
  - id: t.order
    title: order
    citations: [x]
    dates: {from: 2025-01-01}
    order: [[t.a], [group:later]]
    replaces: [t.gone]
"""

MEASURES = """instrument: T
citations: [x]
measures:
  - id: t.a
    title: A
    kind: duty
    rate: 1%
    dates: {from: 2025-01-01}
    scope: {origins: [JP, area:nowhere], codes: {lists: [missing]}}
    stacking: {excludes: [{target: group:none}]}
  - id: t.a
    title: A again
    kind: duty
    rate: 2%
    dates: {from: 2025-01-01}
"""


def write_pack(root: Path) -> Path:
    root.mkdir()
    (root / "pack.yaml").write_text(PACK_YAML)
    (root / "m.yaml").write_text(MEASURES)
    return root


def test_the_loader_and_lint_report_the_same_problems(tmp_path: Path) -> None:
    root = write_pack(tmp_path / "t")
    header = PackHeader.model_validate(yaml.safe_load(PACK_YAML))
    raw = yaml.safe_load(MEASURES)["measures"]
    measures = [Measure.model_validate({**m, "citations": ["x"]}) for m in raw]
    problems = list(reference_problems(header, measures, {}))
    assert [(p.code, p.where) for p in problems] == [
        ("CL011", ("measure", 1, "id")),
        ("CL004", ("measure", 0, "scope", "codes", "lists", 0)),
        ("CL012", ("measure", 0, "scope", "origins", 1)),
        ("CL005", ("measure", 0, "stacking", "excludes", 0, "target")),
        ("CL005", ("header", "precedence", 0, "replaces", 0)),
    ]
    with pytest.raises(PackError) as exc:
        load_pack(root)
    assert str(exc.value) == f"{root}: {problems[0].message}"  # fail-fast: the first one
    findings = {(f.code, f.file.name, f.message.split(" (first in")[0]) for f in lint(root).findings}
    for p in problems:  # collecting: every one
        assert (p.code, "pack.yaml" if p.where[0] == "header" else "m.yaml", p.message) in findings
