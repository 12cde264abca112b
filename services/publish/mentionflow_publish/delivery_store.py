"""SQL for outgoing notifications and pages (publish_deliveries, publish_delivery_attempts).

A delivery is created once per idempotency key, inside the transaction of whatever caused it
(a queue row, an escalation step), so a crash either keeps both or neither. The delivery
loop claims due rows with a lease (FOR UPDATE SKIP LOCKED: replicas never claim the same
row at once), sends, and records the attempt and the outcome in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

_INSERT = """
INSERT INTO publish_deliveries (idempotency_key, kind, brand_id, channel, action, dedup_key, step,
                                body, source_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""

_CLAIM = """
UPDATE publish_deliveries d
SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
WHERE d.id IN (
    SELECT id FROM publish_deliveries
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.kind, d.brand_id, d.channel, d.action, d.dedup_key, d.step, d.body, d.attempts,
          d.source_at
"""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    kind: str
    brand_id: str
    channel: str
    action: str
    dedup_key: str | None
    step: int | None
    body: dict[str, Any]
    attempts: int
    source_at: datetime


async def add_delivery(
    conn: asyncpg.Connection,
    *,
    key: str,
    kind: str,
    brand_id: str,
    channel: str,
    action: str,
    body: dict[str, Any],
    source_at: datetime,
    dedup_key: str | None = None,
    step: int | None = None,
) -> bool:
    """Create the delivery unless one with `key` exists; True when created."""
    created = await conn.fetchval(_INSERT, key, kind, brand_id, channel, action, dedup_key, step,
                                  orjson.dumps(body).decode(), source_at)
    return created is not None


async def claim_due(pool: asyncpg.Pool, *, limit: int, lease_s: float) -> list[Delivery]:
    """Due pending deliveries, each leased for `lease_s` (a crash mid-send retries after it)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_CLAIM, limit, lease_s)
    return [Delivery(r["id"], r["kind"], r["brand_id"], r["channel"], r["action"], r["dedup_key"],
                     r["step"], orjson.loads(r["body"]), r["attempts"], r["source_at"]) for r in rows]


async def record_attempt(
    pool: asyncpg.Pool,
    delivery: Delivery,
    *,
    outcome: str,
    http_status: int | None,
    error: str | None,
    duration_ms: float,
    retry_in_s: float | None,
) -> datetime | None:
    """Record the attempt; outcome 'sent', 'failed' or 'retry' (then due in `retry_in_s`).
    Returns sent_at for a sent delivery."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO publish_delivery_attempts (delivery_id, attempt, http_status, error, duration_ms) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            delivery.id, delivery.attempts, http_status, error, duration_ms,
        )
        if outcome == "retry":
            await conn.execute(
                "UPDATE publish_deliveries SET next_attempt_at = now() + make_interval(secs => $2), "
                "last_status = $3, last_error = $4 WHERE id = $1",
                delivery.id, retry_in_s or 0.0, http_status, error,
            )
            return None
        return await conn.fetchval(
            "UPDATE publish_deliveries SET status = $2, last_status = $3, last_error = $4, "
            "sent_at = CASE WHEN $2 = 'sent' THEN now() END WHERE id = $1 RETURNING sent_at",
            delivery.id, outcome, http_status, error,
        )
