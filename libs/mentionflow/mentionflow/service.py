"""The runtime every consuming service shares: dependencies checked, everything built in one
place, signal handlers that only set a flag, run, then flush in explicit steps.

    settings = ClassifySettings()          # built in main(), frozen
    sys.exit(run_service(ServiceSpec(...), settings))
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from mentionflow.db import create_pool, migrate, ping
from mentionflow.heap import settle_heap
from mentionflow.http import HttpServer, ReadinessCheck, create_app
from mentionflow.kafka.admin import broker_reachable, ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import DlqLimitExceeded, Handler, Runner
from mentionflow.logs import configure_logging
from mentionflow.settings import ServiceSettings

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_DEPENDENCY = 2
EXIT_DLQ_LIMIT = 3
EXIT_BAD_CONFIG = 4  # the brand config is missing or refused
DEPENDENCY_WAIT_S = 60.0
@dataclass
class ServiceContext:
    """What a service's handler factory gets: shared clients, built and started here."""

    settings: ServiceSettings
    producer: AIOKafkaProducer
    pool: asyncpg.Pool | None
    app: FastAPI
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class ServiceSpec:
    name: str
    consumes: Sequence[str]
    build_handler: Callable[[ServiceContext], Awaitable[Handler]]
    migrations: Path | None = None  # None: the service does not use PostgreSQL
    group_id: str | None = None
    close: Callable[[ServiceContext], Awaitable[None]] | None = None


def readiness_checks(settings: ServiceSettings, pool: asyncpg.Pool | None) -> dict[str, ReadinessCheck]:
    """What /readyz asks of every service: the broker answers, and the database when it has one."""
    checks: dict[str, ReadinessCheck] = {"kafka": lambda: broker_reachable(settings.kafka)}
    if pool is not None:
        checks["postgres"] = lambda: ping(pool)
    return checks


async def wait_for_dependencies(settings: ServiceSettings, *, needs_db: bool, deadline_s: float) -> None:
    """Retry until Kafka (and PostgreSQL) answer, so start order does not matter."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline_s
    delay = 0.2
    while True:
        problems = []
        try:
            await broker_reachable(settings.kafka)
        except Exception as exc:
            problems.append(f"kafka: {type(exc).__name__}: {exc}")
        if needs_db:
            try:
                conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value(), timeout=5)
                await conn.close()
            except Exception as exc:
                problems.append(f"postgres: {type(exc).__name__}: {exc}")
        if not problems:
            return
        if loop.time() > give_up:
            raise RuntimeError("dependencies unreachable: " + "; ".join(problems))
        log.warning("waiting for dependencies: %s", "; ".join(problems))
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


async def serve(spec: ServiceSpec, settings: ServiceSettings) -> int:
    log.info("starting %s with settings %s", spec.name, settings.redacted())
    # 1. dependencies, before joining the group
    try:
        await wait_for_dependencies(settings, needs_db=spec.migrations is not None,
                                    deadline_s=DEPENDENCY_WAIT_S)
    except RuntimeError as exc:
        log.error("%s", exc)
        return EXIT_DEPENDENCY
    # 2. topics and schema, idempotently
    await ensure_topics(settings.kafka)
    pool = None
    if spec.migrations is not None:
        pool = await create_pool(settings.postgres)
        await migrate(pool, spec.name, spec.migrations)
    # 3. clients, handler, HTTP
    instance = settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"
    producer = make_producer(settings.kafka, client_id=f"{settings.kafka.client_id_prefix}-{spec.name}")
    await producer.start()
    app = create_app(spec.name, readiness_checks(settings, pool))
    context = ServiceContext(settings=settings, producer=producer, pool=pool, app=app)
    handler = await spec.build_handler(context)
    runner = Runner(
        service=spec.name,
        group_id=spec.group_id or f"mentionflow-{spec.name}",
        topics=spec.consumes,
        handler=handler,
        producer=producer,
        kafka=settings.kafka,
        settings=settings.runner,
        on_assigned=getattr(handler, "on_partitions_assigned", None),
        on_revoked=getattr(handler, "on_partitions_revoked", None),
        client_id=f"{settings.kafka.client_id_prefix}-{spec.name}-{instance}",
    )
    http = HttpServer(app, settings.http)
    await http.start()
    log.info("%s serving http on %s:%d", spec.name, settings.http.host, http.port)
    settle_heap()
    # 4. signals only set a flag; the runner drains on its own
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runner.stop)
    exit_code = EXIT_OK
    try:
        await runner.run()
    except DlqLimitExceeded as exc:
        log.error("%s stopped by the DLQ limit: %s", spec.name, exc)
        exit_code = EXIT_DLQ_LIMIT
    finally:
        # 5. flush in order: handler sinks → producer → pool → http
        if spec.close is not None:
            await spec.close(context)
        await producer.stop()  # flushes pending sends
        if pool is not None:
            await pool.close()
        await http.stop()
    log.info("%s stopped (exit %d)", spec.name, exit_code)
    return exit_code


def run_service(spec: ServiceSpec, settings: ServiceSettings) -> int:
    configure_logging(spec.name, settings.log_level, json=settings.log_json)
    return asyncio.run(serve(spec, settings))
