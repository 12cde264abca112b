"""The one runtime of every service: dependencies checked, everything built in one place, signal
handlers that only set a flag, run, then close in reverse order of opening.

    settings = ClassifySettings()          # built in main(), frozen
    sys.exit(run_service(ServiceSpec(...), settings))

A spec names what a service needs: the topics it consumes (none for a pure HTTP service), its
migration sets, and a `build` step that wires its handler, its background tasks and its HTTP
routes from the shared clients. `serve` opens each resource inside one AsyncExitStack, so a
start-up that fails at any step closes exactly what it had opened (pool, producer, HTTP server,
whatever `build` registered) and returns the exit code of that step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import uvloop
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import FastAPI

from mentionflow.db import Migrations, create_pool, migrate, ping
from mentionflow.heap import collect_periodically, settle_heap
from mentionflow.http import HttpServer, ReadinessCheck, create_app
from mentionflow.kafka.admin import broker_reachable, ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import DlqLimitExceeded, Handler, Runner
from mentionflow.logs import configure_logging
from mentionflow.settings import ServiceSettings

log = logging.getLogger(__name__)

# Exit codes: one per way a service can end, so a supervisor (or a person) knows which step failed.
EXIT_OK = 0
EXIT_KAFKA_UNREACHABLE = 2  # the broker did not answer within the start-up wait (or failed while starting)
EXIT_DLQ_LIMIT = 3  # the runner stopped rather than dead-letter everything
EXIT_BAD_CONFIG = 4  # a configuration file was refused
EXIT_POSTGRES_UNREACHABLE = 5  # the database did not answer within the start-up wait
EXIT_MIGRATION_FAILED = 6  # a migration did not apply
EXIT_BUILD_FAILED = 7  # the service's own wiring (handler, routes, tasks) raised
EXIT_HTTP_FAILED = 8  # the HTTP server could not start (port taken, bad host)


@dataclass(frozen=True)
class BackgroundTask:
    """A loop that runs beside the consumer and the HTTP app. `run(stopping)` returns soon after
    `stopping` is set; one still running after the drain timeout is cancelled."""

    name: str
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceParts:
    """What a service's `build` wires: the consumer's handler (only when the spec consumes
    topics) and its background tasks."""

    handler: Handler | None = None
    tasks: Sequence[BackgroundTask] = ()


@dataclass
class ServiceContext:
    """What `build` gets: the shared clients, opened here. A resource `build` opens itself is
    registered on `resources` (an AsyncExitStack) so it is closed on every path out."""

    settings: ServiceSettings
    producer: AIOKafkaProducer
    pool: asyncpg.Pool | None
    app: FastAPI
    resources: contextlib.AsyncExitStack


@dataclass
class ServiceSpec:
    name: str
    build: Callable[[ServiceContext], Awaitable[ServiceParts]]
    consumes: Sequence[str] = ()
    migrations: Sequence[Migrations] = ()  # empty: the service does not use PostgreSQL
    group_id: str | None = None
    topics: Sequence[str] | None = None  # created at start-up; None: every registered topic
    drain_timeout_s: float | None = None  # bound on stopping background tasks; None: the runner's
    app_options: dict[str, Any] = field(default_factory=dict)  # FastAPI(title=…, description=…, …)

    @property
    def needs_db(self) -> bool:
        return bool(self.migrations)


@dataclass
class RunningService:
    """Handed to `serve(..., started=...)` once everything is up (tests use it)."""

    context: ServiceContext
    http_port: int


class StartupFailed(Exception):
    def __init__(self, step: str, exit_code: int, cause: BaseException) -> None:
        super().__init__(f"{step}: {type(cause).__name__}: {cause}")
        self.step = step
        self.exit_code = exit_code


class DependencyUnreachable(RuntimeError):
    def __init__(self, exit_code: int, problems: list[str]) -> None:
        super().__init__("dependencies unreachable: " + "; ".join(problems))
        self.exit_code = exit_code


def readiness_checks(settings: ServiceSettings, pool: asyncpg.Pool | None) -> dict[str, ReadinessCheck]:
    """What /readyz asks of every service: the broker answers, and the database when it has one."""
    checks: dict[str, ReadinessCheck] = {"kafka": lambda: broker_reachable(settings.kafka)}
    if pool is not None:
        checks["postgres"] = lambda: ping(pool)
    return checks


async def wait_for_dependencies(settings: ServiceSettings, *, needs_db: bool, deadline_s: float) -> None:
    """Retry until Kafka (and PostgreSQL) answer, so start order does not matter. Raises
    DependencyUnreachable with the exit code of the first one still down at the deadline."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline_s
    delay = 0.2
    while True:
        problems: list[str] = []
        codes: list[int] = []
        try:
            await broker_reachable(settings.kafka)
        except Exception as exc:
            problems.append(f"kafka: {type(exc).__name__}: {exc}")
            codes.append(EXIT_KAFKA_UNREACHABLE)
        if needs_db:
            try:
                conn = await asyncpg.connect(settings.postgres.dsn.get_secret_value(), timeout=5)
                await conn.close()
            except Exception as exc:
                problems.append(f"postgres: {type(exc).__name__}: {exc}")
                codes.append(EXIT_POSTGRES_UNREACHABLE)
        if not problems:
            return
        if loop.time() > give_up:
            raise DependencyUnreachable(codes[0], problems)
        log.warning("waiting for dependencies: %s", "; ".join(problems))
        await asyncio.sleep(min(delay, max(0.0, give_up - loop.time())))
        delay = min(delay * 2, 5.0)


