"""`--help` of every `mentionflow` command and sub-command renders and exits 0.

The commands are discovered from the typer app (its click tree, lazily built groups
included), never listed by hand, so a new command is covered the day it is added. Help
texts are read as rich markup: a stray "[/...]" in one crashes that command's --help.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from mentionflow_tools.cli.main import app
from typer.testing import CliRunner


def _command_paths() -> Iterator[tuple[str, ...]]:
    root = typer.main.get_command(app)

    # typer 0.29 ships its own click, whose groups are not click.Group: a group is what
    # lists sub-commands.
    def walk(command: Any, path: tuple[str, ...], ctx: typer.Context
             ) -> Iterator[tuple[str, ...]]:
        yield path
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                child = command.get_command(ctx, name)
                assert child is not None, f"{' '.join(path + (name,))} is listed but not found"
                yield from walk(child, path + (name,), typer.Context(child, parent=ctx,
                                                                     info_name=name))

    yield from walk(root, (), typer.Context(root, info_name="mentionflow"))


COMMAND_PATHS = list(_command_paths())


def test_the_walk_finds_groups_and_their_sub_commands() -> None:
    assert () in COMMAND_PATHS and ("fake-x", "serve") in COMMAND_PATHS
    assert len(COMMAND_PATHS) > 10


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(("mentionflow", *p)))
def test_help_renders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, f"{' '.join(path)} --help:\n{result.output}\n{result.exception!r}"
    assert "Usage:" in result.output
