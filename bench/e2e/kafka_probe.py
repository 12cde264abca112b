"""What the broker sees: end offsets and committed offsets (progress of each stage), and the
broker's own ceiling for our events (raw aiokafka produce + consume, no processing)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.sending import BatchSender
from mentionflow.settings import KafkaSettings
from mentionflow_tools.replay import MAX_INFLIGHT_BATCHES

# The replay CLI's producer options: big batches, a longer linger; throughput is the point.
BULK_PRODUCER = {"linger_ms": 20, "max_batch_size": 1024 * 1024, "max_request_size": 8 * 1024 * 1024}
FETCH_BYTES = 4 * 1024 * 1024  # the runner's max_partition_fetch_bytes


class OffsetProbe:
    """Sums of end offsets and of a group's committed offsets over a topic's partitions.
    Topic names given to it are physical."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self._kafka = kafka
        self._consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False)
        self._admin = AIOKafkaAdminClient(**kafka.client_kwargs(), client_id=f"{kafka.client_id_prefix}-bench")
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def start(self) -> OffsetProbe:
        await self._consumer.start()
        await self._admin.start()
        return self

    async def close(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        found = self._partitions.get(topic)
        if found is None:
            described = await self._admin.describe_topics([topic])
            found = sorted(TopicPartition(topic, p["partition"]) for p in described[0]["partitions"])
            if not found:
                raise RuntimeError(f"topic {topic} has no partitions (does it exist?)")
            self._partitions[topic] = found
        return found

    async def end_total(self, topic: str) -> int:
        ends = await self._consumer.end_offsets(await self.partitions(topic))
        return sum(ends.values())

    async def group_stable(self, group: str) -> bool:
        """The group has members and has finished assigning partitions to them."""
        try:
            responses = await self._admin.describe_consumer_groups([group])
        except KafkaError:
            return False
        # DescribeGroups v0+: (error_code, group_id, state, protocol_type, protocol, members, ...)
        return any(g[0] == 0 and g[2] == "Stable" and len(g[5]) > 0 for r in responses for g in r.groups)

    async def committed_total(self, group: str, topic: str) -> int:
        try:
            offsets = await self._admin.list_consumer_group_offsets(group, partitions=await self.partitions(topic))
        except KafkaError:  # the group does not exist yet
            return 0
        return sum(meta.offset for meta in offsets.values() if meta.offset > 0)


@dataclass(frozen=True)
class Ceiling:
    records: int
    produce_s: float  # until every record was acknowledged
    end_to_end_s: float  # until the consumer had read every record

    @property
    def per_s(self) -> float:
        return self.records / self.end_to_end_s


async def kafka_ceiling(kafka: KafkaSettings, topic: str, records: Sequence[tuple[bytes, bytes]],
                        *, timeout_s: float = 300.0) -> Ceiling:
    """Produce `records` (already serialised) to the physical `topic` and read them back with a
    plain consumer at the same time: the transport alone, with the services' producer guarantees
    (acks=all, idempotence), the replay's batching and the runner's read_committed fetches."""
    producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-bench-ceiling", **BULK_PRODUCER)
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", max_partition_fetch_bytes=FETCH_BYTES)
    await producer.start()
    await consumer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        started = time.perf_counter()

        async def produce() -> float:
            batcher = BatchSender(producer, max_inflight_batches=MAX_INFLIGHT_BATCHES)
            for key, value in records:
                await batcher.add(topic, key, value)
            await batcher.drain()
            return time.perf_counter() - started

        async def consume() -> float:
            seen = 0
            while seen < len(records):
                batches = await consumer.getmany(timeout_ms=200, max_records=10_000)
                seen += sum(len(batch) for batch in batches.values())
            return time.perf_counter() - started

        produce_s, consume_s = await asyncio.wait_for(asyncio.gather(produce(), consume()), timeout_s)
        return Ceiling(len(records), produce_s, consume_s)
    finally:
        await consumer.stop()
        await producer.stop()
