"""Harness: a console per test, run by the same serve() as in production: its own database, real
Kafka topics, the app served by uvicorn on 127.0.0.1 (real sockets, so streaming responses behave
as in production)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from mentionflow.service import RunningService, serve
from mentionflow.settings import HttpSettings, KafkaSettings, PostgresSettings
from mentionflow_console.main import build_spec
from mentionflow_console.settings import ConsoleOptions, ConsoleSettings

from tests.conftest import TEST_PARTITIONS
from tests.console.factories import People, add_team, migrate_publish_schema

CONSOLE_TOPICS = ("replies.requested", "incidents.actions", "labels.corrected", "posts.requested")
# brand-a and brand-b: their time zones and business hours (analytics), the agency's name.
BRAND_CONFIG = Path(__file__).parent / "brands"


@dataclass
class Console:
    base_url: str
    pool: asyncpg.Pool
    kafka: KafkaSettings
    people: People
    settings: ConsoleSettings
    app: FastAPI  # the running app (its routes, for the authorisation matrix)

    def client(self, username: str | None = None) -> httpx.AsyncClient:
        headers = self.people.auth(username) if username else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10.0)


@pytest.fixture
async def console(request: pytest.FixtureRequest, fresh_database_dsn: str, kafka_bootstrap: str,
                  topic_prefix: str) -> AsyncIterator[Console]:
    """A running console with the brand config of tests/console/brands (time zones and business
    hours of the analytics, no auto-assignment), or a test module's CONSOLE_BRAND_CONFIG."""
    # Only the topics the console produces to (not the whole registry): a third of the set-up time.
    kafka_settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix,
                                   partitions_override=TEST_PARTITIONS)
    settings = ConsoleSettings(
        kafka=kafka_settings, postgres=PostgresSettings(dsn=fresh_database_dsn, pool_max_size=8),
        http=HttpSettings(port=0), log_json=False,
        brand_config=getattr(request.module, "CONSOLE_BRAND_CONFIG", BRAND_CONFIG),
        # The tests talk plain http to 127.0.0.1: the development cookie switch, said explicitly.
        console=ConsoleOptions(live_poll_interval_s=0.1, login_max_failures=3, login_window_s=600,
                               insecure_dev_cookies=True))
    # publish's queue schema: the console reads it (publish writes it; factories.py plays publish)
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    await migrate_publish_schema(pool)
    try:
        async with serving(settings) as running:
            people = await add_team(pool)
            yield Console(base_url_of(running), pool, kafka_settings, people, settings, running.context.app)
    finally:
        await pool.close()


@asynccontextmanager
async def serving(settings: ConsoleSettings) -> AsyncIterator[RunningService]:
    """A console with these settings, started by serve() on 127.0.0.1."""
    spec = replace(build_spec(settings), topics=CONSOLE_TOPICS)
    stop = asyncio.Event()
    started: asyncio.Future[RunningService] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(serve(spec, settings, stop=stop, started=started.set_result))
    await asyncio.wait([started, running], return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        raise RuntimeError(f"console did not start: exit {running.result()}")
    try:
        yield started.result()
    finally:
        stop.set()
        await running


def base_url_of(running: RunningService) -> str:
    return f"http://127.0.0.1:{running.http_port}"
