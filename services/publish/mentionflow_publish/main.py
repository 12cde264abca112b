"""publish's entry point: the Kafka handler plus three background loops in one process.

    mentionflow-publish            (settings from MENTIONFLOW_* environment variables)

- the runner consumes mentions.routed, incidents, escalations and replies.requested
  (group mentionflow-publish) into PostgreSQL;
- the delivery loop sends notifications and pages;
- the escalation timer pages the next step of unacknowledged escalations;
- the reply loop posts replies to X and reports them on replies.published.
All state lives in PostgreSQL, so any replica (or a restarted one) carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from mentionflow import queue
from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.db import migrate
from mentionflow.service import ServiceContext, ServiceSpec, run_service
from mentionflow.xapi import XSession

from mentionflow_publish.channels import ChannelDirectory
from mentionflow_publish.delivery_worker import DeliveryWorker
from mentionflow_publish.escalation_store import tick
from mentionflow_publish.handler import CONSUMED_TOPICS, PublishHandler
from mentionflow_publish.replies import ReplyDispatcher
from mentionflow_publish.sampler import StateSampler
from mentionflow_publish.settings import PublishSettings

log = logging.getLogger(__name__)

SERVICE = "publish"
MIGRATIONS = Path(__file__).parent / "migrations"
LOOP_DRAIN_S = 5.0


async def _keep_running(name: str, stopping: asyncio.Event, interval_s: float,
                        step: Callable[[], Awaitable[object]]) -> None:
    """Call `step` every `interval_s` until stopping; a failing step is logged and retried."""
    while not stopping.is_set():
        try:
            await step()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("%s: %s: %s; retrying", name, type(exc).__name__, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval_s)


class Background:
    """The loops next to the runner; started by the handler factory, stopped at shutdown."""

    def __init__(self, pool: asyncpg.Pool, settings: PublishSettings, context: ServiceContext,
                 channels: ChannelDirectory) -> None:
        self.settings = settings
        self.stopping = asyncio.Event()
        self.x_session = XSession(settings.x_api)
        self.deliveries = DeliveryWorker(pool, settings, channels)
        self.replies = ReplyDispatcher(pool, settings, self.x_session, context.producer, settings.kafka)
        self._pool = pool
        self._channels = channels
        self.sampler = StateSampler(pool)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.x_session.open()
        self._tasks = [
            asyncio.create_task(self.deliveries.run(self.stopping), name="publish:deliveries"),
            asyncio.create_task(self.replies.run(self.stopping), name="publish:replies"),
            asyncio.create_task(_keep_running("escalation timer", self.stopping, self.settings.timer_interval_s,
                                              self._tick), name="publish:escalation-timer"),
            asyncio.create_task(_keep_running("state sampler", self.stopping, self.settings.sample_interval_s,
                                              self.sampler.sample), name="publish:sampler"),
        ]

    async def _tick(self) -> None:
        if await tick(self._pool, self._channels, now=datetime.now(UTC),
                      minute_s=self.settings.escalation_minute_s):
            self.deliveries.wake()

    async def stop(self) -> None:
        self.stopping.set()
        await self.replies.drain(LOOP_DRAIN_S)
        _, pending = await asyncio.wait(self._tasks, timeout=LOOP_DRAIN_S) if self._tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.deliveries.close()
        await self.x_session.close()


def _brand_config(settings: PublishSettings) -> AgencyConfig | None:
    if settings.brand_config is None:
        return None
    return load_config(settings.brand_config)


async def build(context: ServiceContext) -> PublishHandler:
    assert context.pool is not None
    settings = context.settings
    assert isinstance(settings, PublishSettings)
    # The queue schema is shared with the console (component "queue"); ours comes on top.
    await migrate(context.pool, queue.COMPONENT, queue.MIGRATIONS)
    channels = ChannelDirectory(settings, _brand_config(settings))
    background = Background(context.pool, settings, context, channels)
    await background.start()
    context.extras["background"] = background
    return PublishHandler(context.pool, settings, settings.kafka, channels,
                          wake_deliveries=background.deliveries.wake, wake_replies=background.replies.wake)


async def close(context: ServiceContext) -> None:
    background: Background | None = context.extras.get("background")
    if background is not None:
        await background.stop()


def spec(settings: PublishSettings) -> ServiceSpec:
    return ServiceSpec(name=SERVICE, consumes=CONSUMED_TOPICS, build_handler=build, migrations=MIGRATIONS,
                       group_id=settings.group_id, close=close)


def main() -> None:
    settings = PublishSettings()
    sys.exit(run_service(spec(settings), settings))


if __name__ == "__main__":
    main()
