"""The analytics' own copy of the items (console migration 0010): one narrow row per queue item
(console_analytics_items) and hourly counts over them (console_analytics_volume_hourly,
console_analytics_terms_hourly), brought up to date from publish's queue_items (read only) and
the console's queue_work.

`catch_up(pool)` is the one entry point: the background loop calls it every few seconds and every
report calls it before its queries, so a report counts everything committed before it started.
A pass copies the items whose queue_items or queue_work row changed since the last pass (their
indexed updated_at), or, on a database that has never been caught up, every item in id order in
batches (each batch its own short transaction, so a million items never hold one long snapshot
or lock). An item copied again replaces its row, and the hourly counts move by difference: -1
for its old values, +1 for its new ones, so a changed item is re-counted, never counted twice.

Passes are serialised across replicas by a transaction-scoped advisory lock: a second replica (or
a report) waits for the running pass, then runs its own, which finds little or nothing to do.
Every pass is idempotent: copying an unchanged item writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import asyncpg
from mentionflow.db import TRANSIENT_ERRORS

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the catch-up ("mfan"): one pass at a time across the console replicas.
LOCK_KEY = 0x6D66616E
# A row's updated_at is its transaction's start, committed a little later: each pass re-reads the
# rows stamped up to this long before its own start, so a transaction that committed after the
# previous pass read is still seen. Longer than any transaction of publish's or the console's
# that writes an item (one batch upsert, one action; the live feed assumes 5 s), and short,
# because every pass re-reads (and compares, without writing) the items changed in it.
LATE_COMMIT_MARGIN = timedelta(seconds=10)
FILL_BATCH = 20_000

COLUMNS = ("brand_id", "posted_at", "queue", "category", "sentiment", "language", "sla_due_at", "assignee",
           "replied_at", "resolved_at", "unresolved", "terms", "hashtags")
_LIST = ", ".join(COLUMNS)


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in COLUMNS)


# The analytics row of each item in `ids`, from publish's row and the console's work row.
FRESH = """
SELECT q.id AS item_id, q.brand_id, q.mention_created_at AS posted_at, q.queue, q.category, q.sentiment,
       coalesce(q.language, 'und') AS language, q.sla_due_at, w.assignee, w.first_replied_at AS replied_at,
       w.resolved_at, (w.resolved_at IS NULL AND w.status IS DISTINCT FROM 'resolved') AS unresolved,
       q.complaint_words AS terms, q.complaint_hashtags AS hashtags
FROM queue_items q LEFT JOIN queue_work w ON w.item_id = q.id
WHERE q.id IN (SELECT id FROM ids)
"""

# One statement (one snapshot) per pass: the items' old rows are read before they are replaced
# (no part of a statement sees another part's writes), and the hourly counts move by the
# difference. `ids` is prepended by the caller. Old rows are looked up by primary key from each
# changed item, never scanned as a set: the planner expects "changed since" to be a row or two.
APPLY = """,
fresh AS (""" + FRESH + """),
changed AS (
    SELECT f.* FROM fresh f LEFT JOIN console_analytics_items o ON o.item_id = f.item_id
    WHERE o.item_id IS NULL OR ROW(""" + _prefixed("f") + """) IS DISTINCT FROM ROW(""" + _prefixed("o") + """)
),
written AS (
    INSERT INTO console_analytics_items AS a (item_id, """ + _LIST + """)
    SELECT item_id, """ + _LIST + """ FROM changed
    ON CONFLICT (item_id) DO UPDATE SET (""" + _LIST + """) = (""" + _prefixed("EXCLUDED") + """)
    RETURNING 1
),
moves AS (
    SELECT 1 AS d, """ + _prefixed("c") + """ FROM changed c
    UNION ALL
    SELECT -1, """ + _prefixed("o") + """ FROM changed c JOIN console_analytics_items o ON o.item_id = c.item_id
),
volume AS (
    INSERT INTO console_analytics_volume_hourly AS v (brand_id, hour, queue, category, sentiment, language, n)
    SELECT brand_id, date_trunc('hour', posted_at, 'UTC'), queue, category, sentiment, language, sum(d)::integer
    FROM moves GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0
    ON CONFLICT (brand_id, hour, queue, category, sentiment, language) DO UPDATE SET n = v.n + EXCLUDED.n
    RETURNING 1
),
used AS (
    INSERT INTO console_analytics_terms_hourly AS t (brand_id, hour, queue, kind, term, n)
    SELECT brand_id, date_trunc('hour', posted_at, 'UTC'), queue, kind, term, sum(d)::integer
    FROM (SELECT m.d, m.brand_id, m.posted_at, m.queue, 'term' AS kind, x AS term FROM moves m, unnest(m.terms) AS x
          UNION ALL
          SELECT m.d, m.brand_id, m.posted_at, m.queue, 'hashtag', x FROM moves m, unnest(m.hashtags) AS x) s
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0
    ON CONFLICT (brand_id, hour, queue, kind, term) DO UPDATE SET n = t.n + EXCLUDED.n
    RETURNING 1
)
SELECT (SELECT count(*) FROM ids) AS seen, (SELECT id FROM ids ORDER BY id DESC LIMIT 1) AS last_id,
       (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM volume) + (SELECT count(*) FROM used) AS moved
