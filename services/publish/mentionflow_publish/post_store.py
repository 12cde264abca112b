"""SQL for brand posts (the `posts` table, which publish alone writes; the console reads it),
and `posts` as an x_outbox store.

Status: scheduled → posting (committed BEFORE the first part goes to X) → published (every
part's tweet id recorded) | failed (X's reason); scheduled → cancelled. One tweet id per part
is recorded before the next part is posted; `in_flight_since` marks a part whose POST may
have reached X unrecorded (looked for on X before any new attempt).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from mentionflow.events import make_envelope
from mentionflow.events.envelope import Envelope
from mentionflow.events.posts_metrics import PostMetrics
from mentionflow.events.posts_published import PostPublished
from mentionflow.events.posts_requested import PostRequested
from mentionflow.metrics import catalog as m

from mentionflow_publish.x_outbox import OutboxItem, Part

# Advisory lock key space of posts (replies use 0x7270): one post's check-post-record
# sequence, all its parts, on one connection.
POST_LOCK_CLASS = 0x7073  # "ps"

OPEN = ("scheduled", "posting")


@dataclass(frozen=True, slots=True)
class PostRow:
    post_id: str
    brand_id: str
    account_handle: str
    parts: list[str]
    scheduled_for: datetime
    status: str
    tweet_ids: list[str]
    in_flight_since: datetime | None

    # ---- as an outbox item (x_outbox): one part per tweet of the thread -------------------
    @property
    def key(self) -> str:
        return self.post_id

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def in_flight(self) -> bool:
        return self.in_flight_since is not None

    @property
    def reconcile_since(self) -> datetime:
        return self.in_flight_since or self.scheduled_for

    @property
    def latency_from(self) -> datetime:
        return self.scheduled_for

    def next_part(self) -> Part | None:
        """The first part without a tweet id, replying to the previous part's tweet."""
        index = len(self.tweet_ids)
        if not self.open or index >= len(self.parts):
            return None
        return Part(index, self.parts[index], self.tweet_ids[-1] if index else None)


_COLUMNS = "post_id, brand_id, account_handle, parts, scheduled_for, status, tweet_ids, in_flight_since"


def _row(r: asyncpg.Record) -> PostRow:
    return PostRow(r["post_id"], r["brand_id"], r["account_handle"], list(r["parts"]), r["scheduled_for"],
                   r["status"], list(r["tweet_ids"]), r["in_flight_since"])


# ---- from posts.requested ------------------------------------------------------------------
async def add_post(conn: asyncpg.Connection, request: PostRequested, occurred_at: datetime, *,
                   refusal: str | None) -> bool:
    """A scheduled post (or, with `refusal`, one failed at once, never posted). Idempotent on
    post_id: a redelivered request changes nothing. True when inserted."""
    status = "failed" if refusal else "scheduled"
    inserted = await conn.fetchval(
        "INSERT INTO posts (post_id, brand_id, account_handle, parts, scheduled_for, status, error, "
        "requested_by, approved_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (post_id) DO NOTHING RETURNING true",
        request.post_id, request.brand_id, request.account_handle, request.parts,
        request.scheduled_for or occurred_at, status, refusal, request.requested_by, request.approved_by)
    return bool(inserted)


async def cancel_post(conn: asyncpg.Connection, request: PostRequested, occurred_at: datetime) -> bool:
    """Cancel a post not posted yet. A cancel of an unknown post leaves a cancelled row, so a
    schedule arriving later (a replay) stays cancelled. True when this cancelled it."""
    cancelled = await conn.fetchval(
        "INSERT INTO posts AS p (post_id, brand_id, account_handle, parts, scheduled_for, status, requested_by) "
        "VALUES ($1, $2, $3, '{}', $4, 'cancelled', $5) "
        "ON CONFLICT (post_id) DO UPDATE SET status = 'cancelled', updated_at = now() "
        "WHERE p.status = 'scheduled' RETURNING true",
        request.post_id, request.brand_id, request.account_handle, request.scheduled_for or occurred_at,
        request.requested_by)
    return bool(cancelled)


async def apply_metrics(conn: asyncpg.Connection, batch: Sequence[PostMetrics]) -> int:
    """Engagement counts, only from a newer observation than the one stored. Returns rows changed."""
    changed = 0
    for metrics in batch:
        result = await conn.execute(
            "UPDATE posts SET likes = $2, replies = $3, reposts = $4, quotes = $5, impressions = $6, "
            "metrics_observed_at = $7 WHERE post_id = $1 "
            "AND (metrics_observed_at IS NULL OR metrics_observed_at < $7)",
            metrics.post_id, metrics.likes, metrics.replies, metrics.reposts, metrics.quotes, metrics.impressions,
            metrics.observed_at)
        changed += int(result.split()[-1])
    return changed


