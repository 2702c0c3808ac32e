"""SARIF 2.1.0, the format GitHub code scanning and other CI dashboards read: one result per finding of a line
(see findings.py), at the line's physical line in its file.

The `ruleId` is the rule id of the pack (`declared.duty`, `input.value`, a measure's condition), so an alert
keeps its identity across runs; `partialFingerprints` come from the entry, line and rule, so it survives rows
added above it; each rule's help is the citation of its legal instrument. Streamed: the results are written as
the lines come, then the tool and the rules they named."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePath
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from ..duty.codes import format_code
from .findings import LEVEL, findings, fingerprint, where
from .result import Reason, Result

if TYPE_CHECKING:
    from .options import Options
    from .summary import Summary

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "clearanceEntryLineRule/v1"
_LINK = re.compile(r"https?://[^\s;,()<>]+")


class Rules:
    """The rules the results name, in the order first seen (a result's `ruleIndex` is its place here)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.descriptors: list[dict] = []

    def of(self, reason: Reason) -> int:
        n = self.index.get(reason.rule)
        if n is None:
            n = self.index[reason.rule] = len(self.descriptors)
            self.descriptors.append(descriptor(reason))
        return n


def descriptor(reason: Reason) -> dict:
    """A rule: its id, and its help from the citation of the first finding that named it."""
    rule: dict = {
        "id": reason.rule,
        "shortDescription": {"text": reason.rule},
        "defaultConfiguration": {"level": LEVEL[reason.severity]},
    }
    if reason.citation:
        rule["help"] = {"text": reason.citation}
        link = _LINK.search(reason.citation)
        if link:
            rule["helpUri"] = link.group(0)
    return rule


def artifact_uri(path: str) -> str:
    """A relative path stays relative (code scanning resolves it from the repository root); an absolute one
    is a file: URI."""
    pure = PurePath(path)
    return ("file://" if pure.is_absolute() else "") + quote(pure.as_posix())


def locations(r: Result) -> list[dict]:
    logical = [{"name": where(r), "kind": "object"}]
    if not r.file or r.file == "-":
        return [{"logicalLocations": logical}]
    physical: dict = {"artifactLocation": {"uri": artifact_uri(r.file)}}
    if r.line:
        physical["region"] = {"startLine": r.line}
    return [{"physicalLocation": physical, "logicalLocations": logical}]


def results_of(r: Result, rules: Rules) -> Iterator[dict]:
    repeats: dict[str, int] = {}
    for reason in findings(r):
        repeat = repeats[reason.rule] = repeats.get(reason.rule, -1) + 1
        yield {
            "ruleId": reason.rule,
            "ruleIndex": rules.of(reason),
            "level": LEVEL[reason.severity],
            "message": {"text": f"{where(r)}: {reason.message}"},
            "locations": locations(r),
            "partialFingerprints": {FINGERPRINT: fingerprint(r, reason.rule, repeat)},
            "properties": {
                "verdict": r.verdict,
                "row": r.row,
                "entry_number": r.entry_number,
                "line_number": r.line_number,
                "hts_code": format_code(r.hts_code) if r.hts_code and r.hts_code.isdigit() else r.hts_code,
                "total_duty": None if r.total_duty is None else str(r.total_duty),
                "currency": r.currency,
                "citation": reason.citation,
            },
        }


def tool_version() -> str:
    try:
        return version("clearance")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
        return "0"


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    rules = Rules()
    out.write(f'{{"$schema": "{SCHEMA}", "version": "2.1.0", "runs": [{{\n "results": [')
    first = True
    for r in results:
        for item in results_of(r, rules):
            out.write("\n  " if first else ",\n  ")
            out.write(json.dumps(item, ensure_ascii=False))
            first = False
    driver = {"name": "clearance", "version": tool_version(), "rules": rules.descriptors}
    out.write(f'\n ],\n "tool": {json.dumps({"driver": driver}, ensure_ascii=False)}\n}}]}}\n')