"""

# From scratch: the next batch of items in id order after $1 (the nil uuid: from the first), $2 of them.
FILL = "WITH ids AS (SELECT id FROM queue_items WHERE id > $1 ORDER BY id LIMIT $2)" + APPLY
NIL = uuid.UUID(int=0)
# Incremental: the items whose publish row or work row changed after $1.
CHANGES = ("WITH ids AS (SELECT id FROM queue_items WHERE updated_at > $1 "
           "UNION SELECT item_id FROM queue_work WHERE updated_at > $1)" + APPLY)
# Hours whose count fell to zero (a partial index finds them: there are few at a time).
EMPTIED = ("DELETE FROM console_analytics_volume_hourly WHERE n = 0",
           "DELETE FROM console_analytics_terms_hourly WHERE n = 0")

STATE = """
SELECT filled, filled_after, changes_since, statement_timestamp() AS started FROM console_analytics_progress
"""


async def _pass(conn: asyncpg.Connection) -> tuple[bool, int]:
    """One transaction's worth of catching up: (caught up?, items written)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        await conn.execute("SET LOCAL jit = off")  # short statements: compiling them costs more than it saves
        state = await conn.fetchrow(STATE)  # read after the lock: what the pass before this one left
        horizon = state["started"] - LATE_COMMIT_MARGIN
        if not state["filled"]:
            row = await conn.fetchrow(FILL, state["filled_after"] or NIL, FILL_BATCH)
            done = row["seen"] < FILL_BATCH
            # Changes made while the fill runs are those after its first batch began (less the margin).
            await conn.execute("UPDATE console_analytics_progress SET filled = $1, filled_after = $2, "
                               "changes_since = coalesce(changes_since, $3)",
                               done, row["last_id"] or state["filled_after"], horizon)
            return False, row["written"]
        row = await conn.fetchrow(CHANGES, state["changes_since"])
        if row["moved"]:
            for statement in EMPTIED:
                await conn.execute(statement)
        await conn.execute("UPDATE console_analytics_progress SET changes_since = greatest(changes_since, $1)",
                           horizon)
        return True, row["written"]


async def catch_up(pool: asyncpg.Pool) -> int:
    """Copy every item change committed before the call into the analytics tables; returns how
    many item rows were written. Waits for a pass another replica is running. Idempotent."""
    written = 0
    async with pool.acquire() as conn:
        while True:
            done, count = await _pass(conn)
            written += count
            if done:
                return written


async def run_catch_up(pool: asyncpg.Pool, *, interval_s: float, stop: asyncio.Event) -> None:
    """Catch up every `interval_s` until `stop` is set; a database hiccup (or publish's tables not
    there yet) is logged and retried on the next pass."""
    while not stop.is_set():
        try:
            written = await catch_up(pool)
            if written:
                log.debug("analytics caught up: %d item rows written", written)
        except TRANSIENT_ERRORS as exc:
            log.warning("analytics catch-up failed: %s: %s", type(exc).__name__, exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
