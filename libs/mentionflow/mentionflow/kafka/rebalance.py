"""What the runner does around rebalances: the assignors it offers, and the dead-letter index
that keeps each poison record in its DLQ once.

What the pinned aiokafka (0.14) supports, read from its source:
- static membership: `AIOKafkaConsumer(group_instance_id=...)` (KIP-345). A restarted member
  with the same id gets its partitions back without a rebalance, within the session timeout.
  It is opt-in (`RunnerSettings.group_instance_id`): two live replicas with one id fence each
  other, so the id must be unique per replica (e.g. a StatefulSet pod name).
- no cooperative (incremental) rebalancing: the consumer's rebalance listener "does not
  support incremental assignment", and no cooperative-sticky assignor ships. Every rebalance
  revokes all partitions of every member and assigns them again (eager protocol).
- an eager `StickyPartitionAssignor` ships, but is not used: its generation is never set
  (aio-libs/aiokafka#1176, open), so members' claims on partitions are not ordered, and here
  a two-replica classify group under CPU load entered a rebalance that never completed (over
  1,200 generations in two minutes, each member joining alternate generations); the same
  report upstream recovered with round-robin. Round-robin is aiokafka's default; a partition
  that moves costs one state restore (cheap: see classify's restore.py), never correctness.
So the runner keeps the callbacks short and restores state after them (see runner.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from mentionflow.events.topics import DLQ_SUFFIX
from mentionflow.settings import KafkaSettings

# How many of a DLQ partition's latest records are read when a partition is assigned. A DLQ
# record that matters here is one for an offset the group has not committed yet, i.e. one sent
# since the last commit of its source partition: it is among the latest few.
DLQ_LOOKBACK = 10_000


def assignment_strategies() -> tuple[type, ...]:
    """The assignors a member offers (see the module docstring for why not sticky)."""
    return (RoundRobinPartitionAssignor,)


async def stop_reader(reader: AIOKafkaConsumer) -> None:
    """Stop a group-less reader; its errors do not matter, a cancellation of the caller does."""
    try:
        await reader.stop()
    except asyncio.CancelledError:
        # aiokafka's stop can surface the cancellation of its own internal task; only a
        # cancellation of the calling task itself must propagate.
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception:  # noqa: S110 - a reader that fails to close has nothing left to lose
        pass


def _header(headers: Any, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return bytes(value).decode("utf-8", "replace")
    return None


class DeadLetterIndex:
    """Source offsets of this service's partitions, at or past the committed offset, that are
    already in their DLQ. Contract: `load` before handling an assigned partition; `contains`
    before dead-lettering; `add` once a DLQ record is acknowledged; `committed` after a commit
    (offsets below it can no longer be redelivered and are dropped); `forget` on revoke."""

    def __init__(self, service: str, kafka: KafkaSettings) -> None:
        self.service = service
        self.kafka = kafka
        self._offsets: dict[TopicPartition, set[int]] = {}
        self._dlq_partitions: dict[str, int] = {}

    def contains(self, tp: TopicPartition, offset: int) -> bool:
        return offset in self._offsets.get(tp, ())

    def add(self, tp: TopicPartition, offset: int) -> None:
        self._offsets.setdefault(tp, set()).add(offset)

    def committed(self, tp: TopicPartition, next_offset: int) -> None:
        offsets = self._offsets.get(tp)
        if offsets:
            offsets.difference_update([o for o in offsets if o < next_offset])

    def forget(self, tp: TopicPartition) -> None:
        self._offsets.pop(tp, None)

    async def dlq_partition(self, producer: AIOKafkaProducer, dlq_topic: str, source_partition: int) -> int:
        """The DLQ partition of a source partition: fixed, so `load` reads one partition."""
        count = self._dlq_partitions.get(dlq_topic)
        if count is None:
            count = self._dlq_partitions[dlq_topic] = len(await producer.partitions_for(dlq_topic))
        return source_partition % count

    async def load(self, producer: AIOKafkaProducer, committed: Mapping[TopicPartition, int]) -> None:
        """Index the DLQ records of this service for `committed`'s partitions at or past their
        committed offset (the only ones a redelivery could dead-letter again)."""
        if not committed:
            return
        reader = AIOKafkaConsumer(**self.kafka.client_kwargs(), group_id=None, enable_auto_commit=False,
                                  isolation_level="read_committed")
        await reader.start()
        try:
            wanted: dict[TopicPartition, list[TopicPartition]] = {}
            existing = await reader.topics()
            for tp in committed:
                dlq_topic = tp.topic + DLQ_SUFFIX
                if dlq_topic not in existing:
                    continue  # nothing was ever dead-lettered from this topic
                dlq_partition = await self.dlq_partition(producer, dlq_topic, tp.partition)
                wanted.setdefault(TopicPartition(dlq_topic, dlq_partition), []).append(tp)
            found = await _read_tail(reader, list(wanted))
        finally:
            await stop_reader(reader)
        for dlq_tp, sources in wanted.items():
            by_source = {(tp.topic, tp.partition): tp for tp in sources}
            for headers in found.get(dlq_tp, []):
                if _header(headers, "dlq.service") != self.service:
                    continue
                topic, source_partition, offset = (_header(headers, f"dlq.source.{n}") for n in
                                                   ("topic", "partition", "offset"))
                if topic is None or source_partition is None or offset is None:
                    continue
                tp = by_source.get((topic, int(source_partition)))
                if tp is not None and int(offset) >= committed[tp]:
                    self.add(tp, int(offset))


async def _read_tail(reader: AIOKafkaConsumer, partitions: list[TopicPartition]) -> dict[TopicPartition, list[Any]]:
    """The headers of the last DLQ_LOOKBACK records of each partition."""
    reader.assign(partitions)
    ends = await reader.end_offsets(partitions)
    starts = await reader.beginning_offsets(partitions)
    todo = {}
    for tp in partitions:
        start = max(starts[tp], ends[tp] - DLQ_LOOKBACK)
        if start < ends[tp]:
            reader.seek(tp, start)
            todo[tp] = ends[tp]
    found: dict[TopicPartition, list[Any]] = {}
    while todo:
        batch = await reader.getmany(*todo, timeout_ms=2000)
        if not batch:
            break  # nothing more arrives: what was read is the tail
        for tp, records in batch.items():
            found.setdefault(tp, []).extend(record.headers for record in records)
            if records and records[-1].offset + 1 >= todo.get(tp, 0):
                todo.pop(tp, None)
    return found
