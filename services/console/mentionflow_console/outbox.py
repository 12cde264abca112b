"""The relay: re-produce the requests (replies.requested, incidents.actions) the broker did not
acknowledge when they were made (see requests.py). publish deduplicates by request id, so a
re-send after a send that did arrive is harmless."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings

from mentionflow_console import requests

log = logging.getLogger(__name__)


async def resend_unproduced(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *,
                            older_than_s: float) -> int:
    """One pass; returns how many requests were re-sent and acknowledged."""
    sent = 0
    for request_id, topic_name, payload in await requests.unproduced(pool, older_than_s=older_than_s):
        if await requests.produce(pool, producer, kafka, topic_name, request_id, payload):
            sent += 1
            catalog.CONSOLE_OUTBOX_RESENT.inc()
    if sent:
        log.info("relay re-sent %d request(s)", sent)
    return sent


async def run_relay(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, interval_s: float,
                    older_than_s: float, stop: asyncio.Event) -> None:
    """Loop until `stop` is set; database hiccups are logged and retried on the next pass."""
    while not stop.is_set():
        try:
            await resend_unproduced(pool, producer, kafka, older_than_s=older_than_s)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("relay pass failed: %s: %s", type(exc).__name__, exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
