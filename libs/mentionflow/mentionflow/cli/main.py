"""Entry point of the `mentionflow` console script: one typer app, one module per group."""

from __future__ import annotations

import typer

from mentionflow.cli import infra

app = typer.Typer(
    name="mentionflow",
    help="mentionflow operator CLI: local infrastructure, replay, classify, rules, users.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(infra.app, name="infra")


if __name__ == "__main__":  # pragma: no cover
    app()
