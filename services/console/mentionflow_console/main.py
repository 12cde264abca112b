"""Entry point of the console: settings built here, dependencies awaited, schema migrated,
producer started, HTTP served until SIGTERM/SIGINT, then a graceful stop.

The console consumes no topic: it is an HTTP service that produces replies.requested.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from mentionflow import accounts, queue
from mentionflow.db import create_pool, migrate
from mentionflow.http import HttpServer
from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.logs import configure_logging
from mentionflow.service import (
    DEPENDENCY_WAIT_S,
    EXIT_DEPENDENCY,
    EXIT_OK,
    readiness_checks,
    wait_for_dependencies,
)

from mentionflow_console import outbox
from mentionflow_console.app import build_app
from mentionflow_console.settings import ConsoleSettings

log = logging.getLogger(__name__)

CONSOLE_MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: ConsoleSettings) -> int:
    log.info("starting console with settings %s", settings.redacted())
    if settings.console.insecure_dev_cookies:
        log.warning("insecure_dev_cookies is on: session cookies lack the Secure flag (development only; "
                    "unset MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES behind https)")
    # 1. dependencies first, so start order does not matter
    try:
        await wait_for_dependencies(settings, needs_db=True, deadline_s=DEPENDENCY_WAIT_S)
    except RuntimeError as exc:
        log.error("%s", exc)
        return EXIT_DEPENDENCY
    # 2. topics and schema (shared queue schema, accounts, then the console's own tables)
    await ensure_topics(settings.kafka)
    pool = await create_pool(settings.postgres)
    await migrate(pool, queue.COMPONENT, queue.MIGRATIONS)
    await migrate(pool, accounts.COMPONENT, accounts.MIGRATIONS)
    await migrate(pool, "console", CONSOLE_MIGRATIONS)
    # 3. clients, app, background relay
    producer = make_producer(settings.kafka, client_id=f"{settings.kafka.client_id_prefix}-console")
    await producer.start()
    app = build_app(settings=settings, pool=pool, producer=producer,
                    checks=readiness_checks(settings, pool))
    http = HttpServer(app, settings.http)
    await http.start()
    log.info("console serving http on %s:%d", settings.http.host, http.port)
    stop = asyncio.Event()
    relay = asyncio.create_task(outbox.run_relay(
        pool, producer, settings.kafka, interval_s=settings.console.outbox_relay_interval_s,
        older_than_s=settings.console.outbox_relay_after_s, stop=stop))
    # 4. signals only set a flag
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("console stopping")
    # 5. stop in order: no new requests → relay → producer (flush) → pool
    await http.stop()
    await relay
    await producer.stop()
    await pool.close()
    log.info("console stopped")
    return EXIT_OK


def main() -> None:
    settings = ConsoleSettings()
    configure_logging("console", settings.log_level, json=settings.log_json)
    sys.exit(asyncio.run(serve(settings)))


if __name__ == "__main__":
    main()