# ---- the outbox store ------------------------------------------------------------------------
class PostOutbox:
    """`posts` as an x_outbox store; `clock` says what time it is for due posts (tests move it)."""

    kind = "post"
    lock_class = POST_LOCK_CLASS
    outcome_topic = "posts.published"

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    def count(self, outcome: str) -> None:
        m.PUBLISH_POSTS.labels(outcome).inc()

    async def due(self, pool: asyncpg.Pool, *, limit: int) -> list[PostRow]:
        """Open posts whose minute has come (on the clock) and whose next attempt is due."""
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM posts WHERE status IN ('scheduled', 'posting') "  # sql-ok: constant columns
                "AND scheduled_for <= $1 AND (next_attempt_at IS NULL OR next_attempt_at <= now()) "
                "ORDER BY scheduled_for, post_id LIMIT $2", self.clock(), limit)
        return [_row(r) for r in rows]

    async def current(self, conn: asyncpg.Connection, key: str) -> PostRow | None:
        r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM posts WHERE post_id = $1", key)  # sql-ok: constant columns
        return _row(r) if r is not None else None

    async def mark_in_flight(self, conn: asyncpg.Connection, item: OutboxItem, part: Part) -> bool:
        """Committed before the POST: from here on the part is reconciled after a crash. False
        when the post was cancelled (or moved on) since it was read."""
        return bool(await conn.fetchval(
            "UPDATE posts SET status = 'posting', in_flight_since = now(), attempts = attempts + 1, "
            "updated_at = now() WHERE post_id = $1 AND status IN ('scheduled', 'posting') "
            "AND cardinality(tweet_ids) = $2 RETURNING true", item.key, part.index))

    async def mark_not_posted(self, conn: asyncpg.Connection, key: str) -> None:
        """X proved nothing was posted (429): a post with no part out yet may still be cancelled."""
        await conn.execute(
            "UPDATE posts SET in_flight_since = NULL, updated_at = now(), "
            "status = CASE WHEN cardinality(tweet_ids) = 0 THEN 'scheduled' ELSE status END "
            "WHERE post_id = $1 AND status = 'posting'", key)

    async def record_part(self, conn: asyncpg.Connection, item: OutboxItem, part: Part, tweet_id: str, *,
                          reconciled: bool) -> bool:
        status = await conn.fetchval(
            "UPDATE posts SET tweet_ids = tweet_ids || $3::text, in_flight_since = NULL, "
            "conversation_id = coalesce(conversation_id, $3), reconciled = reconciled OR $4, error = NULL, "
            "status = CASE WHEN cardinality(tweet_ids) + 1 >= cardinality(parts) THEN 'published' "
            "ELSE 'posting' END, updated_at = now() "
            "WHERE post_id = $1 AND status IN ('scheduled', 'posting') AND cardinality(tweet_ids) = $2 "
            "RETURNING status", item.key, part.index, tweet_id, reconciled)
        return status == "published"

    async def mark_failed(self, conn: asyncpg.Connection, key: str, reason: str) -> None:
        await conn.execute(
            "UPDATE posts SET status = 'failed', error = $2, in_flight_since = NULL, updated_at = now() "
            "WHERE post_id = $1 AND status IN ('scheduled', 'posting')", key, reason[:2000])

    async def schedule(self, conn: asyncpg.Connection, key: str, at: datetime, *, error: str | None,
                       transient: bool) -> int:
        return await conn.fetchval(
            "UPDATE posts SET next_attempt_at = $2, transient_failures = transient_failures + $3, "
            "last_error = coalesce($4, last_error) WHERE post_id = $1 RETURNING transient_failures",
            key, at, 1 if transient else 0, error) or 0

    async def schedule_many(self, pool: asyncpg.Pool, keys: Sequence[str], at: datetime) -> None:
        async with pool.acquire() as conn:
            await conn.execute("UPDATE posts SET next_attempt_at = $2 WHERE post_id = ANY($1::text[])",
                               list(keys), at)

    async def outcome_events(self, pool: asyncpg.Pool, *, limit: int) -> list[tuple[str, Envelope[Any]]]:
        """Finished posts (published, failed, cancelled) not reported on posts.published yet."""
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT post_id, brand_id, account_handle, status, tweet_ids, conversation_id, error, reconciled, "
                "updated_at FROM posts WHERE status IN ('published', 'failed', 'cancelled') "
                "AND outcome_published_at IS NULL ORDER BY updated_at LIMIT $1", limit)
        events = []
        for r in rows:
            payload = PostPublished(
                post_id=r["post_id"], brand_id=r["brand_id"], account_handle=r["account_handle"],
                status=r["status"], tweet_ids=list(r["tweet_ids"]), conversation_id=r["conversation_id"],
                error=r["error"][:2000] if r["error"] else None, reconciled=r["reconciled"],
                finished_at=r["updated_at"])
            events.append((r["post_id"], make_envelope("posts.published", payload, brand_id=r["brand_id"],
                                                       correlation_id=r["post_id"])))
        return events

    async def mark_published(self, pool: asyncpg.Pool, keys: Sequence[str]) -> None:
        async with pool.acquire() as conn:
            await conn.execute("UPDATE posts SET outcome_published_at = now() WHERE post_id = ANY($1::text[])",
                               list(keys))
