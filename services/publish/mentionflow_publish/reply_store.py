"""SQL for the reply outbox (reply_outbox, which publish alone writes; the console reads it)
and publish's schedule of it (publish_reply_state).

Status: requested → pending (committed BEFORE the post to X) → sent (tweet id) | failed
(reason). A row found 'pending' by anyone not holding its lock means a post may have reached
X: it is reconciled against the account's tweets before any new attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from mentionflow.events import make_envelope
from mentionflow.events.envelope import Envelope
from mentionflow.events.replies_published import ReplyPublished
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.metrics import catalog as m

from mentionflow_publish.x_outbox import OutboxItem, Part

# Session-level advisory locks (two-int form, key space separate from the migration lock):
# held on one connection for the whole check-post-record sequence of one reply; PostgreSQL
# drops it the moment that connection dies, so a crashed poster never blocks a retry.
REPLY_LOCK_CLASS = 0x7270  # "rp"

_INSERT_REQUEST = """
INSERT INTO reply_outbox (reply_id, brand_id, mention_id, queue_item_id, account_handle,
                          in_reply_to_external_id, text, requested_by, requested_at)
SELECT $1, $2, $3, (SELECT id FROM queue_items WHERE mention_id = $3 LIMIT 1), $4, $5, $6, $7, $8
ON CONFLICT (reply_id) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    reply_id: str
    brand_id: str
    mention_id: str
    account_handle: str
    in_reply_to_external_id: str
    text: str
    status: str
    requested_at: datetime
    attempts: int

    # ---- as an outbox item (x_outbox): one part, a reply to the mention -------------------
    @property
    def key(self) -> str:
        return self.reply_id

    @property
    def open(self) -> bool:
        return self.status in ("requested", "pending")

    @property
    def in_flight(self) -> bool:
        return self.status == "pending"

    @property
    def reconcile_since(self) -> datetime:
        return self.requested_at

    @property
    def latency_from(self) -> datetime:
        return self.requested_at

    def next_part(self) -> Part | None:
        return Part(0, self.text, self.in_reply_to_external_id) if self.open else None


_COLUMNS = ("o.reply_id, o.brand_id, o.mention_id, o.account_handle, o.in_reply_to_external_id, o.text, "
            "o.status, o.requested_at, o.attempts")


def _row(r: asyncpg.Record) -> OutboxRow:
    return OutboxRow(r["reply_id"], r["brand_id"], r["mention_id"], r["account_handle"],
                     r["in_reply_to_external_id"], r["text"], r["status"], r["requested_at"], r["attempts"])


async def add_requests(conn: asyncpg.Connection, requests: Sequence[tuple[ReplyRequested, datetime]]) -> None:
    """An outbox row and a schedule entry for each request. Idempotent (a redelivered request
    changes nothing)."""
    await conn.executemany(_INSERT_REQUEST, [
        (r.reply_id, r.brand_id, r.mention_id, r.account_handle, r.in_reply_to_external_id, r.text,
         r.requested_by, at) for r, at in requests])
    await conn.executemany(
        "INSERT INTO publish_reply_state (reply_id) VALUES ($1) ON CONFLICT DO NOTHING",
        [(r.reply_id,) for r, _ in requests])


