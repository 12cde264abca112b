"""`mentionflow infra up|down|status`: real Kafka and PostgreSQL as local processes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mentionflow_tools.infra import stack

app = typer.Typer(help="Start and stop a local Kafka + PostgreSQL without Docker.", no_args_is_help=True)
console = Console(stderr=True)

DirOption = Annotated[
    Path,
    typer.Option("--dir", help="State folder (pids, ports, data, logs).", envvar="MENTIONFLOW_INFRA_DIR"),
]


@app.command()
def up(
    nodes: Annotated[int, typer.Option(help="Kafka brokers: 1, or 3 for replication 3 / min ISR 2.")] = 1,
    directory: DirOption = Path(".infra"),
) -> None:
    """Fetch the pinned Kafka jars (cached), start the broker(s) and PostgreSQL, print where."""
    if nodes not in (1, 3):
        raise typer.BadParameter("--nodes must be 1 or 3")
    directory = directory.resolve()
    console.print(f"starting Kafka ({nodes} node(s)) and PostgreSQL under {directory} ...")
    started = stack.up(directory, nodes)
    kafka = started.kafka
    console.print(f"Kafka {kafka.broker_version()} (reported by the broker) at {kafka.bootstrap_servers}")
    console.print(f"PostgreSQL {started.postgres.server_version()} at {started.postgres.dsn}")
    console.print(f"logs: {directory}/kafka/node*/broker.log, {started.postgres.log_file}")
    console.print(f"environment: source {started.write_env_file()}")
    typer.echo(started.kafka.bootstrap_servers)


@app.command()
def down(directory: DirOption = Path(".infra")) -> None:
    """Stop the broker(s) and PostgreSQL started by `infra up`, and remove their data."""
    stopped = stack.down(directory.resolve())
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def status(directory: DirOption = Path(".infra")) -> None:
    """Print the running stack's addresses as shell exports."""
    directory = directory.resolve()
    try:
        running = stack.load(directory)
    except FileNotFoundError:
        console.print(f"no stack under {directory}")
        raise typer.Exit(1) from None
    for key, value in running.env().items():
        typer.echo(f"export {key}={value}")
