"""The `clearance` command: the group and its commands, one module per command (`cli/<name>_cmd.py`).
Each command is a thin shell over a library function of the same name; the options several commands
share are declared once in `cli/options.py`, output is opened and guarded in `cli/output.py`."""

from __future__ import annotations

import click

from clearance.cli.check_cmd import check
from clearance.cli.diff_cmd import diff
from clearance.cli.explain_cmd import explain
from clearance.cli.hts_cmd import hts
from clearance.cli.output import OutputGuard
from clearance.cli.refunds_cmd import refunds
from clearance.cli.report_cmd import report
from clearance.cli.rules_cmd import rules
from clearance.cli.runs_cmd import runs


@click.group(cls=OutputGuard, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance")
def cli() -> None:
    """Check customs entry lines against dated, cited rule packs: a verdict (accept, review,
    reject), the duties measure by measure, and the reasons with their legal citations."""


for command in (check, runs, report, rules, explain, diff, hts, refunds):
    cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    cli()
