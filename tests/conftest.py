"""Session-wide real infrastructure: one Kafka broker and one PostgreSQL for the whole run.

`make test` starts them with `mentionflow infra up` and names the state folder in
MENTIONFLOW_TEST_INFRA_DIR; without it (an IDE, a single test) the session starts its own
stack in a temporary folder and stops it at the end. Tests isolate themselves with a unique
topic prefix and their own tables or schemas, never by restarting anything.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from mentionflow.kafka.admin import ensure_topics
from mentionflow.settings import KafkaSettings, PostgresSettings, RunnerSettings
from mentionflow_tools.infra import stack as infra_stack

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_PARTITIONS = 4

_STACK: infra_stack.Stack | None = None
_OWNED_DIR: Path | None = None


def _start_or_reuse() -> infra_stack.Stack:
    global _STACK, _OWNED_DIR
    if _STACK is None:
        named = os.environ.get("MENTIONFLOW_TEST_INFRA_DIR")
        if named:
            _STACK = infra_stack.load(Path(named))
        else:
            _OWNED_DIR = Path(tempfile.mkdtemp(prefix="mentionflow-test-"))
            _STACK = infra_stack.up(_OWNED_DIR, nodes=1)
    return _STACK


def pytest_report_header(config: pytest.Config) -> list[str]:
    stack = _start_or_reuse()
    return [
        f"kafka: {stack.kafka.bootstrap_servers}, version reported by the broker: {stack.kafka.broker_version()}",
        f"postgresql: {stack.postgres.dsn}, server version: {stack.postgres.server_version()}",
    ]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWNED_DIR is not None:
        infra_stack.down(_OWNED_DIR)
        shutil.rmtree(_OWNED_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def stack() -> infra_stack.Stack:
    return _start_or_reuse()


@pytest.fixture(scope="session")
def kafka_bootstrap(stack: infra_stack.Stack) -> str:
    return stack.kafka.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_dsn(stack: infra_stack.Stack) -> str:
    return stack.postgres.dsn


@pytest.fixture
def topic_prefix() -> str:
    """A prefix unique to one test, so its topics hold only its own messages."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
async def kafka_settings(kafka_bootstrap: str, topic_prefix: str) -> KafkaSettings:
    settings = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, partitions_override=TEST_PARTITIONS
    )
    await ensure_topics(settings)
    return settings


@pytest.fixture
def runner_settings() -> RunnerSettings:
    # Short timeouts keep rebalances quick in tests.
    return RunnerSettings(session_timeout_ms=6000, heartbeat_interval_ms=500, fetch_timeout_ms=100,
                          retry_initial_s=0.05, retry_max_s=0.5)


@pytest.fixture
def postgres_settings(postgres_dsn: str) -> PostgresSettings:
    return PostgresSettings(dsn=postgres_dsn)


@pytest.fixture
async def pg_schema(postgres_dsn: str) -> AsyncIterator[str]:
    """A schema of its own for one test; its DSN is `postgres_dsn` with search_path set."""
    name = f"s{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(postgres_dsn)
    await conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        await conn.execute(f"DROP SCHEMA {name} CASCADE")
        await conn.close()


@pytest.fixture
async def fresh_database_dsn(postgres_dsn: str) -> AsyncIterator[str]:
    """A new, empty database for one test (services use the public schema of their DSN)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        yield postgres_dsn.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield REPO_ROOT
