"""The analytics' copy of the items (console migration 0010) against a from-scratch computation:
after any sequence of new items, publish's re-decisions (category, queue, text…), the console's
work on them (assignee, replies, resolutions, status) and catch-up passes — batched fills, several
replicas at once — the narrow rows and the hourly counts equal what the queue holds, each item
counted once with its latest values. Real PostgreSQL; the SQL below plays publish and the console's
actions, the catch-up is the console's own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mentionflow_console.analytics import catch_up as module
from mentionflow_console.analytics.catch_up import catch_up

from tests.console.factories import insert_timed_item, migrate_all

BRANDS = ("brand-a", "brand-b")
TEXTS = ("refund missing again #refund", "app crashed #outage #refund", "where is my parcel", "merci beaucoup")
HOURS = [datetime(2026, 3, 29, 0, 0, tzinfo=UTC) + timedelta(minutes=37 * i) for i in range(6)]

# What the copy must equal, computed from scratch from the queue (publish's row, the console's work row).
EXPECTED_ITEMS = """
SELECT q.id, q.brand_id, q.mention_created_at, q.queue, q.category, q.sentiment, coalesce(q.language, 'und'),
       q.sla_due_at, w.assignee, w.first_replied_at, w.resolved_at,
       (w.resolved_at IS NULL AND w.status IS DISTINCT FROM 'resolved'), q.complaint_words, q.complaint_hashtags
FROM queue_items q LEFT JOIN queue_work w ON w.item_id = q.id
"""
COPIED_ITEMS = """
SELECT item_id, brand_id, posted_at, queue, category, sentiment, language, sla_due_at, assignee, replied_at,
       resolved_at, unresolved, terms, hashtags FROM console_analytics_items
"""
EXPECTED_VOLUME = """
SELECT brand_id, date_trunc('hour', mention_created_at, 'UTC'), queue, category, sentiment, coalesce(language, 'und'),
       count(*)::integer
FROM queue_items GROUP BY 1, 2, 3, 4, 5, 6
"""
COPIED_VOLUME = "SELECT brand_id, hour, queue, category, sentiment, language, n FROM console_analytics_volume_hourly"
EXPECTED_TERMS = """
SELECT brand_id, date_trunc('hour', mention_created_at, 'UTC'), queue, kind, term, count(*)::integer FROM (
    SELECT brand_id, mention_created_at, queue, 'term' AS kind, x AS term FROM queue_items, unnest(complaint_words) x
    UNION ALL
    SELECT brand_id, mention_created_at, queue, 'hashtag', x FROM queue_items, unnest(complaint_hashtags) x) s
GROUP BY 1, 2, 3, 4, 5
"""
COPIED_TERMS = "SELECT brand_id, hour, queue, kind, term, n FROM console_analytics_terms_hourly"
RESET = """
TRUNCATE queue_items, queue_work, console_requests, console_analytics_items, console_analytics_volume_hourly,
         console_analytics_terms_hourly;
