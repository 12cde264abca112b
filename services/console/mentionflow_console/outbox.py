"""The outbox relay: re-produce replies.requested for outbox rows still 'requested' a while
after they were written (the broker did not acknowledge the first send, or the console
stopped between commit and produce). publish deduplicates by reply_id, so a re-send after a
send that did arrive is harmless."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings

from mentionflow_console import repository
from mentionflow_console.actions import produce_reply

log = logging.getLogger(__name__)


async def resend_stale_requests(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *,
                                older_than_s: float) -> int:
    """One pass; returns how many events were re-sent and acknowledged."""
    sent = 0
    for row in await repository.stale_requested_replies(pool, older_than_s=older_than_s):
        await repository.mark_resent(pool, reply_id=row["reply_id"])
        if await produce_reply(producer, kafka, ReplyRequested(**dict(row))):
            sent += 1
            catalog.CONSOLE_OUTBOX_RESENT.inc()
    if sent:
        log.info("outbox relay re-sent %d replies.requested event(s)", sent)
    return sent


async def run_relay(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, interval_s: float,
                    older_than_s: float, stop: asyncio.Event) -> None:
    """Loop until `stop` is set; database hiccups are logged and retried on the next pass."""
    while not stop.is_set():
        try:
            await resend_stale_requests(pool, producer, kafka, older_than_s=older_than_s)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox relay pass failed: %s: %s", type(exc).__name__, exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
