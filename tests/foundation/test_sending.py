"""The one batch sender places and orders records as `producer.send` does (all at once, and
streamed with a bound on batches in flight); the DLQ guard's running count trips exactly where
summing the window would."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import DlqLimitExceeded, _DlqGuard
from mentionflow.kafka.sending import BatchSender
from mentionflow.settings import KafkaSettings

from tests.helpers import read_all


async def test_batches_land_where_send_puts_them_in_order(kafka_settings: KafkaSettings) -> None:
    topic = kafka_settings.physical("mentions.classified")
    keys = [f"brand-{i % 7}".encode() for i in range(600)]
    # Values large enough that one partition's records span several record batches.
    records = [(topic, key, f"{i:05d}".encode() + b"x" * 2000) for i, key in enumerate(keys)]
    producer = make_producer(kafka_settings, client_id="test-sending", max_batch_size=64 * 1024)
    await producer.start()
    try:
        sender = BatchSender(producer)
        acks = await asyncio.gather(*await sender.send_all(records))
        assert len(acks) >= 7  # one future per record batch, several batches
        expected = {key: (await (await producer.send(topic, b"probe", key=key))).partition for key in set(keys)}
    finally:
        await producer.stop()
    got = await read_all(kafka_settings, topic, expect=len(records) + len(set(keys)))
    placed = [r for r in got if r.value != b"probe"]
    assert len(placed) == len(records)
    for record in placed:
        assert record.partition == expected[record.key]
    for key in set(keys):  # per key (hence per partition) the order given is kept
        values = [r.value[:5] for r in sorted(placed, key=lambda r: r.offset) if r.key == key]
        assert values == sorted(values)


async def test_streaming_keeps_order_and_placement_and_bounds_the_batches_in_flight(
    kafka_settings: KafkaSettings,
) -> None:
    topic = kafka_settings.physical("mentions.raw")
    keys = [f"brand-{i % 5}".encode() for i in range(400)]
    producer = make_producer(kafka_settings, client_id="test-sending-stream", max_batch_size=16 * 1024)
    await producer.start()
    try:
        sender = BatchSender(producer, max_inflight_batches=2)
        for i, key in enumerate(keys):
            await sender.add(topic, key, f"{i:05d}".encode() + b"y" * 1000)
            if i == 200:
                await sender.flush()  # a rate-limited replay sends partial batches mid-way
        await sender.drain()
        assert sender.acked == len(keys)
        expected = {key: (await (await producer.send(topic, b"probe", key=key))).partition for key in set(keys)}
    finally:
        await producer.stop()
    placed = [r for r in await read_all(kafka_settings, topic, expect=len(keys) + 5) if r.value != b"probe"]
    assert len(placed) == len(keys) and all(r.partition == expected[r.key] for r in placed)
    for key in set(keys):
        values = [r.value[:5] for r in sorted(placed, key=lambda r: r.offset) if r.key == key]
        assert values == sorted(values)


def _trips_by_sum(flags: list[bool], max_consecutive: int, max_ratio: float, window: int) -> int | None:
    """The guard's definition, summing the window each time: index of the record that trips."""
    consecutive, recent = 0, deque[bool]()
    for i, poison in enumerate(flags):
        consecutive = consecutive + 1 if poison else 0
        recent.append(poison)
        if len(recent) > window:
            recent.popleft()
        if consecutive > max_consecutive:
            return i
        if len(recent) >= window and sum(recent) / len(recent) > max_ratio:
            return i
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), max_size=200), st.integers(1, 8), st.sampled_from([0.1, 0.3, 0.5, 0.9]),
       st.integers(10, 40))
def test_dlq_guard_running_count_trips_where_the_window_sum_does(
    flags: list[bool], max_consecutive: int, max_ratio: float, window: int
) -> None:
    guard = _DlqGuard(max_consecutive, max_ratio, window)
    tripped = None
    for i, poison in enumerate(flags):
        try:
            guard.record(poison)
        except DlqLimitExceeded:
            tripped = i
            break
        assert guard.poison_in_window == sum(guard.recent)
    assert tripped == _trips_by_sum(flags, max_consecutive, max_ratio, window)


def test_dlq_guard_ratio_message() -> None:
    guard = _DlqGuard(max_consecutive=100, max_ratio=0.5, window=10)
    with pytest.raises(DlqLimitExceeded, match="60% of the last 10"):
        for poison in [True, False] * 4 + [True, True]:
            guard.record(poison)
