"""Entry point of the `mentionflow` console script: one typer app, one module per group.

Command modules are registered by name and imported only when their command runs (or for
`--help`): several import heavy libraries (aiohttp, asyncpg, rich, pydantic models) and
`mentionflow classify` is a batch tool whose whole-process time includes start-up. To add a
command, add one line to COMMANDS: "name": "module:attribute", where the attribute is a
`typer.Typer` (a command group) or a function (a single command).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

COMMANDS: dict[str, str] = {
    "infra": "mentionflow_tools.cli.infra:app",
    "generate": "mentionflow_tools.cli.generate:generate",
    "replay": "mentionflow_tools.cli.replay:replay",
    "fake-x": "mentionflow_tools.cli.fake_x:app",
    "classify": "mentionflow_tools.cli.classify:classify",
    "classify-eval": "mentionflow_tools.cli.classify:classify_eval",
    "model": "mentionflow_tools.cli.model:app",
    "config": "mentionflow_tools.cli.rules:config_app",
    "rules": "mentionflow_tools.cli.rules:app",
    "users": "mentionflow_tools.cli.users:app",
    "run": "mentionflow_tools.cli.run:run",
}


def _build(name: str, target: str) -> Any:
    """The click command for one COMMANDS entry, built exactly as an eager registration would."""
    module_name, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attribute)
    holder = typer.Typer(add_completion=False)
    holder.callback()(lambda: None)  # a callback makes `holder` a group, so `.commands` exists
    if isinstance(obj, typer.Typer):
        holder.add_typer(obj, name=name)
    else:
        holder.command(name)(obj)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class LazyGroup(TyperGroup):
    """The root group: commands from COMMANDS are built on first use, in COMMANDS order."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _build(cmd_name, COMMANDS[cmd_name])
        return self.commands.get(cmd_name)


# click looks parameter defaults up by name in a map nested by subcommand name.
_HELP_DEFAULTS: dict[str, Any] = {"help": False, **{name: {"help": False} for name in COMMANDS}}

app = typer.Typer(
    name="mentionflow",
    cls=LazyGroup,
    help="mentionflow operator CLI: local infrastructure, replay, classify, rules, users.",
    no_args_is_help=True,
    add_completion=False,
    # typer 0.29 coerces an absent --help flag (value None) through a pydantic TypeAdapter,
    # which imports pydantic (~0.2 s). A default of False is a bool, which typer passes through
    # uncoerced; the nested map gives each top-level command's --help the same default.
    context_settings={"default_map": _HELP_DEFAULTS},
)


@app.callback()
def _root() -> None:
    """Root group (the commands are in COMMANDS)."""


if __name__ == "__main__":  # pragma: no cover
    app()