async def _step(step: str, exit_code: int, action: Awaitable[Any]) -> Any:
    try:
        return await action
    except Exception as exc:
        raise StartupFailed(step, exit_code, exc) from exc


async def _start(spec: ServiceSpec, settings: ServiceSettings, stack: contextlib.AsyncExitStack,
                 stopping: asyncio.Event) -> tuple[ServiceContext, Runner | None, int]:
    """Open everything in order, each closer pushed on `stack` as soon as its resource exists."""
    # 1. dependencies, before joining the group
    try:
        await wait_for_dependencies(settings, needs_db=spec.needs_db, deadline_s=settings.startup_wait_s)
    except DependencyUnreachable as exc:
        raise StartupFailed("dependencies", exc.exit_code, exc) from exc
    # 2. topics and schema, idempotently
    await _step("topics", EXIT_KAFKA_UNREACHABLE, ensure_topics(settings.kafka, spec.topics))
    pool = None
    if spec.needs_db:
        pool = await _step("database pool", EXIT_POSTGRES_UNREACHABLE, create_pool(settings.postgres))
        stack.push_async_callback(pool.close)
        for migrations in spec.migrations:
            await _step(f"migrations {migrations.component}", EXIT_MIGRATION_FAILED,
                        migrate(pool, migrations.component, migrations.folder))
    # 3. clients, then the service's own wiring
    producer = make_producer(settings.kafka, client_id=f"{settings.kafka.client_id_prefix}-{spec.name}")
    stack.push_async_callback(producer.stop)  # flushes pending sends; safe on a producer never started
    await _step("producer", EXIT_KAFKA_UNREACHABLE, producer.start())
    app = create_app(spec.name, readiness_checks(settings, pool), **spec.app_options)
    context = ServiceContext(settings=settings, producer=producer, pool=pool, app=app, resources=stack)
    parts: ServiceParts = await _step("build", EXIT_BUILD_FAILED, spec.build(context))
    if spec.consumes and parts.handler is None:
        raise StartupFailed("build", EXIT_BUILD_FAILED, ValueError(f"{spec.name} consumes but built no handler"))
    # 4. HTTP, then the background tasks (stopped first, before HTTP and the clients close)
    http = HttpServer(app, settings.http)
    stack.push_async_callback(http.stop)
    await _step("http", EXIT_HTTP_FAILED, http.start())
    drain_s = spec.drain_timeout_s or settings.runner.shutdown_timeout_s
    tasks = [asyncio.create_task(task.run(stopping), name=f"{spec.name}:{task.name}") for task in parts.tasks]
    for task in tasks:
        task.add_done_callback(_log_failure)
    stack.push_async_callback(_stop_tasks, tasks, stopping, drain_s)
    # 5. the consumer, last: it exists only once nothing else can fail (run() closes it)
    runner = None
    if spec.consumes:
        assert parts.handler is not None
        instance = settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"
        runner = Runner(
            service=spec.name,
            group_id=spec.group_id or f"mentionflow-{spec.name}",
            topics=spec.consumes,
            handler=parts.handler,
            producer=producer,
            kafka=settings.kafka,
            settings=settings.runner,
            on_assigned=getattr(parts.handler, "on_partitions_assigned", None),
            on_revoked=getattr(parts.handler, "on_partitions_revoked", None),
            restore=getattr(parts.handler, "restore_partitions", None),
            client_id=f"{settings.kafka.client_id_prefix}-{spec.name}-{instance}",
        )
    return context, runner, http.port


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())


