"""`clearance rules lint`: every problem of a rules folder, pack folder or single pack file, with its file,
line and a stable code (see `lint_codes.py`), as text, JSON or GitHub workflow commands.

Reading goes on past each problem (`lint_read.py`); what validates is then cross-checked
(`lint_checks.py`) and compared pairwise for undecided overlaps (`lint_overlap.py`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..packs.load import BUNDLED_RULES, PackError, load_pack
from ..packs.source import display
from ..report.emit import Emitter, json_text
from ..report.workflow_commands import annotation
from .lint_checks import check_limits, check_references
from .lint_codes import CODES
from .lint_overlap import check_overlaps
from .lint_read import Finding, PackSource, read_pack


class LintError(Exception):
    """The path cannot be linted at all (not found, no pack): exit code 2."""


@dataclass
class LintReport:
    findings: list[Finding]
    packs: int
    files: int

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if CODES[f.code].severity == severity)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("error") else 0


def pack_folders(path: Path) -> tuple[list[Path], Path | None]:
    """The pack folders to lint, and the one file to report on when `path` is a file of a pack."""
    if path.is_file():
        for parent in path.resolve().parents:
            if (parent / "pack.yaml").is_file():
                return [parent], path.resolve()
        raise LintError(f"{path}: not inside a rule pack (no pack.yaml above it)")
    if not path.is_dir():
        raise LintError(f"{path}: no such file or folder")
    if (path / "pack.yaml").is_file():
        return [path], None
    folders = sorted(p.parent for p in path.glob("*/pack.yaml"))
    if not folders:
        raise LintError(f"{path}: no rule packs (no pack.yaml, no */pack.yaml)")
    return folders, None


def lint_pack(root: Path) -> PackSource:
    src = read_pack(root)
    check_references(src)
    check_overlaps(src)
    check_limits(src)
    _loader(src)
    return src


def _loader(src: PackSource) -> None:
    """Lint runs the loader `check` uses: a pack it refuses is never clean (CL001 with its message, when
    lint's own reading found no error to explain it)."""
    try:
        load_pack(src.root)
    except PackError as exc:
        if not any(CODES[f.code].severity == "error" for f in src.findings):
            message = str(exc)
            file = Path(message.split(":", 1)[0])
            src.add("CL001", file if file.is_file() else src.root / "pack.yaml", 1, message)


def _golden_targets(sources: list[PackSource]) -> list[Finding]:
    """CL005 for a golden case that expects a measure no pack has to be excluded."""
    ids = {loc.measure.id for src in sources for loc in src.measures}
    out = []
    for src in sources:
        for doc, i, case in src.cases:
            many = isinstance(case.expect, list)
            for k, expect in enumerate(case.expects()):
                at = ("cases", i, "expect", k) if many else ("cases", i, "expect")
                for j, mid in enumerate(expect.excluded):
                    if mid not in ids:
                        line = doc.line((*at, "excluded", j))
                        out.append(Finding("CL005", doc.path, line, f"case {case.name!r}: unknown measure {mid!r}"))
    return out


def _jurisdictions(sources: list[PackSource]) -> list[Finding]:
    seen: dict[str, Path] = {}
    out = []
    for src in sources:
        if src.header is None:
            continue
        first = seen.setdefault(src.header.jurisdiction, src.root)
        if first != src.root:
            out.append(
                Finding(
                    "CL011", src.root / "pack.yaml", 1, f"a second pack for {src.header.jurisdiction} (first: {first})"
                )
            )
    return out


def _stale(sources: list[PackSource], today: dt.date, max_age: int | None) -> list[Finding]:
    """CL014 for a pack whose newest `published` date is more than its allowed age (`max_age`, else the pack's
    own `stale_after_days`) before `today`."""
    out = []
    for src in sources:
        limit = max_age if max_age is not None else (src.header.stale_after_days if src.header else None)
        dates = [loc.measure.dates.published for loc in src.measures if loc.measure.dates.published]
        if limit is None or not dates:
            continue
        if (today - max(dates)).days > limit:
            newest = max(dates)
            message = (
                f"pack {src.root.name}: newest published date {newest} is {(today - newest).days} days before "
                f"{today} (more than {limit})"
            )
            out.append(Finding("CL014", src.root / "pack.yaml", 1, message))
    return out


def lint(
    path: Path | str | None = None,
    select: set[str] | None = None,
    today: dt.date | None = None,
    max_age: int | None = None,
) -> LintReport:
    """Lint a rules folder (default: the bundled rules), a pack folder, or one file of a pack.
    `select` keeps only these codes; a pack with nothing published in the `max_age` days (default: its own
    `stale_after_days`, else not checked) before `today` (default: the date today) is stale."""
    base = Path(path) if path is not None else BUNDLED_RULES
    folders, only = pack_folders(base)
    sources = [lint_pack(folder) for folder in folders]
    findings = [f for src in sources for f in src.findings] + _golden_targets(sources) + _jurisdictions(sources)
    findings += _stale(sources, today or dt.date.today(), max_age)
    if only is not None:
        findings = [f for f in findings if f.file.resolve() == only]
    if select:
        findings = [f for f in findings if f.code in select]
    findings.sort(key=lambda f: (str(f.file), f.line, f.code, f.message))
    files = sum(1 for folder in folders for p in folder.rglob("*") if p.suffix in (".yaml", ".csv"))
    return LintReport(findings=findings, packs=len(folders), files=1 if only else files)


def _json(report: LintReport) -> dict:
    return {
        "findings": [
            {
                "code": f.code,
                "name": CODES[f.code].name,
                "severity": CODES[f.code].severity,
                "file": display(f.file),
                "line": f.line,
                "message": f.message,
            }
            for f in report.findings
        ],
        "errors": report.count("error"),
        "warnings": report.count("warning"),
        "packs": report.packs,
        "files": report.files,
    }


def _github(report: LintReport) -> str:
    """Workflow commands that annotate a pull request."""
    return "\n".join(
        annotation(CODES[f.code].severity, f.message, display(f.file), f.line, f.code) for f in report.findings
    )


def _text(report: LintReport) -> str:
    """Like ruff: one line a finding, then the counts."""
    lines = [f"{display(f.file)}:{f.line}: {f.code} [{CODES[f.code].severity}] {f.message}" for f in report.findings]
    errors, warnings = report.count("error"), report.count("warning")
    if errors or warnings:
        lines.append(f"Found {errors} error(s) and {warnings} warning(s) in {report.files} file(s).")
    else:
        lines.append(f"All checks passed ({report.packs} pack(s), {report.files} file(s)).")
    return "\n".join(lines)


LINT_REPORT: Emitter[LintReport] = Emitter({"text": _text, "json": lambda r: json_text(_json(r)), "github": _github})
