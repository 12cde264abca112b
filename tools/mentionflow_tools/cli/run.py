"""`mentionflow run`: the whole system on local defaults, with demo brands and traffic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mentionflow_tools.repo import DEMO_CONFIG


def run(
    directory: Annotated[Path, typer.Option("--dir", help="state, data and logs")] = Path(".infra/run"),
    feed_rate: Annotated[float, typer.Option(help="generated mentions per second on the fake X API")] = 3.0,
    prometheus: Annotated[bool, typer.Option(help="start a local Prometheus when installed")] = True,
    console_port: Annotated[int, typer.Option(help="the console's HTTP port")] = 8080,
    config: Annotated[Path, typer.Option(help="brand config file or folder the services get")] = DEMO_CONFIG,
) -> None:
    """Start Kafka, PostgreSQL, the fake X API (unless real X credentials are set), the five
    services under a supervisor and Prometheus; Ctrl-C stops everything."""
    import asyncio
    import logging

    from mentionflow_tools.devrun.system import RunOptions, run_system

    logging.basicConfig(level=logging.INFO, format="%(asctime)s run %(levelname)s %(message)s")
    options = RunOptions(directory=directory.resolve(), config_path=config.resolve(), feed_rate=feed_rate,
                         prometheus=prometheus)
    options.ports["console"] = console_port
    asyncio.run(run_system(options))
