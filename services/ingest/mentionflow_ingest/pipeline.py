"""The one path every source takes into Kafka: dedup claim → produce → acknowledge → mark.

See repository.py for the dedup protocol and what happens on a crash in between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.events.mentions_raw import Mention
from mentionflow.ingestion import MENTIONS_RAW, dedup_key, encode_mention_event
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings

from mentionflow_ingest import repository
from mentionflow_ingest.settings import DedupSettings

log = logging.getLogger(__name__)

Status = Literal["accepted", "duplicate", "in_flight"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """`accepted`: produced now and acknowledged by Kafka; `duplicate`: already in Kafka;
    `in_flight`: claimed by another attempt that has not been acknowledged yet (it will be
    produced by that attempt or by the recovery sweep)."""

    mention: Mention
    status: Status


class Ingestor:
    """Shared by the pollers, the webhook and the HTTP API of one process. Safe to call
    concurrently: PostgreSQL's unique key arbitrates between callers and replicas."""

    def __init__(self, *, pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings,
                 dedup: DedupSettings) -> None:
        self._pool = pool
        self._producer = producer
        self._kafka = kafka
        self._dedup = dedup
        self._topic = kafka.physical(MENTIONS_RAW)

    async def ingest(self, mentions: Sequence[Mention], *, source: str) -> list[Outcome]:
        """Produce each mention unless already claimed; returns one Outcome per input, in order.

        Returns only after every accepted mention is acknowledged by Kafka and marked
        produced. Raises on Kafka or PostgreSQL failure: nothing is marked produced then,
        and the claims made are left for the sweep (the caller may retry right away; its
        retry sees them 'in_flight' until they are stale or produced).
        """
        requests: dict[repository.Key, repository.ClaimRequest] = {}
        for mention in mentions:
            key = dedup_key(mention)
            if key not in requests:  # the same post twice in one batch: first one wins
                event_key, event_value = encode_mention_event(mention)
                requests[key] = repository.ClaimRequest(key, mention.id, event_key, event_value)
        async with self._pool.acquire() as conn:
            statuses = await repository.claim(conn, requests=list(requests.values()), source=source,
                                              stale_after_s=self._dedup.stale_after_s)
        claimed = [requests[key] for key, status in statuses.items() if status == "claimed"]
        if claimed:
            await self._produce([(r.event_key, r.event_value) for r in claimed])
            async with self._pool.acquire() as conn:
                await repository.mark_produced(conn, keys=[r.key for r in claimed])

        outcomes: list[Outcome] = []
        first_seen: set[repository.Key] = set()
        for mention in mentions:
            key = dedup_key(mention)
            status = statuses.get(key, "produced")
            if status == "claimed" and key not in first_seen:
                first_seen.add(key)
                outcomes.append(Outcome(mention, "accepted"))
                catalog.INGEST_MENTIONS.labels(source, mention.brand_id).inc()
            else:
                outcomes.append(Outcome(mention, "in_flight" if status == "pending" else "duplicate"))
                catalog.INGEST_DUPLICATES.labels(source, mention.brand_id).inc()
        return outcomes

    async def _produce(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        # Queue every send first (the producer batches them), then await all acknowledgements.
        futures = [await self._producer.send(self._topic, value, key=key) for key, value in records]
        await asyncio.gather(*futures)

    async def sweep_once(self) -> int:
        """Produce orphaned pending claims (see repository); returns how many were produced.

        Rows are locked FOR UPDATE SKIP LOCKED for the duration, so replicas sweeping at the
        same time never produce the same row twice.
        """
        total = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                pending = await repository.take_stale_pending(
                    conn, stale_after_s=self._dedup.stale_after_s, limit=self._dedup.sweep_batch)
                if not pending:
                    return total
                await self._produce([(p.event_key, p.event_value) for p in pending])
                await repository.mark_produced(conn, keys=[p.key for p in pending])
            for p in pending:
                log.warning("recovered orphaned claim %s (attempts %d): produced by the sweep", p.key, p.attempts)
            catalog.INGEST_RECOVERED.inc(len(pending))
            total += len(pending)
            if len(pending) < self._dedup.sweep_batch:
                return total

    async def run_sweeper(self, stop: asyncio.Event) -> None:
        """Sweep at start, then every sweep_interval_s until `stop`; errors are retried next round."""
        while not stop.is_set():
            try:
                await self.sweep_once()
            except Exception:  # a sweep failure (DB or Kafka down) is retried next interval
                log.exception("recovery sweep failed; retrying in %.0fs", self._dedup.sweep_interval_s)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._dedup.sweep_interval_s)
            except TimeoutError:
                pass
