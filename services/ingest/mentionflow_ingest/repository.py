"""SQL of the ingest service: dedup claims, since_id checkpoints, the days whose follower
snapshot is done and the brand posts whose engagement is followed (asyncpg, keyword-only).

Dedup protocol (how the same (platform, external id, brand) is never produced twice, across
restarts and across sources):

1. claim: INSERT ... ON CONFLICT DO NOTHING-style, one statement per batch. The primary key
   makes exactly one claimer win, whichever source (polling, webhook, HTTP) and replica it
   is. The row is 'pending' and holds the encoded event.
2. produce the won claims and await Kafka's acknowledgements (acks=all, idempotent producer).
3. mark them 'produced' (and drop the stored event).

A crash or a Kafka failure between 1 and 3 leaves 'pending' rows. They are never lost: the
recovery sweep (`take_stale_pending`) produces pending rows older than `stale_after_s` from
the stored bytes, on start and periodically, and a source that sees the same post again
after that age takes the claim over instead. The price is a rare duplicate in Kafka when
the crash fell after the acknowledgement and before step 3; it is the very same event (same
event id and mention id, see mentionflow.ingestion.encoding) and every sink downstream is
idempotent on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import asyncpg

ClaimStatus = Literal["claimed", "produced", "pending"]
Key = tuple[str, str, str]  # (platform, external id, brand id)


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    key: Key
    mention_id: str
    event_key: bytes
    event_value: bytes


@dataclass(frozen=True, slots=True)
class PendingEvent:
    key: Key
    event_key: bytes
    event_value: bytes
    attempts: int


_CLAIM = """
INSERT INTO ingest_claims AS c (platform, external_id, brand_id, mention_id, source, event_key, event_value)
SELECT platform, external_id, brand_id, mention_id, $5, event_key, event_value
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::bytea[], $7::bytea[])
     AS t(platform, external_id, brand_id, mention_id, event_key, event_value)
ON CONFLICT (platform, external_id, brand_id) DO UPDATE
    SET claimed_at = now(), attempts = c.attempts + 1, source = EXCLUDED.source,
        event_key = EXCLUDED.event_key, event_value = EXCLUDED.event_value
    WHERE c.state = 'pending' AND c.claimed_at < now() - make_interval(secs => $8)
RETURNING platform, external_id, brand_id
"""

_STATES = """
SELECT c.platform, c.external_id, c.brand_id, c.state
FROM ingest_claims c
JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(platform, external_id, brand_id)
  USING (platform, external_id, brand_id)
"""

_MARK_PRODUCED = """
UPDATE ingest_claims c
SET state = 'produced', produced_at = now(), event_key = NULL, event_value = NULL
FROM unnest($1::text[], $2::text[], $3::text[]) AS t(platform, external_id, brand_id)
WHERE c.platform = t.platform AND c.external_id = t.external_id AND c.brand_id = t.brand_id
  AND c.state = 'pending'
"""

_STALE_PENDING = """
SELECT platform, external_id, brand_id, event_key, event_value, attempts
FROM ingest_claims
WHERE state = 'pending' AND claimed_at < now() - make_interval(secs => $1)
ORDER BY claimed_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


def _columns(keys: Sequence[Key]) -> tuple[list[str], list[str], list[str]]:
    return [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]


async def claim(
    conn: asyncpg.Connection, *, requests: Sequence[ClaimRequest], source: str, stale_after_s: float
) -> dict[Key, ClaimStatus]:
    """Claim each key; 'claimed' ones are the caller's to produce (then `mark_produced`).

    'produced': another claim already got it into Kafka; 'pending': another claimer holds it
    and is presumably producing it now (the sweep produces it if that claimer died).
    Keys must be unique within `requests`.
    """
    if not requests:
        return {}
    platforms, external_ids, brand_ids = _columns([r.key for r in requests])
    won = await conn.fetch(
        _CLAIM, platforms, external_ids, brand_ids, [r.mention_id for r in requests], source,
        [r.event_key for r in requests], [r.event_value for r in requests], stale_after_s,
    )
    result: dict[Key, ClaimStatus] = {(r["platform"], r["external_id"], r["brand_id"]): "claimed" for r in won}
    lost = [r.key for r in requests if r.key not in result]
    if lost:
        for row in await conn.fetch(_STATES, *_columns(lost)):
            result[(row["platform"], row["external_id"], row["brand_id"])] = row["state"]
    return result


async def mark_produced(conn: asyncpg.Connection, *, keys: Sequence[Key]) -> None:
    if keys:
        await conn.execute(_MARK_PRODUCED, *_columns(keys))


async def take_stale_pending(conn: asyncpg.Connection, *, stale_after_s: float, limit: int) -> list[PendingEvent]:
    """Lock (inside the caller's transaction) up to `limit` orphaned pending claims."""
    rows = await conn.fetch(_STALE_PENDING, stale_after_s, limit)
    return [PendingEvent((r["platform"], r["external_id"], r["brand_id"]), bytes(r["event_key"]),
                         bytes(r["event_value"]), r["attempts"]) for r in rows]


async def load_checkpoint(conn: asyncpg.Connection, *, account_user_id: str) -> str | None:
    return await conn.fetchval(
        "SELECT since_id FROM ingest_checkpoints WHERE account_user_id = $1", account_user_id
    )