async def due(pool: asyncpg.Pool, *, limit: int) -> list[OutboxRow]:
    """Replies waiting for a post (or a reconciliation) whose next attempt is due, oldest first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM reply_outbox o LEFT JOIN publish_reply_state s USING (reply_id) "
            "WHERE o.status IN ('requested', 'pending') AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= now()) "
            "ORDER BY o.requested_at, o.reply_id LIMIT $1", limit)
    return [_row(r) for r in rows]


async def current(conn: asyncpg.Connection, reply_id: str) -> OutboxRow | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM reply_outbox o WHERE reply_id = $1", reply_id)
    return _row(r) if r is not None else None


async def mark_pending(conn: asyncpg.Connection, reply_id: str) -> None:
    """Committed before the post: from here on the outcome must be reconciled after a crash."""
    await conn.execute("UPDATE reply_outbox SET status = 'pending', attempts = attempts + 1, updated_at = now() "
                       "WHERE reply_id = $1", reply_id)


async def mark_not_posted(conn: asyncpg.Connection, reply_id: str) -> None:
    """X answered in a way that proves nothing was posted (429): back to 'requested'."""
    await conn.execute("UPDATE reply_outbox SET status = 'requested', updated_at = now() "
                       "WHERE reply_id = $1 AND status = 'pending'", reply_id)


async def mark_sent(conn: asyncpg.Connection, reply_id: str, tweet_id: str, *, reconciled: bool) -> None:
    async with conn.transaction():
        await conn.execute(
            "UPDATE reply_outbox SET status = 'sent', tweet_id = $2, error = NULL, reconciled = $3, "
            "updated_at = now() WHERE reply_id = $1 AND status IN ('requested', 'pending')",
            reply_id, tweet_id, reconciled)
        await _ensure_state(conn, reply_id)


async def mark_failed(conn: asyncpg.Connection, reply_id: str, reason: str) -> None:
    async with conn.transaction():
        await conn.execute(
            "UPDATE reply_outbox SET status = 'failed', error = $2, updated_at = now() "
            "WHERE reply_id = $1 AND status IN ('requested', 'pending')", reply_id, reason[:2000])
        await _ensure_state(conn, reply_id)


async def schedule(conn: asyncpg.Connection, reply_id: str, at: datetime, *, error: str | None,
                   transient: bool) -> int:
    """Try again at `at`; returns the count of transient failures so far."""
    return await conn.fetchval(
        "INSERT INTO publish_reply_state AS s (reply_id, next_attempt_at, transient_failures, last_error) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (reply_id) DO UPDATE SET next_attempt_at = $2, "
        "transient_failures = s.transient_failures + $3, last_error = coalesce($4, s.last_error) "
        "RETURNING transient_failures", reply_id, at, 1 if transient else 0, error)


async def schedule_many(pool: asyncpg.Pool, reply_ids: Sequence[str], at: datetime) -> None:
    """Postpone replies (their account is waiting for its budget) without counting a failure."""
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO publish_reply_state AS s (reply_id, next_attempt_at) "
            "SELECT unnest($1::text[]), $2 ON CONFLICT (reply_id) DO UPDATE SET next_attempt_at = $2",
            list(reply_ids), at)


async def _ensure_state(conn: asyncpg.Connection, reply_id: str) -> None:
    await conn.execute("INSERT INTO publish_reply_state (reply_id) VALUES ($1) ON CONFLICT DO NOTHING", reply_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    reply_id: str
    brand_id: str
    mention_id: str
    status: str
    tweet_id: str | None
    error: str | None
    reconciled: bool
    finished_at: datetime
    requested_at: datetime


async def unpublished_outcomes(pool: asyncpg.Pool, *, limit: int) -> list[Outcome]:
    """Finished replies whose outcome has not reached replies.published yet."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT o.reply_id, o.brand_id, o.mention_id, o.status, o.tweet_id, o.error, o.reconciled, "
            "o.updated_at, o.requested_at FROM reply_outbox o JOIN publish_reply_state s USING (reply_id) "
            "WHERE o.status IN ('sent', 'failed') AND s.published_at IS NULL ORDER BY o.updated_at LIMIT $1",
            limit)
    return [Outcome(r["reply_id"], r["brand_id"], r["mention_id"], r["status"], r["tweet_id"], r["error"],
                    r["reconciled"], r["updated_at"], r["requested_at"]) for r in rows]


async def mark_published(pool: asyncpg.Pool, reply_ids: Sequence[str]) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE publish_reply_state SET published_at = now() WHERE reply_id = ANY($1::text[])",
                           list(reply_ids))


class ReplyOutbox:
    """reply_outbox as an x_outbox store."""

    kind = "reply"
    lock_class = REPLY_LOCK_CLASS
    outcome_topic = "replies.published"

    def count(self, outcome: str) -> None:
        m.PUBLISH_REPLIES.labels(outcome).inc()

    async def due(self, pool: asyncpg.Pool, *, limit: int) -> list[OutboxRow]:
        return await due(pool, limit=limit)

    async def current(self, conn: asyncpg.Connection, key: str) -> OutboxRow | None:
        return await current(conn, key)

    async def mark_in_flight(self, conn: asyncpg.Connection, item: OutboxItem, part: Part) -> bool:
        await mark_pending(conn, item.key)
        return True

    async def mark_not_posted(self, conn: asyncpg.Connection, key: str) -> None:
        await mark_not_posted(conn, key)

    async def record_part(self, conn: asyncpg.Connection, item: OutboxItem, part: Part, tweet_id: str, *,
                          reconciled: bool) -> bool:
        await mark_sent(conn, item.key, tweet_id, reconciled=reconciled)
        return True

    async def mark_failed(self, conn: asyncpg.Connection, key: str, reason: str) -> None:
        await mark_failed(conn, key, reason)

    async def schedule(self, conn: asyncpg.Connection, key: str, at: datetime, *, error: str | None,
                       transient: bool) -> int:
        return await schedule(conn, key, at, error=error, transient=transient)

    async def schedule_many(self, pool: asyncpg.Pool, keys: Sequence[str], at: datetime) -> None:
        await schedule_many(pool, keys, at)

    async def outcome_events(self, pool: asyncpg.Pool, *, limit: int) -> list[tuple[str, Envelope[Any]]]:
        events = []
        for outcome in await unpublished_outcomes(pool, limit=limit):
            payload = ReplyPublished(
                reply_id=outcome.reply_id, brand_id=outcome.brand_id, mention_id=outcome.mention_id,
                status=outcome.status, tweet_id=outcome.tweet_id,
                error=outcome.error[:2000] if outcome.error else None, reconciled=outcome.reconciled,
                finished_at=outcome.finished_at)
            events.append((outcome.reply_id, make_envelope("replies.published", payload, brand_id=outcome.brand_id,
                                                           correlation_id=outcome.mention_id)))
        return events

    async def mark_published(self, pool: asyncpg.Pool, keys: Sequence[str]) -> None:
        await mark_published(pool, keys)
