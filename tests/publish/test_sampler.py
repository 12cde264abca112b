"""publish's state sampler: queue depth/age and incident gauges, each SLA breach counted once."""

from __future__ import annotations

import json

import asyncpg
from mentionflow.db import migrate_all
from mentionflow.metrics import catalog
from mentionflow_console.main import MIGRATIONS as CONSOLE_MIGRATIONS
from mentionflow_publish.main import MIGRATIONS
from mentionflow_publish.sampler import StateSampler

_INSERT = """
INSERT INTO queue_items (brand_id, platform, external_id, mention_id, queue, priority, sla_due_at, status,
    category, sentiment, severity, author_handle, text, mention_created_at, received_at, mention,
    classification, decision, decided_at)
VALUES ($1, 'x', $2, $2, $3, 'P2', now() + make_interval(mins => $4), $5, 'complaint', 'negative', 0.4,
    'someone', 'text', now(), now() - make_interval(secs => $6), '{}'::jsonb, '{}'::jsonb, $7::jsonb, now())
"""


_WORK = """
INSERT INTO queue_work (item_id, brand_id, status) SELECT id, brand_id, $2 FROM queue_items WHERE external_id = $1
ON CONFLICT (item_id) DO UPDATE SET status = EXCLUDED.status
"""


def _value(metric, *labels: str) -> float:  # noqa: ANN001
    return metric.labels(*labels)._value.get()


async def test_gauges_follow_the_database_and_breaches_count_once(fresh_database_dsn: str) -> None:
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=3)
    try:
        # the item's status as people set it is the console's (queue_work), read through the domain's read model
        await migrate_all(pool, (*MIGRATIONS, *CONSOLE_MIGRATIONS))
        brand = "sampler-brand"
        async with pool.acquire() as conn:
            await conn.execute(_INSERT, brand, "1", "care", 30, "new", 120, json.dumps({}))
            await conn.execute(_INSERT, brand, "2", "care", -5, "new", 600, json.dumps({}))  # overdue
            await conn.execute(_INSERT, brand, "3", "care", -5, "escalated", 900, json.dumps({}))  # done: ignored
            await conn.execute(_WORK, "2", "claimed")
            await conn.execute(_WORK, "3", "resolved")
            await conn.execute(
                "INSERT INTO incidents (incident_id, brand_id, status, opened_at, updated_at) "
                "VALUES ('inc-s1', $1, 'open', now() - interval '10 minutes', now()), "
                "('inc-s2', $1, 'open', now() - interval '2 minutes', now())", brand)
            await conn.execute("UPDATE incidents SET acknowledged_at = now() WHERE incident_id = 'inc-s2'")
        breaches_before = _value(catalog.PUBLISH_SLA_BREACHES, brand, "care")
        sampler = StateSampler(pool)
        await sampler.sample()
        await sampler.sample()  # a second pass (or a second replica) must not count again
        assert _value(catalog.PUBLISH_QUEUE_DEPTH, brand, "care") == 2
        assert 590 <= _value(catalog.PUBLISH_QUEUE_OLDEST_AGE, brand, "care") < 700
        assert _value(catalog.PUBLISH_SLA_BREACHES, brand, "care") - breaches_before == 1
        assert _value(catalog.PUBLISH_OPEN_INCIDENTS, brand) == 2
        assert _value(catalog.PUBLISH_UNACKNOWLEDGED_INCIDENTS, brand) == 1
        assert 590 <= _value(catalog.PUBLISH_OLDEST_UNACKNOWLEDGED_INCIDENT_AGE, brand) < 700

        async with pool.acquire() as conn:
            for external_id in ("1", "2", "3"):
                await conn.execute(_WORK, external_id, "resolved")
            await conn.execute("UPDATE incidents SET status = 'closed'")
        await sampler.sample()
        assert _value(catalog.PUBLISH_QUEUE_DEPTH, brand, "care") == 0
        assert _value(catalog.PUBLISH_OPEN_INCIDENTS, brand) == 0
    finally:
        await pool.close()