async def save_checkpoint(
    conn: asyncpg.Connection, *, account_user_id: str, account_handle: str, since_id: str,
    newest_at: datetime | None,
) -> None:
    """Advance the account's since_id; never moves it backwards (ids compare as numbers)."""
    await conn.execute(
        """
        INSERT INTO ingest_checkpoints AS c (account_user_id, account_handle, since_id, newest_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_user_id) DO UPDATE
            SET since_id = EXCLUDED.since_id, account_handle = EXCLUDED.account_handle,
                newest_at = COALESCE(EXCLUDED.newest_at, c.newest_at), updated_at = now()
            WHERE c.since_id::numeric < EXCLUDED.since_id::numeric
        """,
        account_user_id, account_handle, since_id, newest_at,
    )


# How long the snapshot progress is kept: a day is only ever looked at while it is today.
SNAPSHOT_DAYS_KEPT = 7


async def snapshotted_accounts(conn: asyncpg.Connection, *, day: date) -> set[str]:
    """The X user ids whose `ok` snapshot of `day` Kafka acknowledged (this or another ingest)."""
    rows = await conn.fetch("SELECT account_user_id FROM ingest_snapshot_days WHERE day = $1", day)
    return {r["account_user_id"] for r in rows}


async def mark_snapshotted(conn: asyncpg.Connection, *, day: date, account_user_ids: Sequence[str]) -> None:
    """Record the accounts done for `day`, and forget the days no longer looked at."""
    await conn.execute(
        """
        INSERT INTO ingest_snapshot_days (account_user_id, day)
        SELECT unnest($1::text[]), $2
        ON CONFLICT (account_user_id, day) DO NOTHING
        """,
        list(account_user_ids), day,
    )
    await conn.execute("DELETE FROM ingest_snapshot_days WHERE day < $1::date - $2::integer",
                       day, SNAPSHOT_DAYS_KEPT)


# ---------------------------------------------------------------------------- tracked posts


@dataclass(frozen=True, slots=True)
class TrackedPost:
    post_id: str
    brand_id: str
    account_handle: str
    tweet_ids: list[str]
    conversation_id: str
    published_at: datetime
    newest_quote_id: str | None
    failures: int


async def track_post(
    conn: asyncpg.Connection, *, post_id: str, brand_id: str, account_handle: str, tweet_ids: Sequence[str],
    conversation_id: str, published_at: datetime, track_until: datetime,
) -> bool:
    """Start following a published post, due at once; False when it was already followed (a
    redelivered posts.published changes nothing)."""
    status = await conn.execute(
        """
        INSERT INTO ingest_tracked_posts (post_id, brand_id, account_handle, tweet_ids, conversation_id,
                                          published_at, track_until, next_poll_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $6)
        ON CONFLICT (post_id) DO NOTHING
        """,
        post_id, brand_id, account_handle, list(tweet_ids), conversation_id, published_at, track_until,
    )
    return status.endswith(" 1")


async def due_tracked_posts(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[TrackedPost]:
    """Posts still followed whose next poll has come, the stalest first (never polled, then the
    oldest last success): when a quota allows only some, a post held back is not starved."""
    rows = await conn.fetch(
        """
        SELECT post_id, brand_id, account_handle, tweet_ids, conversation_id, published_at, newest_quote_id,
               failures
        FROM ingest_tracked_posts
        WHERE next_poll_at <= $1 AND track_until > $1
        ORDER BY last_polled_at NULLS FIRST, next_poll_at
        LIMIT $2
        """,
        now, limit,
    )
    return [TrackedPost(r["post_id"], r["brand_id"], r["account_handle"], list(r["tweet_ids"]),
                        r["conversation_id"], r["published_at"], r["newest_quote_id"], r["failures"]) for r in rows]


async def next_tracked_poll_at(conn: asyncpg.Connection, *, now: datetime) -> datetime | None:
    return await conn.fetchval(
        "SELECT min(next_poll_at) FROM ingest_tracked_posts WHERE track_until > $1", now)


async def count_tracked_posts(conn: asyncpg.Connection, *, now: datetime) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM ingest_tracked_posts WHERE track_until > $1", now))


async def tracked_post_polled(conn: asyncpg.Connection, *, post_id: str, polled_at: datetime,
                              next_poll_at: datetime, newest_quote_id: str | None) -> None:
    """A round whose events Kafka acknowledged: schedule the next one, remember the newest quote."""
    await conn.execute(
        """
        UPDATE ingest_tracked_posts
        SET last_polled_at = $2, next_poll_at = $3, failures = 0, last_error = NULL,
            newest_quote_id = COALESCE($4, newest_quote_id)
        WHERE post_id = $1
        """,
        post_id, polled_at, next_poll_at, newest_quote_id,
    )


async def tracked_post_failed(conn: asyncpg.Connection, *, post_id: str, next_poll_at: datetime,
                              error: str) -> None:
    """X refused the round (or Kafka did): retried at `next_poll_at`, nothing produced in its name."""
    await conn.execute(
        """
        UPDATE ingest_tracked_posts
        SET next_poll_at = $2, failures = failures + 1, last_error = $3
        WHERE post_id = $1
        """,
        post_id, next_poll_at, error[:500],
    )
