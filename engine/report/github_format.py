"""GitHub Actions output: an annotation (workflow command) per finding on its file and line, as many as GitHub
shows (10 of each kind per step, in input order: errors are never crowded out by warnings), then one log line
counting the rest and the summary line. With `$GITHUB_STEP_SUMMARY` set, the job summary gets the counts per
verdict, the duty per currency and every line with an error or warning (up to GitHub's 1 MiB)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

from .findings import findings, where
from .options import Options, OutputError
from .result import Result
from .workflow_commands import PER_KIND, SUMMARY_BYTES, annotation

if TYPE_CHECKING:
    from .summary import Summary

KIND = {"error": "error", "warning": "warning", "info": "notice"}
ROOM = 4096  # bytes kept under the cap for the head and the closing note


class StepSummary:
    """The markdown for $GITHUB_STEP_SUMMARY: a row per line with an error or warning, within GitHub's cap."""

    def __init__(self, budget: int = SUMMARY_BYTES - ROOM) -> None:
        self.rows: list[str] = []
        self.size, self.budget, self.left_out = 0, budget, 0

    def add(self, r: Result) -> None:
        shown = [x for x in findings(r) if x.severity != "info"]
        if not shown:
            return
        said = "<br>".join(_md(f"{x.severity}: {x.message}") for x in shown)
        row = f"| {_md(r.file or '-')} | {r.line or ''} | {_md(where(r))} | {r.verdict} | {_money(r)} | {said} |\n"
        size = len(row.encode())
        if self.size + size > self.budget:
            self.left_out += 1
            return
        self.rows.append(row)
        self.size += size

    def markdown(self, summary: Summary) -> str:
        duty = ", ".join(f"{amount:,} {cur}" for cur, amount in sorted(summary.duty.items())) or "0"
        out = ["## clearance check", "", "| verdict | lines |", "| --- | ---: |"]
        out += [f"| {v} | {n:,} |" for v, n in summary.counts.items()]
        out += ["", f"Total duty: {duty}", ""]
        if self.rows:
            out += ["| file | line | entry | verdict | duty | findings |", "| --- | ---: | --- | --- | ---: | --- |"]
            out.append("".join(self.rows).rstrip("\n"))
        if self.left_out:
            out += ["", f"{self.left_out:,} more lines with findings are not listed (GitHub's 1 MiB summary limit)."]
        return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """One table cell: one line, pipes escaped, no HTML."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _money(r: Result) -> str:
    return "" if r.total_duty is None else f"{r.total_duty:,} {r.currency}".strip()  # invalid: no duty


def write(results: Iterable[Result], out: TextIO, summary: Summary, options: Options | None = None) -> None:
    options = options or Options()
    shown = dict.fromkeys(KIND.values(), 0)
    more = dict.fromkeys(KIND.values(), 0)
    step = StepSummary() if options.step_summary else None
    for r in results:
        for x in findings(r):
            kind = KIND[x.severity]
            if shown[kind] < PER_KIND:
                shown[kind] += 1
                out.write(annotation(kind, f"{where(r)}: {x.message}", r.file, r.line, x.rule) + "\n")
            else:
                more[kind] += 1
        if step is not None:
            step.add(r)
    left = ", ".join(f"{n:,} {kind}s" for kind, n in more.items() if n)
    if left:
        where_all = "; every line with an error or warning is in the job summary" if step else ""
        out.write(f"{left} not annotated (GitHub shows {PER_KIND} of each kind per step){where_all}\n")
    out.write(summary.line() + "\n")
    if step is not None and options.step_summary:
        try:
            with open(options.step_summary, "a", encoding="utf-8") as fh:
                fh.write(step.markdown(summary))
        except OSError as exc:
            raise OutputError(f"{options.step_summary}: cannot write the GitHub step summary: {exc.strerror}") from exc
