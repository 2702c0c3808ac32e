"""JUnit XML, what Jenkins, GitLab and most CI dashboards read: a testsuite per input file, a testcase per
line. A line fails when its verdict is one that fails the run (`reject` and `invalid`; `review` too with
`--fail-on review`); a passing line with findings has them in `system-out`.

Streamed with flat memory: a suite's test cases are spooled (to disk past a few MB) until its file ends, since
the suite's counts are written before them."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO
from xml.sax.saxutils import escape, quoteattr

from ..duty.codes import format_code
from .findings import findings, where
from .options import Options
from .result import Result

if TYPE_CHECKING:
    from .summary import Summary

SPOOL = 8 << 20
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # characters XML 1.0 cannot hold


def text(value: object) -> str:
    return _NOT_XML.sub("?", str(value))


def attr(value: object) -> str:
    return quoteattr(text(value))


class Suite:
    """One input file's test cases, spooled until the file ends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tests = self.failures = 0
        self.body = tempfile.SpooledTemporaryFile(SPOOL, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in flush)

    def add(self, r: Result, failing: tuple[str, ...]) -> None:
        self.tests += 1
        code = format_code(r.hts_code) if r.hts_code and r.hts_code.isdigit() else (r.hts_code or "")
        attrs = f"name={attr(f'row {r.row}: {where(r)} {code}'.rstrip())} classname={attr(self.name)}"
        if r.line:
            attrs += f' file={attr(self.name)} line="{r.line}"'
        shown = findings(r)
        detail = escape(text("\n".join(_finding(x.severity, x.rule, x.message, x.citation) for x in shown)))
        if r.verdict in failing:
            self.failures += 1
            message = shown[0].message if shown else r.verdict
            inner = f"<failure type={attr(r.verdict)} message={attr(message)}>{detail}</failure>"
        else:
            inner = f"<system-out>{detail}</system-out>" if shown else ""
        self.body.write(f"    <testcase {attrs}>{inner}</testcase>\n" if inner else f"    <testcase {attrs}/>\n")

    def flush(self, out: TextIO) -> None:
        out.write(
            f'  <testsuite name={attr(self.name)} tests="{self.tests}" failures="{self.failures}" '
            'errors="0" skipped="0">\n'
        )
        self.body.seek(0)
        while block := self.body.read(1 << 16):
            out.write(block)
        self.body.close()
        out.write("  </testsuite>\n")


def _finding(severity: str, rule: str, message: str, citation: str) -> str:
    return f"[{severity}] {rule}: {message}" + (f" ({citation})" if citation else "")


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    failing = (options or Options()).failing
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="clearance">\n')
    suite: Suite | None = None
    for r in results:
        name = r.file or "-"
        if suite is None or suite.name != name:
            if suite is not None:
                suite.flush(out)
            suite = Suite(name)
        suite.add(r, failing)
    if suite is not None:
        suite.flush(out)
    out.write("</testsuites>\n")
