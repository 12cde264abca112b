"""publish's entry point: the Kafka handler plus four background tasks, as one spec for serve().

    mentionflow-publish            (settings from MENTIONFLOW_* environment variables)

- the runner consumes mentions.routed, incidents, escalations, incidents.actions,
  replies.requested, accounts.snapshots, posts.requested and posts.metrics (group mentionflow-publish) into PostgreSQL;
- the delivery loop sends notifications and pages;
- the escalation timer pages the next step of unacknowledged escalations;
- the reply loop posts replies to X and reports them on replies.published;
- the post loop posts brand posts and threads at their time and reports them on posts.published
  (both loops are one outbox engine, x_outbox, over the same accounts and budgets);
- the state sampler exports queue and incident gauges and counts SLA breaches once.
All state lives in PostgreSQL, so any replica (or a restarted one) carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mentionflow import db
from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.service import BackgroundTask, Migrations, ServiceContext, ServiceParts, ServiceSpec, run_service
from mentionflow.xapi import XSession

from mentionflow_publish.channels import ChannelDirectory
from mentionflow_publish.delivery_worker import DeliveryWorker
from mentionflow_publish.escalation_store import tick
from mentionflow_publish.handler import CONSUMED_TOPICS, PublishHandler
from mentionflow_publish.post_store import PostOutbox
from mentionflow_publish.replies import ReplyDispatcher
from mentionflow_publish.sampler import StateSampler
from mentionflow_publish.settings import PublishSettings
from mentionflow_publish.x_outbox import XAccounts, XOutbox

log = logging.getLogger(__name__)

SERVICE = "publish"
# publish owns the CM queue's pipeline side (queue items, reply outbox, incidents, escalations),
# tracked as component "queue" since before it lived here, and its own bookkeeping on top.
MIGRATIONS = (
    Migrations("queue", Path(__file__).parent / "queue_migrations"),
    Migrations(SERVICE, Path(__file__).parent / "migrations"),
)
REPLY_DRAIN_S = 5.0


def every(name: str, interval_s: float, step: Callable[[], Awaitable[object]]) -> BackgroundTask:
    """A task that calls `step` every `interval_s` until stopping; a failing step is logged and retried."""

    async def run(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await step()
            except db.TRANSIENT_ERRORS as exc:
                log.warning("%s: %s: %s; retrying", name, type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=interval_s)

    return BackgroundTask(name, run)


def _brand_config(settings: PublishSettings) -> AgencyConfig | None:
    if settings.brand_config is None:
        return None
    return load_config(settings.brand_config)


async def build(context: ServiceContext) -> ServiceParts:
    pool, settings = context.pool, context.settings
    assert pool is not None and isinstance(settings, PublishSettings)
    brand_config = _brand_config(settings)
    channels = ChannelDirectory(settings, brand_config)
    x_session = await context.resources.enter_async_context(XSession(settings.x_api))
    deliveries = DeliveryWorker(pool, settings, channels)
    context.resources.push_async_callback(deliveries.close)
    accounts = XAccounts(settings, x_session)
    replies = ReplyDispatcher(pool, settings, accounts, context.producer, settings.kafka)
    offset = timedelta(seconds=settings.post_clock_offset_s)
    posts = XOutbox(pool, settings, accounts, PostOutbox(clock=lambda: datetime.now(UTC) + offset),
                    context.producer, settings.kafka)

    def outbox_task(name: str, outbox: XOutbox) -> BackgroundTask:
        async def run(stopping: asyncio.Event) -> None:
            await outbox.run(stopping)
            await outbox.drain(REPLY_DRAIN_S)  # in-flight posts finish; a cut one is reconciled later

        return BackgroundTask(name, run)

    async def escalation_tick() -> None:
        if await tick(pool, channels, now=datetime.now(UTC), minute_s=settings.escalation_minute_s):
            deliveries.wake()

    handler = PublishHandler(pool, settings, settings.kafka, channels,
                             wake_deliveries=deliveries.wake, wake_replies=replies.wake, wake_posts=posts.wake,
                             brand_config=brand_config)
    return ServiceParts(handler=handler, tasks=[
        BackgroundTask("deliveries", deliveries.run),
        outbox_task("replies", replies),
        outbox_task("posts", posts),
        every("escalation timer", settings.timer_interval_s, escalation_tick),
        every("state sampler", settings.sample_interval_s, StateSampler(pool).sample),
    ])


def spec(settings: PublishSettings) -> ServiceSpec:
    return ServiceSpec(name=SERVICE, consumes=CONSUMED_TOPICS, build=build, migrations=MIGRATIONS,
                       group_id=settings.group_id)


def main() -> None:
    settings = PublishSettings()
    sys.exit(run_service(spec(settings), settings))


if __name__ == "__main__":
    main()
