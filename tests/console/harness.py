"""Harness: a console per test: its own database, real Kafka topics, the app served by uvicorn on
127.0.0.1 (real sockets, so streaming responses behave as in production)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from mentionflow.http import HttpServer
from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import HttpSettings, KafkaSettings, PostgresSettings
from mentionflow_console.app import build_app
from mentionflow_console.settings import ConsoleOptions, ConsoleSettings

from tests.conftest import TEST_PARTITIONS
from tests.console.factories import People, add_team, migrate_all


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
    # Only the topic the console produces to (not the whole registry): a third of the set-up time.
    kafka_settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix,
                                   partitions_override=TEST_PARTITIONS)
    await ensure_topics(kafka_settings, ["replies.requested", "labels.corrected"])
    settings = ConsoleSettings(
        kafka=kafka_settings, postgres=PostgresSettings(dsn=fresh_database_dsn), http=HttpSettings(port=0),
        console=ConsoleOptions(live_poll_interval_s=0.1, login_max_failures=3, login_window_s=600))
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=8)
    await migrate_all(pool)
    people = await add_team(pool)
    producer = make_producer(kafka_settings, client_id="console-tests")
    await producer.start()
    server = HttpServer(build_app(settings=settings, pool=pool, producer=producer), settings.http)
    await server.start()
    try:
        yield Console(f"http://127.0.0.1:{server.port}", pool, kafka_settings, people, settings)
    finally:
        await server.stop()
        await producer.stop()
        await pool.close()
