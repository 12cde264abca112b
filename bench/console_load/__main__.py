"""`make console-load`: the console under load; writes bench/out/console_load.json and prints a table.

    CONSOLE_LOAD_SESSIONS=200 CONSOLE_LOAD_RATE=1000 CONSOLE_LOAD_S=60 .venv/bin/python -m bench.console_load

Variables: CONSOLE_LOAD_SESSIONS (200 CM sessions), CONSOLE_LOAD_RATE (1,000 mentions/s),
CONSOLE_LOAD_S (60 s of traffic), CONSOLE_LOAD_PAGE_EVERY_S / CONSOLE_LOAD_API_EVERY_S (10: how
often each session reloads the queue page / lists the API), CONSOLE_LOAD_SETTLE_S (120: the
longest wait for owed live updates once the pipeline drained), CONSOLE_LOAD_OUT (the JSON file),
MENTIONFLOW_BENCH_INFRA_DIR (a running stack to use; else Kafka + PostgreSQL are started under
.infra/console-load and stopped). Exit status 1 when a live update was dropped, a session got
another brand's item, or the run had a problem.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from bench.console_load.figures import table
from bench.console_load.run import DEFAULT_OUT, LoadConfig, run_console_load
from bench.e2e.harness import REPO
from bench.e2e.services import INFRA_ENV, bench_stack

OWN_STACK_DIR = REPO / ".infra" / "console-load"


def passed(result: dict) -> bool:
    live = result["live_updates"]
    return live["dropped"] == 0 and live["foreign"] == 0 and live["expected"] > 0 and not result["problems"]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("aiokafka", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = LoadConfig.from_env()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    out = Path(os.environ.get("CONSOLE_LOAD_OUT") or DEFAULT_OUT)
    infra_dir = os.environ.get(INFRA_ENV)
    with bench_stack(Path(infra_dir) if infra_dir else None, OWN_STACK_DIR) as endpoints:
        result = asyncio.run(run_console_load(config, endpoints, out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    for problem in result["problems"]:
        print(f"problem: {problem}")
    print(f"wrote {out}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
