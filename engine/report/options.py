"""What an output format may need to know beyond the results: which verdicts fail, how many files are
checked, the terminal, and where GitHub wants the job summary."""

from __future__ import annotations

from dataclasses import dataclass

# --fail-on: the verdicts that make `check` exit 1 (and fail a JUnit test case).
FAIL_ON: dict[str, tuple[str, ...]] = {"reject": ("reject", "invalid"), "review": ("reject", "invalid", "review")}


class OutputError(Exception):
    """An output cannot be written (standard output, a `-o` file, the GitHub step summary file). The message
    is one line; the CLI prints it and exits 2 (cli/output.py)."""


@dataclass(frozen=True)
class Options:
    failing: tuple[str, ...] = FAIL_ON["reject"]
    files: int = 1  # input files checked: the table names each line's file when there are several
    color: bool = False  # verdicts coloured (a terminal, and NO_COLOR not set)
    width: int = 120  # the table's width
    step_summary: str | None = None  # $GITHUB_STEP_SUMMARY: the file the github format appends its summary to
