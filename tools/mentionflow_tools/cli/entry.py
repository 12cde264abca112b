"""The `mentionflow` console script.

`mentionflow classify` is a batch tool judged end to end, start-up included: with no option it
runs straight away, without importing typer and building the command tree (~85 ms, a sixth of
classifying 30,000 tweets). Every other command line, `mentionflow classify --help` included,
goes to the typer app in `mentionflow_tools.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["classify"]:
        from mentionflow_tools.cli.classify import classify

        classify()
        return
    from mentionflow_tools.cli.main import app

    app()