UPDATE console_analytics_progress SET filled = false, filled_after = NULL, changes_since = NULL;
"""


async def assert_copy_is_exact(pool: asyncpg.Pool) -> None:
    for expected, copied in ((EXPECTED_ITEMS, COPIED_ITEMS), (EXPECTED_VOLUME, COPIED_VOLUME),
                             (EXPECTED_TERMS, COPIED_TERMS)):
        want = sorted(tuple(r) for r in await pool.fetch(expected))
        have = sorted(tuple(r) for r in await pool.fetch(copied))
        assert have == want


# --- operations -----------------------------------------------------------------------------
new_item = st.fixed_dictionaries({
    "op": st.just("new"), "brand": st.sampled_from(BRANDS), "posted": st.sampled_from(HOURS),
    "category": st.sampled_from(("complaint", "question", "praise")), "text": st.sampled_from(TEXTS),
    "queue": st.sampled_from(("care", "vip")), "language": st.sampled_from(("en", "fr"))})
redecide = st.fixed_dictionaries({  # publish routes the item again: any of its analysed fields may change
    "op": st.just("redecide"), "pick": st.integers(0, 50), "posted": st.sampled_from(HOURS),
    "category": st.sampled_from(("complaint", "question", "praise")), "text": st.sampled_from(TEXTS),
    "queue": st.sampled_from(("care", "vip")), "sentiment": st.sampled_from(("negative", "neutral"))})
work = st.fixed_dictionaries({  # what people did: the console's own row
    "op": st.just("work"), "pick": st.integers(0, 50), "assignee": st.sampled_from((None, "agent-a", "agent-b")),
    "status": st.sampled_from((None, "claimed", "replied", "resolved")), "replied": st.booleans(),
    "resolved": st.booleans()})
passes = st.fixed_dictionaries({"op": st.just("catch_up"), "replicas": st.integers(1, 3)})
operations = st.lists(st.one_of(new_item, redecide, work, passes), max_size=25)



async def _pick(pool: asyncpg.Pool, pick: int) -> object | None:
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM queue_items ORDER BY id")]
    return ids[pick % len(ids)] if ids else None


async def _apply(pool: asyncpg.Pool, op: dict) -> None:
    if op["op"] == "new":
        await insert_timed_item(pool, brand=op["brand"], posted=op["posted"], sla_due=op["posted"] + timedelta(hours=1),
                                category=op["category"], text=op["text"], queue_name=op["queue"],
                                language=op["language"])
    elif op["op"] == "redecide":
        item = await _pick(pool, op["pick"])
        if item is not None:
            await pool.execute(
                "UPDATE queue_items SET mention_created_at = $2, category = $3, text = $4, queue = $5, sentiment = $6, "
                "updated_at = now(), version = version + 1 WHERE id = $1",
                item, op["posted"], op["category"], op["text"], op["queue"], op["sentiment"])
    elif op["op"] == "work":
        item = await _pick(pool, op["pick"])
        if item is not None:
            await pool.execute(
                "INSERT INTO queue_work (item_id, brand_id, status, assignee, first_replied_at, resolved_at) "
                "SELECT id, brand_id, $2, $3, CASE WHEN $4 THEN now() END, CASE WHEN $5 THEN now() END "
                "FROM queue_items WHERE id = $1 "
                "ON CONFLICT (item_id) DO UPDATE SET status = $2, assignee = $3, "
                "first_replied_at = CASE WHEN $4 THEN coalesce(queue_work.first_replied_at, now()) END, "
                "resolved_at = CASE WHEN $5 THEN now() END, updated_at = now(), version = queue_work.version + 1",
                item, op["status"], op["assignee"], op["replied"], op["resolved"])
    else:
        await asyncio.gather(*(catch_up(pool) for _ in range(op["replicas"])))


@pytest.fixture
async def database(fresh_database_dsn: str) -> str:
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    try:
        await migrate_all(pool)
    finally:
        await pool.close()
    return fresh_database_dsn


@pytest.mark.parametrize("margin", [module.LATE_COMMIT_MARGIN, timedelta(0)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, batch=st.integers(1, 4))
async def test_the_copy_equals_a_computation_from_scratch(database: str, margin: timedelta, ops: list[dict],
                                                          batch: int) -> None:
    # A small fill batch: a from-scratch fill over a few items still takes several passes. A zero
    # margin: each pass reads only what changed after the previous one began (in this test no
    # transaction commits late), so the watermark itself is what is tested.
    saved = module.FILL_BATCH, module.LATE_COMMIT_MARGIN
    module.FILL_BATCH, module.LATE_COMMIT_MARGIN = batch, margin
    pool = await asyncpg.create_pool(database, min_size=1, max_size=6)
    try:
        await pool.execute(RESET)
        for op in ops:
            await _apply(pool, op)
        await catch_up(pool)
        await assert_copy_is_exact(pool)
        assert await catch_up(pool) == 0  # nothing left to copy: a pass over an unchanged queue writes nothing
    finally:
        module.FILL_BATCH, module.LATE_COMMIT_MARGIN = saved
        await pool.close()


async def test_a_status_change_after_counting_is_recounted_not_double_counted(database: str) -> None:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
    try:
        posted = HOURS[0]
        item = await insert_timed_item(pool, brand="brand-a", posted=posted, sla_due=posted + timedelta(hours=1),
                                       category="complaint", text="refund missing #refund")
        await catch_up(pool)
        await pool.execute("UPDATE queue_items SET category = 'praise', text = 'merci', updated_at = now() "
                           "WHERE id = $1", item)
        await pool.execute("INSERT INTO queue_work (item_id, brand_id, status, resolved_at) "
                           "VALUES ($1, 'brand-a', 'resolved', now())", item)
        await catch_up(pool)
        assert [tuple(r) for r in await pool.fetch("SELECT category, n FROM console_analytics_volume_hourly")] \
            == [("praise", 1)]
        assert await pool.fetchval("SELECT count(*) FROM console_analytics_terms_hourly") == 0
        assert await pool.fetchval("SELECT unresolved FROM console_analytics_items WHERE item_id = $1", item) is False
    finally:
        await pool.close()


async def test_a_transaction_committed_after_a_pass_began_is_seen_by_the_next(database: str) -> None:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=3)
    try:
        posted = HOURS[1]
        item = await insert_timed_item(pool, brand="brand-a", posted=posted, sla_due=posted + timedelta(hours=1))
        await catch_up(pool)
        async with pool.acquire() as late:
            transaction = late.transaction()
            await transaction.start()  # its updated_at (now()) is stamped here, committed only after the pass
            await late.execute("UPDATE queue_items SET category = 'complaint', updated_at = now() WHERE id = $1", item)
            await asyncio.sleep(0.05)
            await catch_up(pool)  # does not see the uncommitted change
            await transaction.commit()
        await catch_up(pool)
        assert await pool.fetchval("SELECT category FROM console_analytics_items WHERE item_id = $1", item) \
            == "complaint"
        await assert_copy_is_exact(pool)
    finally:
        await pool.close()
