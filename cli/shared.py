"""Small helpers shared by the `rules`, `explain` and `diff` commands (kept apart from `main.py`, which
imports those commands)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NoReturn

import click


def parse_date(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.date | None:
    """Click callback: a `YYYY-MM-DD` option value as a date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


ID = click.IntRange(1, 2**63 - 1)  # a run id or row number: SQLite's and islice's integers


def printable(text: str) -> str:
    """Control characters (newlines, terminal escapes) written as escapes, so a message stays one safe line."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def say(text: str) -> None:
    """Print text for people: control characters in it (terminal escapes from packs, HTS descriptions or
    input files) are written as escapes, line breaks and tabs kept. Every text output of a command goes through here."""
    click.echo("\n".join("\t".join(map(printable, line.split("\t"))) for line in text.split("\n")))


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit code 2: never a traceback."""
    click.echo(f"Error: {printable(message)}", err=True)
    sys.exit(2)


rules_option = click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Rules folder (default: the packs shipped with clearance).",
)