async def _stop_tasks(tasks: list[asyncio.Task[None]], stopping: asyncio.Event, timeout_s: float) -> None:
    stopping.set()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        log.warning("task %s did not finish within %.1f s; cancelling", task.get_name(), timeout_s)
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def serve(spec: ServiceSpec, settings: ServiceSettings, *, stop: asyncio.Event | None = None,
                started: Callable[[RunningService], None] | None = None) -> int:
    """Run the service until `stop` is set (by default: SIGTERM or SIGINT), then drain and close
    everything in reverse order. Returns the exit code; a failed start-up returns its step's
    code with nothing left open."""
    log.info("starting %s with settings %s", spec.name, settings.redacted())
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()  # tells the background tasks to finish
    async with contextlib.AsyncExitStack() as stack:
        if stop is None:  # a process of its own: signals only set a flag
            stop = asyncio.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
                stack.callback(loop.remove_signal_handler, sig)
        try:
            context, runner, port = await _start(spec, settings, stack, stopping)
        except StartupFailed as exc:
            log.error("%s did not start: %s", spec.name, exc)
            return exc.exit_code
        log.info("%s serving http on %s:%d", spec.name, settings.http.host, port)
        settle_heap()
        collector = asyncio.create_task(collect_periodically(), name=f"{spec.name}:gc")
        stack.callback(collector.cancel)
        if started is not None:
            started(RunningService(context, port))
        exit_code = await _run(spec, runner, stop)
    log.info("%s stopped (exit %d)", spec.name, exit_code)
    return exit_code


async def _run(spec: ServiceSpec, runner: Runner | None, stop: asyncio.Event) -> int:
    """Wait for the stop flag; a consumer drains its in-flight batches and commits first."""
    if runner is None:
        await stop.wait()
        log.info("%s stopping", spec.name)
        return EXIT_OK
    stop_watch = asyncio.create_task(stop.wait())
    stop_watch.add_done_callback(lambda _: runner.stop())
    try:
        await runner.run()
    except DlqLimitExceeded as exc:
        log.error("%s stopped by the DLQ limit: %s", spec.name, exc)
        return EXIT_DLQ_LIMIT
    except KafkaError as exc:  # the consumer could not join (the broker went away after start-up)
        log.error("%s consumer failed: %s: %s", spec.name, type(exc).__name__, exc)
        return EXIT_KAFKA_UNREACHABLE
    finally:
        stop_watch.cancel()
    return EXIT_OK


def run_service(spec: ServiceSpec, settings: ServiceSettings) -> int:
    configure_logging(spec.name, settings.log_level, json=settings.log_json)
    # uvloop's event loop and transports (libuv, in C) cost less per socket read and write
    # than asyncio's selector loop, and every mention is a few of those in each service.
    return uvloop.run(serve(spec, settings))
