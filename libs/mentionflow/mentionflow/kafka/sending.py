"""Produce many keyed records at once, one record batch per topic-partition: the one batch
sender of the code base (the runner's outputs, the replay of files into mentions.raw).

`AIOKafkaProducer.send` costs a coroutine, a partitioner call (pure-Python murmur2) and a
future per record. `BatchSender` fills record batches through aiokafka's public batch API
(`create_batch`, `BatchBuilder.append`, `send_batch`) and gets one future per record batch.

What stays the same as `send`, for a producer that partitions with aiokafka's default
partitioner and has no key serializer (what `mentionflow.kafka.producer.make_producer` builds):
- placement: `DefaultPartitioner` (murmur2 of the key over the sorted partition ids, as the
  Java client), computed once per (topic, key) per `send_all` call or per stream;
- order: records of one topic-partition are appended, and their batches submitted, in the
  order given;
- durability: the batches go through the producer's accumulator and sender, so acks,
  idempotence (sequence numbers are set when a batch is drained), retries and the in-flight
  limit apply unchanged.
A record without a key goes through `send` (the producer picks its partition).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

# Keys are brand ids or entity ids; bound the cache so an unbounded key space cannot grow it.
_PARTITION_CACHE_LIMIT = 65_536


class BatchSender:
    """Sends (topic, key, value) records through `producer` in record batches.

    Two ways to use it:
    - `send_all(records)`: every record sent at once (open batches closed, so nothing waits
      `linger_ms`); returns the futures of the batches to await for the acknowledgements;
    - streaming: `add(...)` record by record (a full batch is sent as it fills; with
      `max_inflight_batches`, `add` waits for the oldest acknowledgement beyond that bound),
      `flush()` sends the partly filled batches, `drain()` flushes and awaits everything
      (raising the first failure) and counts what was acknowledged in `acked`.

    One user at a time: its open batches and futures belong to one caller, so concurrent tasks
    each take their own sender (sharing one would submit a batch twice and hand one caller
    another's futures).
    """

    def __init__(self, producer: AIOKafkaProducer, *, max_inflight_batches: int | None = None) -> None:
        self.producer = producer
        self.acked = 0
        self._max_inflight = max_inflight_batches
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}
        self._placement: dict[tuple[str, bytes], int] = {}  # for the partition ids in _partitions
        self._open: dict[tuple[str, int], tuple[Any, int]] = {}  # (topic, partition) → (builder, records)
        self._sent: deque[tuple[asyncio.Future[Any], int]] = deque()  # batches not awaited here yet

    async def partition_for(self, topic: str, key: bytes) -> int:
        """The partition `send` would choose for `key` (the default partitioner's)."""
        placed = self._placement.get((topic, key))
        if placed is None:
            ids = self._partitions.get(topic)
            if ids is None:
                ids = self._partitions[topic] = sorted(await self.producer.partitions_for(topic))
            if len(self._placement) >= _PARTITION_CACHE_LIMIT:
                self._placement.clear()
            placed = self._placement[(topic, key)] = self._partitioner(key, ids, ids)
        return placed

    async def add(self, topic: str, key: bytes | None, value: bytes) -> None:
        if key is None:
            self._sent.append((await self.producer.send(topic, value), 1))
            await self._bound_inflight()
            return
        partition = self._placement.get((topic, key))
        if partition is None:
            partition = await self.partition_for(topic, key)
        builder, count = self._open.get((topic, partition)) or (self.producer.create_batch(), 0)
        if builder.append(key=key, value=value, timestamp=None) is None:
            # Full: submit it (in order) and start the next one for this partition.
            await self._submit(topic, partition, builder, count)
            builder, count = self.producer.create_batch(), 0
            if builder.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"a record of {len(value)} bytes does not fit in an empty batch")
        self._open[(topic, partition)] = (builder, count + 1)

    async def flush(self) -> None:
        """Send every partly filled batch now (a closed batch does not linger for more)."""
        while self._open:
            (topic, partition), (builder, count) = self._open.popitem()
            await self._submit(topic, partition, builder, count)

    async def send_all(self, records: Iterable[tuple[str, bytes | None, bytes]]) -> list[asyncio.Future[Any]]:
        """Send every record; returns the futures to await for their acknowledgement (the caller
        awaits them, so lingering for records that are not coming would only add latency)."""
        self._partitions.clear()  # partition counts may have grown since the last call
        self._placement.clear()
        for topic, key, value in records:
            await self.add(topic, key, value)
        await self.flush()
        futures = [future for future, _ in self._sent]
        self._sent.clear()
        return futures

    async def drain(self) -> None:
        """Flush, then await every batch sent; raises the first failure."""
        await self.flush()
        while self._sent:
            await self._settle_oldest()

    async def _submit(self, topic: str, partition: int, builder: Any, count: int) -> None:
        builder.close()
        self._sent.append((await self.producer.send_batch(builder, topic, partition=partition), count))
        await self._bound_inflight()

    async def _bound_inflight(self) -> None:
        while self._max_inflight is not None and len(self._sent) > self._max_inflight:
            await self._settle_oldest()

    async def _settle_oldest(self) -> None:
        future, count = self._sent.popleft()
        await future
        self.acked += count
