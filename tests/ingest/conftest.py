"""Ingest test fixtures: a two-brand config, the fake X API, and the service's parts wired to
the real Kafka and PostgreSQL (in-process; test_service_process.py runs the real process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.db import migrate_all
from mentionflow.events import decode
from mentionflow.ingestion import BrandResolver
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import XApiSettings, XCredentials, XSession
from mentionflow_ingest.main import MIGRATIONS
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.settings import DedupSettings, XPollingSettings
from mentionflow_tools.fakex import AddMentions, FakeTweet, FakeUser, FakeXServer, FakeXState
from pydantic import SecretStr

from tests.helpers import read_all

ACME = FakeUser(id="2001", username="AcmeHelp", name="Acme", followers=50_000, verified=True)
GLOBEX = FakeUser(id="2002", username="GlobexCare", name="Globex", followers=20_000)
FAN = FakeUser(id="3001", username="lea_m42", name="Léa M", followers=87)
STAR = FakeUser(id="3002", username="bigvoice", name="Big Voice", followers=1_250_000, verified=True)

CONFIG: dict[str, Any] = {
    "agency": {"id": "agency", "name": "Agency", "time_zone": "UTC"},
    "sla": {p: {"minutes": m, "clock": "always"} for p, m in (("P1", 30), ("P2", 60), ("P3", 240), ("P4", 600))},
    "people": {"ann": {"name": "Ann"}},
    "teams": {"care": {"name": "Care", "members": ["ann"]}},
    "queues": {"acme-care": {"team": "care", "brand": "acme"}, "globex-care": {"team": "care", "brand": "globex"}},
    "brands": {
        "acme": {"name": "Acme", "accounts": [{"handle": "AcmeHelp", "x_user_id": ACME.id}],
                 "languages": ["en"], "time_zone": "UTC"},
        "globex": {"name": "Globex", "accounts": [{"handle": "GlobexCare", "x_user_id": GLOBEX.id}],
                   "languages": ["en", "fr"], "time_zone": "UTC"},
    },
}


@pytest.fixture(scope="session")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ingest-config") / "agency.yaml"
    path.write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def config(config_path: Path) -> AgencyConfig:
    return load_config(config_path)


@pytest.fixture(scope="session")
def resolver(config: AgencyConfig) -> BrandResolver:
    return BrandResolver(config)


@pytest.fixture(scope="session")
async def fake_x() -> AsyncIterator[FakeXServer]:
    async with FakeXServer(FakeXState(accounts=[ACME, GLOBEX])) as server:
        yield server


@pytest.fixture
async def fake(fake_x: FakeXServer) -> FakeXServer:
    fake_x.state.reset()
    fake_x.state.add_mentions(AddMentions(users=[FAN, STAR]))
    return fake_x


@pytest.fixture(scope="session")
async def x_session(fake_x: FakeXServer) -> AsyncIterator[XSession]:
    async with XSession(XApiSettings(base_url=fake_x.base_url, timeout_s=5)) as session:
        yield session


CREDENTIALS = XCredentials(bearer_token=SecretStr("test-app-bearer"))


def polling_settings(**overrides: Any) -> XPollingSettings:
    values: dict[str, Any] = {"credentials": CREDENTIALS, "poll_interval_s": 0.2, "max_results": 10,
                              "backoff_initial_s": 0.3, "backoff_max_s": 2.0, **overrides}
    return XPollingSettings(**values)


@pytest.fixture
async def pool(fresh_database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=5)
    await migrate_all(pool, MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    producer = make_producer(kafka_settings, client_id="ingest-test")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def ingestor(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka_settings: KafkaSettings) -> Ingestor:
    return Ingestor(pool=pool, producer=producer, kafka=kafka_settings, dedup=DedupSettings(stale_after_s=30))


def add_tweets(fake: FakeXServer, texts: list[str], *, author: FakeUser = FAN,
               mentioned: tuple[FakeUser, ...] = (ACME,), **fields: Any) -> list[str]:
    """Store one tweet per text mentioning `mentioned`; returns their ids (oldest first)."""
    tweets = [FakeTweet(text=text, author_id=author.id, lang="en", mentioned_user_ids=[m.id for m in mentioned],
                        **fields) for text in texts]
    return fake.state.add_mentions(AddMentions(tweets=tweets))


async def raw_events(kafka: KafkaSettings, *, expect: int, timeout_s: float = 10.0) -> list[Any]:
    """Decoded mentions.raw envelopes: waits for `expect`, then briefly for any extra one."""
    records = await read_all(kafka, kafka.physical("mentions.raw"), expect=expect, timeout_s=timeout_s)
    return [decode("mentions.raw", r.value) for r in records]


async def raw_count(kafka: KafkaSettings) -> int:
    from tests.helpers import end_offsets

    return sum((await end_offsets(kafka, "mentions.raw")).values())
