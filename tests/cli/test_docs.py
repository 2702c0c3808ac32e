"""Docs that cannot drift: the README's command reference is the commands' own --help, every command and
option says what it does, and the README's pipeline table names the packages that exist."""

from __future__ import annotations

import re

import click

from clearance.cli.reference import README, commands, with_reference

from ..conftest import ROOT


def test_the_readme_command_reference_is_not_stale() -> None:
    text = README.read_text(encoding="utf-8")
    assert with_reference(text) == text, "README.md is stale: run python -m clearance.cli.reference"


def test_every_command_option_and_argument_is_documented() -> None:
    undocumented = []
    for ctx in commands():
        cmd = ctx.command
        if not (cmd.help or cmd.short_help):
            undocumented.append(ctx.command_path)
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.help and not p.hidden:
                undocumented.append(f"{ctx.command_path} {p.opts[0]}")
            if isinstance(p, click.Argument) and p.human_readable_name not in (cmd.help or ""):
                undocumented.append(f"{ctx.command_path} {p.human_readable_name}")
    assert undocumented == []


def test_every_command_is_in_the_readme_reference() -> None:
    text = README.read_text(encoding="utf-8")
    for ctx in commands():
        assert f"### `{ctx.command_path}`" in text


def test_the_pipeline_table_names_the_packages_that_exist() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("## The pipeline", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `([a-z_]+)/` \|", table, re.M))
    packages = {p.parent.name for p in (ROOT / "engine").glob("*/__init__.py")}
    assert named == packages
