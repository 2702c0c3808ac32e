"""`clearance explain`: a thin shell over `engine.authoring.explain.explain`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import click

from clearance.cli.options import (
    ID,
    columns_option,
    destination_option,
    format_option,
    law_as_of_option,
    output_option,
    rules_option,
)
from clearance.cli.output import emit, fail
from clearance.engine import PackError, load_rules
from clearance.engine.authoring.explain import explain as explain_line
from clearance.engine.authoring.explain_render import EXPLANATION, EXPLANATION_VERBOSE
from clearance.engine.entries.headers import ColumnMapError, user_map
from clearance.engine.entries.line import normalise_keys
from clearance.engine.entries.readers import FORMATS as INPUT_FORMATS
from clearance.engine.entries.readers import InputFileError, read_records
from clearance.engine.match.matcher import MatchError
from clearance.engine.run.check import NoPackError

LINE_OPTIONS = ("hts_code", "origin", "value", "entry_date", "mfn_rate", "loaded_date", "transport_mode")


def _record(options: dict[str, str | None], columns: tuple[str, ...]) -> dict[str, str]:
    record = {k: v for k, v in options.items() if v is not None}
    for item in columns:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not COLUMN=VALUE", param_hint="--column")
        record[key.strip()] = value.strip()
    return record


def _row_of(records: Iterable[dict], entry: str) -> int:
    """The row of the first record with this entry number (and line number, after a `/`)."""
    number, _, line = entry.partition("/")
    for row, raw in enumerate(records, start=1):
        cols = normalise_keys(raw)
        if cols.get("entry_number") == number.strip() and (not line or cols.get("line_number") == line.strip()):
            return row
    raise InputFileError(f"no line with entry {entry}")


@click.command()
@click.argument("file", required=False)
@click.option("--row", type=ID, default=None, help="The line of FILE to explain (1 = first).")
@click.option("--entry", metavar="ENTRY[/LINE]", help="The line of FILE with this entry number (and line number).")
@click.option("--hts-code", help="The line as options (instead of FILE): tariff code.")
@click.option("--origin", help="Country of origin (ISO alpha-2).")
@click.option("--value", help="Customs value.")
@click.option("--entry-date", help="Entry date YYYY-MM-DD.")
@click.option("--mfn-rate", help="Column 1 (MFN) rate, e.g. 7.5% or Free.")
@click.option("--loaded-date", help="Date loaded on the final mode of transport.")
@click.option("--transport-mode", help="vessel, air, truck, rail or mail.")
@click.option("-c", "--column", "columns", multiple=True, metavar="COLUMN=VALUE", help="Any other input column.")
@law_as_of_option("The law as known on DATE (default today).")
@destination_option("Importing country.")
@rules_option
@click.option("--input-format", type=click.Choice(list(INPUT_FORMATS)), help="Input format of FILE.")
@columns_option
@format_option(EXPLANATION.names)
@output_option()
@click.option("-v", "--verbose", is_flag=True, help="Every part of every measure, not only what decided.")
def explain(
    file: str | None,
    row: int | None,
    entry: str | None,
    columns: tuple[str, ...],
    law_as_of: dt.date | None,
    destination: str | None,
    rules_path: Path | None,
    input_format: str | None,
    columns_file: Path | None,
    column_pairs: tuple[str, ...],
    fmt: str,
    output: str,
    verbose: bool,
    **line: str | None,
) -> None:
    """Why one line gets its verdict: the duties with their arithmetic and the reasons first, then each
    measure that applied or was excluded, part by part (-v: also those that did not match), precedence and
    stacking, with citations. Give FILE with --row N or --entry ENTRY[/LINE], or the line as options
    (--hts-code ... and -c COLUMN=VALUE).

    Exit codes: 0 explained; 2 usage, file or rule-pack error."""
    given = {k: v for k, v in line.items() if k in LINE_OPTIONS}
    if file is None and not any(given.values()) and not columns:
        fail("give FILE and --row N, or the line as options (--hts-code, --origin, --value, --entry-date, ...)")
    if file is not None and (any(given.values()) or columns):
        fail("give either FILE or the line as options, not both")
    if file is not None and (row is None) == (entry is None):
        fail("give the line of FILE to explain: --row N or --entry ENTRY[/LINE]")
    try:
        packs = load_rules(rules_path)
        mapped = user_map(column_pairs, columns_file)
        records = read_records(file, input_format, columns=mapped) if file else iter([_record(given, columns)])
        if entry is not None:
            row = _row_of(read_records(file, input_format, columns=mapped), entry)  # type: ignore[arg-type]
        explanation = explain_line(packs, records, row or 1, law_as_of, destination.upper() if destination else None)
    except (PackError, InputFileError, MatchError, IndexError, NoPackError, ColumnMapError) as exc:
        fail(str(exc).strip("'\""))
    emit((EXPLANATION_VERBOSE if verbose else EXPLANATION).emit(explanation, fmt), output, [file])
