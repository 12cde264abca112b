"""Queue and incident state as Prometheus gauges, and SLA breaches counted once each. Queue
depth and breaches count the items whose SLA clock runs (domain.AWAITING_REPLY).

Every replica samples the same database, so dashboards aggregate these gauges with max().
A breach is claimed with an UPDATE ... RETURNING on `sla_breached_at IS NULL`: two replicas
sampling at the same moment cannot both count the same item.
"""

from __future__ import annotations

import asyncpg
from mentionflow.metrics import catalog
from mentionflow.queue import domain

# The item's status as people see it (the console's work state over publish's row): read
# through the shared read model, the one cross-owner read publish makes.
_QUEUES = f"""
SELECT q.brand_id, q.queue, count(*) AS depth,
       coalesce(extract(epoch FROM now() - min(q.received_at)), 0) AS oldest_s
FROM {domain.ITEM_FROM} WHERE {domain.ITEM_STATUS} = ANY($1::text[])
GROUP BY q.brand_id, q.queue
"""
_INCIDENTS = """
SELECT brand_id,
       count(*) AS open,
       count(*) FILTER (WHERE acknowledged_at IS NULL) AS unacknowledged,
       coalesce(extract(epoch FROM now() - min(opened_at) FILTER (WHERE acknowledged_at IS NULL)), 0)
           AS oldest_unacknowledged_s
FROM incidents WHERE status = 'open'
GROUP BY brand_id
"""
_BREACHES = f"""
UPDATE queue_items SET sla_breached_at = now()
WHERE id IN (SELECT q.id FROM {domain.ITEM_FROM}
             WHERE q.sla_breached_at IS NULL AND q.sla_due_at < now() AND {domain.ITEM_STATUS} = ANY($1::text[]))
  AND sla_breached_at IS NULL
RETURNING brand_id, queue
"""


class StateSampler:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._queues: set[tuple[str, str]] = set()
        self._brands: set[str] = set()

    async def sample(self) -> None:
        """One pass: refresh the gauges, count new SLA breaches."""
        async with self.pool.acquire() as conn:
            queues = await conn.fetch(_QUEUES, list(domain.AWAITING_REPLY))
            incidents = await conn.fetch(_INCIDENTS)
            breaches = await conn.fetch(_BREACHES, list(domain.AWAITING_REPLY))
        seen_queues = set()
        for row in queues:
            key = (row["brand_id"], row["queue"])
            seen_queues.add(key)
            catalog.PUBLISH_QUEUE_DEPTH.labels(*key).set(row["depth"])
            catalog.PUBLISH_QUEUE_OLDEST_AGE.labels(*key).set(float(row["oldest_s"]))
        for key in self._queues - seen_queues:  # emptied since the last pass: report zero
            catalog.PUBLISH_QUEUE_DEPTH.labels(*key).set(0)
            catalog.PUBLISH_QUEUE_OLDEST_AGE.labels(*key).set(0)
        self._queues |= seen_queues
        seen_brands = set()
        for row in incidents:
            brand = row["brand_id"]
            seen_brands.add(brand)
            catalog.PUBLISH_OPEN_INCIDENTS.labels(brand).set(row["open"])
            catalog.PUBLISH_UNACKNOWLEDGED_INCIDENTS.labels(brand).set(row["unacknowledged"])
            catalog.PUBLISH_OLDEST_UNACKNOWLEDGED_INCIDENT_AGE.labels(brand).set(
                float(row["oldest_unacknowledged_s"]))
        for brand in self._brands - seen_brands:
            catalog.PUBLISH_OPEN_INCIDENTS.labels(brand).set(0)
            catalog.PUBLISH_UNACKNOWLEDGED_INCIDENTS.labels(brand).set(0)
            catalog.PUBLISH_OLDEST_UNACKNOWLEDGED_INCIDENT_AGE.labels(brand).set(0)
        self._brands |= seen_brands
        for row in breaches:
            catalog.PUBLISH_SLA_BREACHES.labels(row["brand_id"], row["queue"]).inc()
