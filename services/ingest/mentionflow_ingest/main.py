"""ingest service: wiring only. Not a Kafka consumer, so it does not use the Runner: it waits
for its dependencies, creates topics, migrates, starts the producer, the HTTP routes, one
poller task per brand account and the dedup recovery sweep, then drains on SIGTERM/SIGINT.

Normalisation, brand resolution and event encoding live in mentionflow.ingestion (the replay
CLI uses the same code); the X API client in mentionflow.xapi.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mentionflow.brandconfig import AgencyConfig, ConfigError, default_config_path, load_config
from mentionflow.db import create_pool, migrate
from mentionflow.http import HttpServer, create_app
from mentionflow.ingestion import BrandResolver
from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.logs import configure_logging
from mentionflow.metrics import catalog
from mentionflow.service import (
    DEPENDENCY_WAIT_S,
    EXIT_BAD_CONFIG,
    EXIT_DEPENDENCY,
    EXIT_OK,
    readiness_checks,
    wait_for_dependencies,
)
from mentionflow.xapi import RateLimitStatus, XSession
from mentionflow.xapi.quota import quota_observer

from mentionflow_ingest.http_api import mentions_router
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.poller import MentionPoller
from mentionflow_ingest.settings import IngestSettings
from mentionflow_ingest.webhook import webhook_router

log = logging.getLogger(__name__)

SERVICE = "ingest"
MIGRATIONS = Path(__file__).parent / "migrations"


def observe_x_call(endpoint: str, status: int | None, rate_limit: RateLimitStatus | None) -> None:
    catalog.INGEST_X_API_CALLS.labels(endpoint, str(status) if status else "network").inc()


def polled_accounts(config: AgencyConfig, only: list[str] | None) -> list[tuple[str, str | None]]:
    """(handle, X user id or None) of every brand account, each once, optionally filtered."""
    wanted = {h.lower().lstrip("@") for h in only} if only is not None else None
    seen: dict[str, tuple[str, str | None]] = {}
    for brand in config.brands.values():
        for account in brand.accounts:
            handle = account.handle.lstrip("@")
            if wanted is not None and handle.lower() not in wanted:
                continue
            seen.setdefault(handle.lower(), (handle, account.x_user_id))
    return list(seen.values())


class IngestService:
    """Everything the process runs, built in one place; `start()` then `stop()`."""

    def __init__(self, settings: IngestSettings, config: AgencyConfig) -> None:
        self.settings = settings
        self.config = config
        self.resolver = BrandResolver(config)
        self.stop_event = asyncio.Event()
        self.pool: asyncpg.Pool | None = None
        self.producer: AIOKafkaProducer | None = None
        self.http: HttpServer | None = None
        self.x_session: XSession | None = None
        self.ingestor: Ingestor | None = None
        self.pollers: list[MentionPoller] = []
        self.app: FastAPI | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self.settings
        # 1. dependencies, topics, schema
        await wait_for_dependencies(settings, needs_db=True, deadline_s=DEPENDENCY_WAIT_S)
        await ensure_topics(settings.kafka)
        self.pool = pool = await create_pool(settings.postgres)
        await migrate(pool, SERVICE, MIGRATIONS)
        # 2. clients
        self.producer = make_producer(settings.kafka, client_id=f"{settings.kafka.client_id_prefix}-{SERVICE}")
        await self.producer.start()
        self.ingestor = Ingestor(pool=pool, producer=self.producer, kafka=settings.kafka, dedup=settings.dedup)
        # 3. HTTP: ops routes + webhook + collectors
        self.app = app = create_app(SERVICE, readiness_checks(settings, pool))
        app.add_exception_handler(KafkaError, _unavailable)
        app.add_exception_handler(asyncpg.PostgresError, _unavailable)
        app.add_exception_handler(OSError, _unavailable)
        if settings.webhook.consumer_secret is not None:
            app.include_router(webhook_router(secret=settings.webhook.consumer_secret, ingestor=self.ingestor,
                                              resolver=self.resolver))
        else:
            log.warning("webhook off: no MENTIONFLOW_WEBHOOK__CONSUMER_SECRET")
        if not settings.http_api.api_keys:
            log.warning("POST /v1/mentions refuses every request: no MENTIONFLOW_HTTP_API__API_KEYS")
        app.include_router(mentions_router(api_keys=settings.http_api.api_keys, ingestor=self.ingestor,
                                           resolver=self.resolver, max_batch=settings.http_api.max_batch,
                                           max_body_bytes=settings.http_api.max_body_bytes))
        # 4. background work: recovery sweep first (orphans of a previous crash), then pollers
        self._tasks.append(asyncio.create_task(self.ingestor.run_sweeper(self.stop_event), name="sweeper"))
        await self._start_pollers()
        self.http = HttpServer(app, settings.http)
        await self.http.start()
        log.info("ingest serving http on %s:%d, polling %d accounts", settings.http.host, self.http.port,
                 len(self.pollers))

    async def _start_pollers(self) -> None:
        x = self.settings.x
        if not x.enabled:
            log.info("X polling disabled")
            return
        assert self.ingestor is not None and self.pool is not None
        self.x_session = XSession(x.api, observer=observe_x_call)
        await self.x_session.open()
        for handle, user_id in polled_accounts(self.config, x.accounts):
            credentials = x.credentials_for(handle, user_id)
            if credentials is None:
                log.warning("@%s not polled: no X credentials for it and no app-wide ones", handle)
                continue
            poller = MentionPoller(handle=handle, user_id=user_id, client=self.x_session.reader(
                credentials, observer=quota_observer(SERVICE, handle, also=observe_x_call)),
                                   ingestor=self.ingestor, pool=self.pool, resolver=self.resolver, settings=x)
            self.pollers.append(poller)
            self._tasks.append(asyncio.create_task(poller.run(self.stop_event), name=f"poll-{handle}"))

    async def stop(self) -> None:
        """Drain in order: stop pollers/sweep (bounded) → HTTP → X session → producer flush → pool."""
        self.stop_event.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.settings.drain_timeout_s)
            for task in pending:  # cut short: their claims stay pending for the sweep
                log.warning("task %s did not finish within the drain timeout; cancelling", task.get_name())
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.http is not None:
            await self.http.stop()
        if self.x_session is not None:
            await self.x_session.close()
        if self.producer is not None:
            await self.producer.stop()  # flushes pending sends
        if self.pool is not None:
            await self.pool.close()


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: dependency failure: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return JSONResponse(status_code=503, content={"detail": "a dependency is unavailable; retry later"})


async def serve(settings: IngestSettings) -> int:
    log.info("starting %s with settings %s", SERVICE, settings.redacted())
    try:
        config = load_config(settings.brand_config or default_config_path())
    except ConfigError as exc:
        log.error("brand config refused:\n%s", exc)
        return EXIT_BAD_CONFIG
    service = IngestService(settings, config)
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # handlers only set a flag
        loop.add_signal_handler(sig, stop_requested.set)
    try:
        await service.start()
    except RuntimeError as exc:  # dependencies unreachable
        log.error("%s", exc)
        await service.stop()
        return EXIT_DEPENDENCY
    await stop_requested.wait()
    log.info("%s stopping", SERVICE)
    await service.stop()
    log.info("%s stopped", SERVICE)
    return EXIT_OK


def main() -> None:
    settings = IngestSettings()
    configure_logging(SERVICE, settings.log_level, json=settings.log_json)
    sys.exit(asyncio.run(serve(settings)))


if __name__ == "__main__":
    main()
