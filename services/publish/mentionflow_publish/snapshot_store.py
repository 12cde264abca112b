"""SQL for account_snapshots, written from accounts.snapshots events.

Idempotent and order-proof, one row per (account, UTC day): an `ok` replaces a `missing` and
a later `ok` (the day's first counts are kept, so a restarted ingest looking the account up
again, or a replay, never moves a day's figure); a `missing` replaces only an older `missing`
(its reason and attempt count), never an `ok` — so a redelivered, replayed or late refusal
never hides the day's counts, and no row ever holds a count X did not give.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import orjson
from mentionflow.events.accounts_snapshots import AccountSnapshot

# jsonb_to_recordset: a whole batch in one round trip. RETURNING counts the rows changed.
_UPSERT = """
INSERT INTO account_snapshots AS s (
    brand_id, account_id, handle, day, followers, following, posts, status, reason, attempts, fetched_at)
SELECT brand_id, account_id, handle, day, followers, following, posts, status, reason, attempt, fetched_at
FROM jsonb_to_recordset($1::jsonb) AS r(
    brand_id text, account_id text, handle text, day date, followers bigint, following bigint,
    posts bigint, status text, reason text, attempt integer, fetched_at timestamptz)
ON CONFLICT (account_id, day) DO UPDATE SET
    brand_id = EXCLUDED.brand_id,
    handle = EXCLUDED.handle,
    followers = EXCLUDED.followers,
    following = EXCLUDED.following,
    posts = EXCLUDED.posts,
    status = EXCLUDED.status,
    reason = EXCLUDED.reason,
    attempts = GREATEST(s.attempts, EXCLUDED.attempts),
    fetched_at = EXCLUDED.fetched_at,
    updated_at = now()
WHERE (EXCLUDED.status = 'ok' AND (s.status = 'missing' OR EXCLUDED.fetched_at < s.fetched_at))
   OR (EXCLUDED.status = 'missing' AND s.status = 'missing' AND EXCLUDED.fetched_at > s.fetched_at)
RETURNING s.account_id
"""


async def upsert_snapshots(conn: asyncpg.Connection, snapshots: Sequence[AccountSnapshot]) -> int:
    """Apply a batch (in order); returns how many rows were created or changed."""
    # One statement cannot touch a row twice: apply an account-day's events one after another
    # when the batch holds several (a refusal and its retry), in the order they came.
    changed = 0
    pending: list[AccountSnapshot] = []
    seen: set[tuple[str, str]] = set()
    for snapshot in snapshots:
        key = (snapshot.account_id, snapshot.day.isoformat())
        if key in seen:
            changed += await _apply(conn, pending)
            pending, seen = [], set()
        pending.append(snapshot)
        seen.add(key)
    return changed + await _apply(conn, pending)


async def _apply(conn: asyncpg.Connection, snapshots: Sequence[AccountSnapshot]) -> int:
    if not snapshots:
        return 0
    rows = orjson.dumps([s.model_dump(mode="json") for s in snapshots]).decode()
    return len(await conn.fetch(_UPSERT, rows))
