"""Harness: a console per test, run by the same serve() as in production: its own database, real
Kafka topics, the app served by uvicorn on 127.0.0.1 (real sockets, so streaming responses behave
as in production)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import asyncpg
import httpx
import pytest
from mentionflow.service import RunningService, serve
from mentionflow.settings import HttpSettings, KafkaSettings, PostgresSettings
from mentionflow_console.main import build_spec
from mentionflow_console.settings import ConsoleOptions, ConsoleSettings

from tests.conftest import TEST_PARTITIONS
from tests.console.factories import People, add_team, migrate_publish_schema

CONSOLE_TOPICS = ("replies.requested", "incidents.actions")


@dataclass
class Console:
    base_url: str
    pool: asyncpg.Pool
    kafka: KafkaSettings
    people: People
    settings: ConsoleSettings

    def client(self, username: str | None = None) -> httpx.AsyncClient:
        headers = self.people.auth(username) if username else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10.0)


@pytest.fixture
async def console(fresh_database_dsn: str, kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[Console]:
    # Only the topics the console produces to (not the whole registry): a third of the set-up time.
    kafka_settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix,
                                   partitions_override=TEST_PARTITIONS)
    settings = ConsoleSettings(
        kafka=kafka_settings, postgres=PostgresSettings(dsn=fresh_database_dsn, pool_max_size=8),
        http=HttpSettings(port=0), log_json=False,
        console=ConsoleOptions(live_poll_interval_s=0.1, login_max_failures=3, login_window_s=600))
    # publish's queue schema: the console reads it (publish writes it; factories.py plays publish)
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    await migrate_publish_schema(pool)
    spec = replace(build_spec(settings), topics=CONSOLE_TOPICS)
    stop = asyncio.Event()
    started: asyncio.Future[RunningService] = asyncio.get_running_loop().create_future()
    serving = asyncio.create_task(serve(spec, settings, stop=stop, started=started.set_result))
    await asyncio.wait([started, serving], return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        await pool.close()
        raise RuntimeError(f"console did not start: exit {serving.result()}")
    running = started.result()
    people = await add_team(pool)
    try:
        yield Console(f"http://127.0.0.1:{running.http_port}", pool, kafka_settings, people, settings)
    finally:
        stop.set()
        await serving
        await pool.close()
