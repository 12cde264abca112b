"""Shadow replay: read mentions.classified from a point in time, without side effects.

`ShadowReader.events()` assigns every partition of the topic to a consumer of its own group
(unique per run, so it never joins or disturbs the routing service's group), seeks each
partition to the first offset at or after `since` (Kafka's offsets_for_times), and reads up to
the end offsets captured at start — messages produced during the replay are not chased, so the
replay ends. Nothing is committed and nothing is produced. Messages that cannot be decoded are
counted and skipped (a replay reports on them; the routing service is the one that dead-letters).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mentionflow.events import DecodeError, Envelope, decode
from mentionflow.settings import KafkaSettings

log = logging.getLogger(__name__)

CLASSIFIED_TOPIC = "mentions.classified"
MAX_UNDECODABLE_SAMPLES = 10


class ShadowError(RuntimeError):
    """The replay could not run (unknown topic, broker gone, no progress)."""


@dataclass
class ShadowStats:
    topic: str = ""
    group_id: str = ""
    since: str = ""
    partitions: int = 0
    start_offsets: dict[int, int] = field(default_factory=dict)
    end_offsets: dict[int, int] = field(default_factory=dict)
    read: int = 0
    decoded: int = 0
    undecodable: int = 0
    undecodable_samples: list[str] = field(default_factory=list)
    truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic, "group_id": self.group_id, "since": self.since,
            "partitions": self.partitions,
            "start_offsets": {str(p): o for p, o in sorted(self.start_offsets.items())},
            "end_offsets": {str(p): o for p, o in sorted(self.end_offsets.items())},
            "read": self.read, "decoded": self.decoded, "undecodable": self.undecodable,
            "undecodable_samples": list(self.undecodable_samples), "truncated": self.truncated,
        }


class ShadowReader:
    """Reads one bounded window of mentions.classified. Use `events()` once."""

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        since: datetime,
        group_id: str | None = None,
        limit: int | None = None,
        idle_timeout_s: float = 30.0,
        fetch_timeout_ms: int = 500,
    ) -> None:
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        self.kafka = kafka
        self.since = since
        self.topic = kafka.physical(CLASSIFIED_TOPIC)
        self.group_id = group_id or f"{kafka.client_id_prefix}-rules-diff-{uuid.uuid4().hex[:12]}"
        self.limit = limit
        self.idle_timeout_s = idle_timeout_s
        self.fetch_timeout_ms = fetch_timeout_ms
        self.stats = ShadowStats(topic=self.topic, group_id=self.group_id, since=since.isoformat())

    async def events(self) -> AsyncIterator[Envelope[Any]]:
        """Decoded envelopes from `since` to the end offsets seen at start, partition order
        within each partition (no order across partitions)."""
        consumer = AIOKafkaConsumer(
            **self.kafka.client_kwargs(),
            group_id=self.group_id,
            client_id=self.group_id,
            enable_auto_commit=False,  # no side effects: this group never commits an offset
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            remaining = await self._position(consumer)
            async for envelope in self._read(consumer, remaining):
                yield envelope
        finally:
            await consumer.stop()

    async def _position(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
        """Assign all partitions, seek to `since`; returns the unfinished partitions' end offsets."""
        partitions = await self._partitions()
        tps = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.offsets_for_times({tp: int(self.since.timestamp() * 1000) for tp in tps})
        self.stats.partitions = len(tps)
        remaining: dict[TopicPartition, int] = {}
        for tp in tps:
            found = starts.get(tp)
            start = found.offset if found is not None else ends[tp]  # None: nothing since then
            self.stats.start_offsets[tp.partition] = start
            self.stats.end_offsets[tp.partition] = ends[tp]
            if start < ends[tp]:
                consumer.seek(tp, start)
                remaining[tp] = ends[tp]
        done = [tp for tp in tps if tp not in remaining]
        if done:
            consumer.pause(*done)
        log.info("shadow replay of %s since %s: %d partitions, %d messages to read (group %s)",
                 self.topic, self.since.isoformat(), len(tps),
                 sum(self.stats.end_offsets[tp.partition] - self.stats.start_offsets[tp.partition]
                     for tp in tps), self.group_id)
        return remaining

    async def _partitions(self) -> list[int]:
        """The topic's partitions. Asks for the metadata of all topics on purpose: a metadata
        request naming a missing topic may auto-create it, and a dry run must not."""
        admin = AIOKafkaAdminClient(**self.kafka.client_kwargs(), client_id=self.group_id)
        await admin.start()
        try:
            topics = await admin.describe_topics()
        finally:
            await admin.close()
        for described in topics:
            if described["topic"] == self.topic and described["error_code"] == 0:
                return sorted(p["partition"] for p in described["partitions"])
        raise ShadowError(f"topic {self.topic!r} does not exist on {self.kafka.bootstrap_servers}")

    async def _read(
        self, consumer: AIOKafkaConsumer, remaining: dict[TopicPartition, int]
    ) -> AsyncIterator[Envelope[Any]]:
        loop = asyncio.get_running_loop()
        last_progress = loop.time()
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=self.fetch_timeout_ms)
            progressed = False
            for tp, messages in batches.items():
                end = remaining.get(tp)
                if end is None:
                    continue
                for message in messages:
                    if message.offset >= end:
                        break
                    progressed = True
                    self.stats.read += 1
                    try:
                        envelope = decode(CLASSIFIED_TOPIC, message.value)
                    except DecodeError as exc:
                        self._undecodable(tp, message.offset, exc)
                        continue
                    self.stats.decoded += 1
                    yield envelope
                    if self.limit is not None and self.stats.decoded >= self.limit:
                        self.stats.truncated = True
                        return
            for tp in list(remaining):
                # Position, not the last offset seen: transaction markers and compaction leave
                # gaps, and the position moves past them.
                if await consumer.position(tp) >= remaining[tp]:
                    del remaining[tp]
                    consumer.pause(tp)
            now = loop.time()
            if progressed:
                last_progress = now
            elif now - last_progress > self.idle_timeout_s:
                raise ShadowError(
                    f"no progress for {self.idle_timeout_s:.0f}s with partitions "
                    f"{sorted(tp.partition for tp in remaining)} unfinished"
                )

    def _undecodable(self, tp: TopicPartition, offset: int, exc: DecodeError) -> None:
        self.stats.undecodable += 1
        if len(self.stats.undecodable_samples) < MAX_UNDECODABLE_SAMPLES:
            self.stats.undecodable_samples.append(f"partition {tp.partition} offset {offset}: {exc.kind}: {exc}")
        log.warning("shadow replay: undecodable message %s[%d]@%d: %s", tp.topic, tp.partition, offset, exc)
