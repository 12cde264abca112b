"""ingest service: wiring only, as one spec for serve(). Beside the HTTP routes (webhook,
`POST /v1/mentions`) it runs the dedup recovery sweep, one poller task per brand account, the
daily account snapshots (followers, following, posts) and the tracked posts (engagement and
quote tweets of the brand's own posts) as background tasks. Its one consumer reads
`posts.published`, to know which posts to track (tracked_posts.py).

Normalisation, brand resolution and event encoding live in mentionflow.ingestion (the replay
CLI uses the same code); the X API client in mentionflow.xapi.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import Request
from fastapi.responses import JSONResponse
from mentionflow.brandconfig import AgencyConfig, ConfigError, default_config_path, load_config
from mentionflow.ingestion import BrandResolver
from mentionflow.logs import configure_logging
from mentionflow.metrics import catalog
from mentionflow.service import (
    EXIT_BAD_CONFIG,
    BackgroundTask,
    Migrations,
    ServiceContext,
    ServiceParts,
    ServiceSpec,
    run_service,
)
from mentionflow.xapi import RateLimitStatus, XClient, XCredentials, XSession
from mentionflow.xapi.quota import quota_observer

from mentionflow_ingest.http_api import mentions_router
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.poller import MentionPoller
from mentionflow_ingest.settings import IngestSettings
from mentionflow_ingest.snapshots import AccountSnapshotter, SnapshotAccount
from mentionflow_ingest.tracked_posts import PUBLISHED_TOPIC, PostTracker, PublishedPostsHandler
from mentionflow_ingest.webhook import webhook_router

log = logging.getLogger(__name__)

SERVICE = "ingest"
MIGRATIONS = (Migrations(SERVICE, Path(__file__).parent / "migrations"),)


def observe_x_call(endpoint: str, status: int | None, rate_limit: RateLimitStatus | None) -> None:
    catalog.INGEST_X_API_CALLS.labels(endpoint, str(status) if status else "network").inc()


def brand_accounts(config: AgencyConfig, only: list[str] | None) -> list[tuple[str, str, str | None]]:
    """(brand id, handle, X user id or None) of every brand account, each once (the first brand
    listing it), optionally filtered by handle."""
    wanted = {h.lower().lstrip("@") for h in only} if only is not None else None
    seen: dict[str, tuple[str, str, str | None]] = {}
    for brand_id, brand in config.brands.items():
        for account in brand.accounts:
            handle = account.handle.lstrip("@")
            if wanted is not None and handle.lower() not in wanted:
                continue
            seen.setdefault(handle.lower(), (brand_id, handle, account.x_user_id))
    return list(seen.values())


def polled_accounts(config: AgencyConfig, only: list[str] | None) -> list[tuple[str, str | None]]:
    """(handle, X user id or None) of every brand account, each once, optionally filtered."""
    return [(handle, user_id) for _brand_id, handle, user_id in brand_accounts(config, only)]


def tracks_posts(settings: IngestSettings) -> bool:
    return settings.x.enabled and settings.x.posts.enabled


def build_spec(settings: IngestSettings, config: AgencyConfig) -> ServiceSpec:
    resolver = BrandResolver(config)

    async def build(context: ServiceContext) -> ServiceParts:
        pool, app = context.pool, context.app
        assert pool is not None
        ingestor = Ingestor(pool=pool, producer=context.producer, kafka=settings.kafka, dedup=settings.dedup)
        app.add_exception_handler(KafkaError, _unavailable)
        app.add_exception_handler(asyncpg.PostgresError, _unavailable)
        app.add_exception_handler(OSError, _unavailable)
        if settings.webhook.consumer_secret is not None:
            app.include_router(webhook_router(secret=settings.webhook.consumer_secret, ingestor=ingestor,
                                              resolver=resolver))
        else:
            log.warning("webhook off: no MENTIONFLOW_WEBHOOK__CONSUMER_SECRET")
        if not settings.http_api.api_keys:
            log.warning("POST /v1/mentions refuses every request: no MENTIONFLOW_HTTP_API__API_KEYS")
        app.include_router(mentions_router(api_keys=settings.http_api.api_keys, ingestor=ingestor,
                                           resolver=resolver, max_batch=settings.http_api.max_batch,
                                           max_body_bytes=settings.http_api.max_body_bytes))
        # The recovery sweep first (orphans of a previous crash), then the pollers. A task cut
        # short at the drain timeout leaves its claims pending for the sweep.
        tasks = [BackgroundTask("sweeper", ingestor.run_sweeper)]
        tasks += await _pollers(settings, config, context, ingestor, resolver)
        log.info("ingest: %d background task(s) besides the sweeper", len(tasks) - 1)
        handler = PublishedPostsHandler(pool=pool, settings=settings.x.posts) if tracks_posts(settings) else None
        return ServiceParts(handler=handler, tasks=tasks)

    return ServiceSpec(name=SERVICE, build=build, migrations=MIGRATIONS,
                       consumes=(PUBLISHED_TOPIC,) if tracks_posts(settings) else (),
                       drain_timeout_s=settings.drain_timeout_s)


async def _pollers(settings: IngestSettings, config: AgencyConfig, context: ServiceContext, ingestor: Ingestor,
                   resolver: BrandResolver) -> list[BackgroundTask]:
    x = settings.x
    if not x.enabled:
        log.info("X polling disabled")
        return []
    assert context.pool is not None
    x_session = await context.resources.enter_async_context(XSession(x.api, observer=observe_x_call))
    tasks = []
    snapshot_accounts: list[SnapshotAccount] = []
    # One lookup client per set of credentials, so the snapshots batch the accounts sharing one.
    lookup_clients: dict[int, XClient] = {}
    for brand_id, handle, user_id in brand_accounts(config, x.accounts):
        credentials = x.credentials_for(handle, user_id)
        if credentials is None:
            log.warning("@%s not polled: no X credentials for it and no app-wide ones", handle)
            continue
        client = x_session.reader(credentials, observer=quota_observer(SERVICE, handle, also=observe_x_call))
        poller = MentionPoller(handle=handle, user_id=user_id, client=client, ingestor=ingestor,
                               pool=context.pool, resolver=resolver, settings=x)
        tasks.append(BackgroundTask(f"poll-{handle}", poller.run))
        snapshot_accounts.append(SnapshotAccount(brand_id, handle, user_id,
                                                 _lookup_client(lookup_clients, x_session, credentials)))
    if tracks_posts(settings):
        tracker = PostTracker(pool=context.pool, producer=context.producer, kafka=settings.kafka, ingestor=ingestor,
                              resolver=resolver, settings=x.posts, reader_for=_post_readers(settings, x_session))
        tasks.append(BackgroundTask("tracked-posts", tracker.run))
    if x.snapshots.enabled and snapshot_accounts:
        snapshotter = AccountSnapshotter(accounts=snapshot_accounts, producer=context.producer,
                                         pool=context.pool, kafka=settings.kafka, settings=x.snapshots)
        tasks.append(BackgroundTask("account-snapshots", snapshotter.run))
        log.info("daily snapshots of %d account(s)", len(snapshot_accounts))
    return tasks


def _post_readers(settings: IngestSettings, x_session: XSession) -> Callable[[str], XClient | None]:
    """The client reading a tracked post's counts and quotes: its account's credentials (or
    the app-wide ones), with the account's quota metrics; one per account."""
    readers: dict[str, XClient | None] = {}

    def reader_for(handle: str) -> XClient | None:
        key = handle.lower().lstrip("@")
        if key not in readers:
            credentials = settings.x.credentials_for(handle, None)
            readers[key] = None if credentials is None else x_session.reader(
                credentials, observer=quota_observer(SERVICE, handle.lstrip("@"), also=observe_x_call))
        return readers[key]

    return reader_for


def _lookup_client(clients: dict[int, XClient], x_session: XSession, credentials: XCredentials) -> XClient:
    # Keyed by identity: credentials come from the settings, one object per configured set.
    if id(credentials) not in clients:
        clients[id(credentials)] = x_session.reader(credentials, observer=observe_x_call)
    return clients[id(credentials)]


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: dependency failure: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return JSONResponse(status_code=503, content={"detail": "a dependency is unavailable; retry later"})


def main() -> None:
    settings = IngestSettings()
    try:
        config = load_config(settings.brand_config or default_config_path())
    except ConfigError as exc:
        configure_logging(SERVICE, settings.log_level, json=settings.log_json)
        log.error("brand config refused:\n%s", exc)
        sys.exit(EXIT_BAD_CONFIG)
    sys.exit(run_service(build_spec(settings, config), settings))


if __name__ == "__main__":
    main()
