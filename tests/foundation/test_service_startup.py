"""serve(spec): a start-up that fails at any step returns that step's exit code and leaves nothing
open (pool, producer, HTTP server, what build opened, tasks, sockets); a clean run stops on its
flag, drains its background tasks and closes everything."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from mentionflow import service
from mentionflow.db import Migrations
from mentionflow.kafka.runner import BatchResult, IncomingMessage
from mentionflow.service import (
    EXIT_BUILD_FAILED,
    EXIT_HTTP_FAILED,
    EXIT_KAFKA_UNREACHABLE,
    EXIT_MIGRATION_FAILED,
    EXIT_OK,
    EXIT_POSTGRES_UNREACHABLE,
    BackgroundTask,
    RunningService,
    ServiceContext,
    ServiceParts,
    ServiceSpec,
    serve,
)
from mentionflow.settings import HttpSettings, KafkaSettings, PostgresSettings, RunnerSettings, ServiceSettings

from tests.helpers import eventually

SINK_MIGRATIONS = Path(__file__).parent / "sink_migrations"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens once the probe is closed


@dataclass
class Opened:
    """Every pool and producer serve() made, and a resource build registered."""

    pools: list[asyncpg.Pool] = field(default_factory=list)
    producers: list[AIOKafkaProducer] = field(default_factory=list)
    resource_closed: list[bool] = field(default_factory=list)

    def nothing_left_open(self) -> bool:
        return (all(p._closed for p in self.pools) and all(p._closed for p in self.producers)
                and all(self.resource_closed))


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[Opened]:
    seen = Opened()
    real_pool, real_producer = service.create_pool, service.make_producer

    async def create_pool(settings: PostgresSettings) -> asyncpg.Pool:
        pool = await real_pool(settings)
        seen.pools.append(pool)
        return pool

    def make_producer(settings: KafkaSettings, client_id: str, **overrides: Any) -> AIOKafkaProducer:
        producer = real_producer(settings, client_id, **overrides)
        seen.producers.append(producer)
        return producer

    monkeypatch.setattr(service, "create_pool", create_pool)
    monkeypatch.setattr(service, "make_producer", make_producer)
    yield seen


class _Sink:
    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        return BatchResult()


def _spec(*, migrations: Sequence[Migrations] = (), fail_build: bool = False, opened: Opened | None = None,
          ticks: list[int] | None = None) -> ServiceSpec:
    async def build(context: ServiceContext) -> ServiceParts:
        if opened is not None:  # a resource of the service's own, registered before failing
            index = len(opened.resource_closed)
            opened.resource_closed.append(False)
            context.resources.callback(opened.resource_closed.__setitem__, index, True)
        if fail_build:
            raise ValueError("bad wiring")

        async def tick(stopping: asyncio.Event) -> None:
            while not stopping.is_set():
                if ticks is not None:
                    ticks.append(1)
                try:
                    await asyncio.wait_for(stopping.wait(), 0.05)
                except TimeoutError:
                    pass

        return ServiceParts(handler=_Sink(), tasks=[BackgroundTask("tick", tick)])

    return ServiceSpec(name="startup-test", consumes=["mentions.raw"], build=build, migrations=migrations,
                       group_id="startup-test", topics=["mentions.raw"])


def _settings(kafka: KafkaSettings, dsn: str, *, http_port: int = 0) -> ServiceSettings:
    return ServiceSettings(kafka=kafka, postgres=PostgresSettings(dsn=dsn), http=HttpSettings(port=http_port),
                           runner=RunnerSettings(session_timeout_ms=6000, heartbeat_interval_ms=500,
                                                 fetch_timeout_ms=100),
                           startup_wait_s=0.5, log_json=False)


def _open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except FileNotFoundError:  # the listing's own descriptor, gone once listed
            pass
    return count


async def _serve_expecting_failure(spec: ServiceSpec, settings: ServiceSettings) -> int:
    tasks_before = asyncio.all_tasks()
    sockets_before = _open_sockets()
    code = await asyncio.wait_for(serve(spec, settings, stop=asyncio.Event()), 60)
    await asyncio.sleep(0)  # let closed transports drop their sockets
    assert asyncio.all_tasks() - tasks_before == set(), "a task outlived the failed start"
    assert _open_sockets() <= sockets_before, "a socket outlived the failed start"
    return code


async def test_database_down_exits_with_its_code_and_opens_nothing(
    kafka_settings: KafkaSettings, opened: Opened,
) -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere"
    code = await _serve_expecting_failure(_spec(migrations=[Migrations("sink", SINK_MIGRATIONS)], opened=opened),
                                          _settings(kafka_settings, dsn))
    assert code == EXIT_POSTGRES_UNREACHABLE
    assert opened.pools == [] and opened.producers == [] and opened.resource_closed == []


async def test_broker_down_exits_with_its_code_and_opens_nothing(fresh_database_dsn: str, opened: Opened) -> None:
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{_closed_port()}")
    code = await _serve_expecting_failure(_spec(migrations=[Migrations("sink", SINK_MIGRATIONS)]),
                                          _settings(kafka, fresh_database_dsn))
    assert code == EXIT_KAFKA_UNREACHABLE
    assert opened.pools == [] and opened.producers == []


async def test_a_failing_migration_exits_with_its_code_and_closes_the_pool(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, opened: Opened, tmp_path: Path,
) -> None:
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE half_done (id int);\nTHIS IS NOT SQL;\n")
    code = await _serve_expecting_failure(_spec(migrations=[Migrations("sink", SINK_MIGRATIONS),
                                                            Migrations("broken", tmp_path)]),
                                          _settings(kafka_settings, fresh_database_dsn))
    assert code == EXIT_MIGRATION_FAILED
    assert len(opened.pools) == 1 and opened.producers == [] and opened.nothing_left_open()
    conn = await asyncpg.connect(fresh_database_dsn)
    try:  # the first set applied, the broken one rolled back whole
        assert await conn.fetchval("SELECT to_regclass('runner_sink') IS NOT NULL")
        assert await conn.fetchval("SELECT to_regclass('half_done') IS NULL")
    finally:
        await conn.close()


async def test_a_failing_build_exits_with_its_code_and_closes_pool_producer_and_its_resources(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, opened: Opened,
) -> None:
    code = await _serve_expecting_failure(
        _spec(migrations=[Migrations("sink", SINK_MIGRATIONS)], fail_build=True, opened=opened),
        _settings(kafka_settings, fresh_database_dsn))
    assert code == EXIT_BUILD_FAILED
    assert len(opened.pools) == 1 and len(opened.producers) == 1 and opened.resource_closed == [True]
    assert opened.nothing_left_open()


async def test_a_taken_http_port_exits_with_its_code_and_closes_everything(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, opened: Opened,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code = await _serve_expecting_failure(
            _spec(migrations=[Migrations("sink", SINK_MIGRATIONS)], opened=opened),
            _settings(kafka_settings, fresh_database_dsn, http_port=taken.getsockname()[1]))
    assert code == EXIT_HTTP_FAILED
    assert len(opened.pools) == 1 and len(opened.producers) == 1 and opened.nothing_left_open()


def _ticked(ticks: list[int]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(ticks)

    return check


async def test_a_clean_run_stops_on_its_flag_and_closes_everything(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, opened: Opened,
) -> None:
    ticks: list[int] = []
    stop = asyncio.Event()
    started: asyncio.Future[RunningService] = asyncio.get_running_loop().create_future()
    tasks_before = asyncio.all_tasks()
    serving = asyncio.create_task(serve(_spec(migrations=[Migrations("sink", SINK_MIGRATIONS)], opened=opened,
                                              ticks=ticks),
                                        _settings(kafka_settings, fresh_database_dsn), stop=stop,
                                        started=started.set_result))
    running = await asyncio.wait_for(started, 60)
    assert running.http_port > 0 and running.context.pool is opened.pools[0]
    await eventually(_ticked(ticks), timeout_s=10, what="the background task running beside the consumer")
    stop.set()
    assert await asyncio.wait_for(serving, 30) == EXIT_OK
    assert opened.nothing_left_open() and opened.resource_closed == [True]
    assert asyncio.all_tasks() - tasks_before == set()
