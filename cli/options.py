"""Every option shared by several commands, declared once: `--db`, `--rules`, `--law-as-of`, `--destination`,
`-o/--output`, `--format`, and the values they take (a date, a run id or row number); and where `check` runs its
work (`--executor`, `--scheduler`) and puts its results (`--output-dir`), and how input dates are written
(`--date-order`).

One vocabulary: every command that prints takes `-o FILE`; `--format text` is for people and `--format json` for
programs wherever a command prints records; a date of law is always `--law-as-of`. Old names are still taken
(hidden): `check --format table`, `rules list --on`, `hts show --date`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from clearance.cli.output import fail
from clearance.engine.entries.date_order import ORDERS
from clearance.engine.run.store import Store, StoreError
from clearance.engine.run.workers import EXECUTORS

DB_FILE = "clearance.db"  # the clearance SQLite database when neither --db nor CLEARANCE_DB names one
DB_PATH = click.Path(dir_okay=False, path_type=Path)
RULES_PATH = click.Path(path_type=Path)
ID = click.IntRange(1, 2**63 - 1)  # a run id or row number: SQLite's and islice's integers


def parse_date(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.date | None:
    """Click callback: a `YYYY-MM-DD` option value as a date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


rules_option = click.option(
    "--rules",
    "rules_path",
    type=RULES_PATH,
    default=None,
    help="Rules folder (default: the packs shipped with clearance).",
)


def db_option(help: str, *, inherit: bool = False) -> Any:
    """`--db`: the clearance SQLite database (the runs of `check`, the HTSUS editions of `hts import`),
    env CLEARANCE_DB, default ./clearance.db. `inherit`: a `runs` subcommand's, which falls back to the
    group's --db when not given (so it has neither default nor environment variable of its own)."""
    if inherit:
        return click.option("--db", type=DB_PATH, default=None, help=help)
    return click.option("--db", type=DB_PATH, default=DB_FILE, show_default=True, envvar="CLEARANCE_DB", help=help)


RUNS_DB_HELP = "The run database (env CLEARANCE_DB)."


def open_store(db: Path) -> Store:
    """The run database at `db` (`runs` and `report`): not there or not usable is a one-line error, exit 2."""
    if not db.is_file():
        fail(f"{db}: no run database (run `clearance check` first, or give --db)")
    try:
        return Store(db)
    except StoreError as exc:
        fail(str(exc))


def law_as_of_option(help: str) -> Any:
    """`--law-as-of DATE`: the law as known on DATE (measures published after it do not exist yet)."""
    return click.option("--law-as-of", "law_as_of", callback=parse_date, metavar="DATE", help=help)


def old_date_option(name: str) -> Any:
    """The old name of a command's `--law-as-of` (`rules list --on`, `hts show --date`): taken, not shown."""
    return click.option(name, "old_date", callback=parse_date, metavar="DATE", hidden=True)


def destination_option(help: str) -> Any:
    """`--destination`: the importing country (ISO alpha-2), that is which pack applies."""
    return click.option("--destination", type=str, default=None, help=help)


class Choice(click.Choice):
    """A `click.Choice` that also takes old names (`aliases`: old -> new) without showing them."""

    def __init__(self, choices: list[str], aliases: dict[str, str] | None = None) -> None:
        super().__init__(choices)
        self.aliases = aliases or {}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(self.aliases.get(value, value) if isinstance(value, str) else value, param, ctx)


def format_option(
    choices: list[str],
    help: str = "text for people, json for programs.",
    default: str = "text",
    aliases: dict[str, str] | None = None,
) -> Any:
    """`--format`: how a command writes what it reports (the parameter is `fmt`); `aliases`: old names."""
    return click.option("--format", "fmt", type=Choice(choices, aliases), default=default, show_default=True, help=help)


def output_option(help: str = "Write here instead of standard output.") -> Any:
    """`-o/--output FILE` (`-`: standard output), opened by `clearance.cli.output.opened`."""
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True, help=help
    )


executor_option = click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="Where the lines are checked: worker processes here (local), or a Dask cluster (dask: pip install "
    "'clearance[dask]').",
)
scheduler_option = click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="With --executor dask: the Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster of "
    "--workers processes).",
)
connect_timeout_option = click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="With --scheduler: how long to wait for the Dask scheduler (nothing listening at the address fails at once).",
)
date_order_option = click.option(
    "--date-order",
    type=click.Choice(ORDERS),
    default=None,
    help="How the file writes its dates: ymd (YYYY-MM-DD, the default) or mdy (MM/DD/YYYY, as US files do). "
    "Without mdy a date MM/DD/YYYY is never guessed: the line is invalid.",
)
output_dir_option = click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the run as a Parquet dataset here (a new folder; one file per chunk) instead of --db; "
    "`clearance runs import DIR` loads it into a database.",
)


def columns_option(command: Any) -> Any:
    """`--columns FILE` and `--map COLUMN=HEADER`: the user's names for input columns, read together by
    `engine.entries.headers.user_map` (README, Input columns)."""
    command = click.option(
        "--map",
        "column_pairs",
        multiple=True,
        metavar="COLUMN=HEADER",
        help='Read input column COLUMN from the header HEADER, e.g. --map hts_code="Tariff No." (repeatable).',
    )(command)
    return click.option(
        "--columns",
        "columns_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="YAML file mapping input columns to your headers (`hts_code: Tariff No.`, one per line).",
    )(command)
