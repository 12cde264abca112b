"""Replay a file of mentions into mentions.raw, fast or at a fixed rate.

Producing: through mentionflow.kafka.sending.BatchSender (one record batch per partition,
full batches sent without awaiting them, a bounded number in flight), placed by the default
partitioner over the same key (brand id) as `send`, so a brand's replayed mentions land on the
partition the ingest service would have used. acks=all and idempotence as everywhere.

Dedup: the run never produces the same (platform, external id, brand) twice (an in-memory
set); across runs and against the ingest service it relies on deterministic ids (see
`encoding`): a mention replayed again is the identical event, absorbed by idempotent sinks.
It does not use the ingest service's claim table.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from mentionflow.events.mentions_raw import Mention
from mentionflow.ingestion.encoding import encode_mention_event
from mentionflow.kafka.sending import BatchSender

log = logging.getLogger(__name__)

MAX_INFLIGHT_BATCHES = 64


@dataclass
class ReplayStats:
    records: int = 0  # input records read
    produced: int = 0  # events acknowledged by Kafka
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)  # the first few rejection reasons
    by_brand: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.produced / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def reject(self, where: str, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < 10:
            self.errors.append(f"{where}: {reason}")


class Replayer:
    def __init__(self, producer: AIOKafkaProducer, topic: str, *, rate: float | None = None,
                 on_progress: Callable[[int], None] | None = None) -> None:
        self._producer = producer
        self._topic = topic
        self._rate = rate
        self._on_progress = on_progress
        self._seen: set[tuple[str, str, str]] = set()

    async def run(self, records: Iterable[tuple[str, Callable[[datetime], list[Mention]]]],
                  stats: ReplayStats) -> ReplayStats:
        """Produce the mentions of every record. `records` yields (where, build) where build(now)
        returns the record's mentions or raises ValueError (counted as rejected)."""
        batcher = BatchSender(self._producer, max_inflight_batches=MAX_INFLIGHT_BATCHES)
        started = time.perf_counter()
        # Pace in small steps so a rate-limited replay is smooth and its records are not held back.
        step = max(1, int(self._rate / 20)) if self._rate else 2_000
        queued = 0
        now = datetime.now(UTC)
        for where, build in records:
            stats.records += 1
            try:
                mentions = build(now)
            except ValueError as exc:
                stats.reject(where, str(exc))
                continue
            for mention in mentions:
                key = (mention.platform, mention.external_id, mention.brand_id)
                if key in self._seen:
                    stats.duplicates += 1
                    continue
                self._seen.add(key)
                event_key, event_value = encode_mention_event(mention)
                await batcher.add(self._topic, event_key, event_value)
                stats.by_brand[mention.brand_id] = stats.by_brand.get(mention.brand_id, 0) + 1
                queued += 1
            if stats.records % step == 0:
                now = datetime.now(UTC)
                if self._on_progress is not None:
                    self._on_progress(stats.records)
                if self._rate:
                    await batcher.flush()
                    ahead = started + queued / self._rate - time.perf_counter()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                else:
                    await asyncio.sleep(0)  # let the producer's sender run
        await batcher.drain()
        stats.produced = batcher.acked
        stats.elapsed_s = time.perf_counter() - started
        if self._on_progress is not None:
            self._on_progress(stats.records)
        return stats
