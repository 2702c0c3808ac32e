"""One vocabulary across commands: `--format` with `text` for people and `json` for programs on every command
that prints records, `-o FILE` on every command that prints, `--law-as-of` wherever a date of law is meant, and
the old names still taken (hidden)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from clearance.cli.main import cli

from ..conftest import ROOT

PRINTING = [
    ("check",),
    ("explain",),
    ("diff",),
    ("runs", "list"),
    ("runs", "show"),
    ("runs", "export"),
    ("hts", "editions"),
    ("hts", "show"),
    ("rules", "lint"),
    ("rules", "test"),
    ("rules", "list"),
    ("rules", "show"),
    ("rules", "schema"),
]
TEXT_AND_JSON = [("check",), ("explain",), ("diff",), ("runs", "list"), ("runs", "show"), ("hts", "editions")]
TEXT_AND_JSON += [("hts", "show"), ("rules", "list"), ("rules", "show"), ("rules", "lint"), ("rules", "test")]


def command(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return cmd


def option(cmd: click.Command, flag: str) -> click.Option | None:
    return next((p for p in cmd.params if isinstance(p, click.Option) and flag in p.opts), None)


@pytest.mark.parametrize("path", PRINTING, ids=" ".join)
def test_every_printing_command_writes_to_o_file(path: tuple[str, ...]) -> None:
    out = option(command(path), "-o")
    assert out is not None and "--output" in out.opts


@pytest.mark.parametrize("path", TEXT_AND_JSON, ids=" ".join)
def test_every_printing_command_has_text_and_json(path: tuple[str, ...]) -> None:
    fmt = option(command(path), "--format")
    assert fmt is not None and isinstance(fmt.type, click.Choice)
    assert {"text", "json"} <= set(fmt.type.choices) and fmt.default == "text"


@pytest.mark.parametrize("path", [("check",), ("explain",), ("rules", "test"), ("rules", "list"), ("hts", "show")])
def test_a_date_of_law_is_law_as_of(path: tuple[str, ...]) -> None:
    assert option(command(path), "--law-as-of") is not None


def test_old_names_are_taken_but_not_shown() -> None:
    for path, old in [(("rules", "list"), "--on"), (("hts", "show"), "--date")]:
        assert option(command(path), old).hidden  # type: ignore[union-attr]
    runner = CliRunner()
    on = runner.invoke(cli, ["rules", "list", "--on", "2025-09-01", "--format", "json"])
    law = runner.invoke(cli, ["rules", "list", "--law-as-of", "2025-09-01", "--format", "json"])
    everything = runner.invoke(cli, ["rules", "list", "--format", "json"])
    assert on.exit_code == 0 and on.stdout == law.stdout != everything.stdout
    assert "--on" not in runner.invoke(cli, ["rules", "list", "--help"]).stdout
    sample = str(ROOT / "examples" / "entries.csv")
    table = runner.invoke(cli, ["check", "--no-db", "--workers", "1", "--format", "table", sample])
    text = runner.invoke(cli, ["check", "--no-db", "--workers", "1", "--format", "text", sample])
    assert table.stdout == text.stdout and table.stdout.lstrip().startswith("row")
    assert "table" not in runner.invoke(cli, ["check", "--help"]).stdout.split("--format")[1].split("\n")[0]


def test_rules_list_and_show_write_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "measures.json"
    result = CliRunner().invoke(cli, ["rules", "list", "--format", "json", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    first = json.loads(out.read_text())[0]
    shown = CliRunner().invoke(cli, ["rules", "show", first["id"], "-o", str(tmp_path / "m.txt")])
    assert shown.exit_code == 0 and first["id"] in (tmp_path / "m.txt").read_text()


def test_an_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    sample = tmp_path / "entries.csv"
    sample.write_bytes((ROOT / "examples" / "entries.csv").read_bytes())
    result = CliRunner().invoke(cli, ["explain", str(sample), "--row", "1", "-o", str(sample)])
    assert result.exit_code == 2 and "is an input of this command" in result.stderr
    assert sample.read_bytes() == (ROOT / "examples" / "entries.csv").read_bytes()
