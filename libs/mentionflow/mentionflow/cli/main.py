"""Entry point of the `mentionflow` console script: one typer app, one module per group."""

from __future__ import annotations

import typer

from mentionflow.cli import classify, fake_x, generate, infra
from mentionflow.cli import rules as rules_cli

app = typer.Typer(
    name="mentionflow",
    help="mentionflow operator CLI: local infrastructure, replay, classify, rules, users.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(infra.app, name="infra")
app.command("generate")(generate.generate)
app.add_typer(fake_x.app, name="fake-x")
app.command("classify")(classify.classify)
app.command("classify-eval")(classify.classify_eval)

app.add_typer(rules_cli.config_app, name="config")
app.add_typer(rules_cli.app, name="rules")


if __name__ == "__main__":  # pragma: no cover
    app()
