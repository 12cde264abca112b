"""What the console asks publish for by event (replies.requested, incidents.actions,
posts.requested), recorded
in console_requests before it is produced.

A request commits with the person's action (same transaction), then is produced; once the
broker acknowledged it, `produced_at` is set. The relay (outbox.py) re-sends the ones left
unproduced (the broker did not answer, or the console stopped between commit and produce);
publish deduplicates by the request id, so a re-send of one that did arrive is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import Literal, TypeAlias

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.events import make_envelope
from mentionflow.events.incident_actions import IncidentAction
from mentionflow.events.posts_requested import PostRequested
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.kafka.producer import send_event
from mentionflow.settings import KafkaSettings

log = logging.getLogger(__name__)

PRODUCE_TIMEOUT_S = 10.0
RequestTopic = Literal["replies.requested", "incidents.actions", "posts.requested"]
Request: TypeAlias = ReplyRequested | IncidentAction | PostRequested
_MODELS: dict[str, type[Request]] = {"replies.requested": ReplyRequested, "incidents.actions": IncidentAction,
                                     "posts.requested": PostRequested}


async def record(conn: asyncpg.Connection, *, request_id: str, topic: RequestTopic, action: str,
                 payload: Request, item_id: uuid.UUID | None = None,
                 incident_id: str | None = None) -> datetime | None:
    """Record one request; returns when, or None when an identical one (same incident and
    action) was recorded first."""
    return await conn.fetchval(
        "INSERT INTO console_requests (request_id, topic, action, brand_id, item_id, incident_id, requested_by, "
        "payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT DO NOTHING RETURNING requested_at",
        request_id, topic, action, payload.brand_id, item_id, incident_id, payload.requested_by,
        payload.model_dump_json())


async def produce(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, topic_name: RequestTopic,
                  request_id: str, payload: Request) -> bool:
    """Produce one recorded request; False (logged) when the broker did not acknowledge it."""
    if isinstance(payload, ReplyRequested):
        correlation_id = payload.mention_id
    elif isinstance(payload, PostRequested):
        correlation_id = payload.post_id
    else:
        correlation_id = payload.incident_id
    envelope = make_envelope(topic_name, payload, brand_id=payload.brand_id, correlation_id=correlation_id)
    try:
        await asyncio.wait_for(send_event(producer, kafka, topic_name, envelope), PRODUCE_TIMEOUT_S)
    except Exception as exc:  # the relay retries; the person's request is safely recorded
        log.warning("%s for request %s not acknowledged (%s: %s); the relay will retry",
                    topic_name, request_id, type(exc).__name__, exc)
        return False
    await pool.execute("UPDATE console_requests SET produced_at = now() WHERE request_id = $1", request_id)
    return True


async def unproduced(pool: asyncpg.Pool, *, older_than_s: float, limit: int = 100
                     ) -> list[tuple[str, RequestTopic, Request]]:
    """Requests recorded more than `older_than_s` ago and not acknowledged by the broker yet."""
    rows = await pool.fetch(
        "SELECT request_id, topic, payload FROM console_requests WHERE produced_at IS NULL "
        "AND requested_at < now() - make_interval(secs => $1) ORDER BY requested_at LIMIT $2",
        older_than_s, limit)
    return [(r["request_id"], r["topic"], _MODELS[r["topic"]].model_validate_json(r["payload"])) for r in rows]
