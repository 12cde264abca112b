"""Helpers for tests against the real broker: build events, produce, read back, check offsets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from mentionflow.events import encode, make_envelope
from mentionflow.events.envelope import Envelope
from mentionflow.events.mentions_raw import Author, Mention, MentionReceived, mention_id
from mentionflow.settings import KafkaSettings


def mention_event(n: int, brand: str = "acme", text: str | None = None) -> Envelope[Any]:
    now = datetime.now(UTC)
    external_id = str(10**15 + n)
    mention = Mention(
        id=mention_id("x", external_id, brand), external_id=external_id, brand_id=brand,
        account_handle=brand, author=Author(id=str(n), handle=f"user{n}", followers=n % 5000),
        text=text or f"@{brand} message number {n}", lang="en", created_at=now, received_at=now,
        source="generator",
    )
    return make_envelope("mentions.raw", MentionReceived(mention=mention), brand_id=brand,
                         correlation_id=mention.id)


async def produce(settings: KafkaSettings, topic_name: str, values: list[tuple[bytes | None, bytes | None]],
                  partition: int | None = None) -> None:
    """Produce (key, value) pairs to a registry topic and wait for every acknowledgement."""
    producer = AIOKafkaProducer(**settings.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(settings.physical(topic_name), value, key=key, partition=partition)
                   for key, value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def produce_events(settings: KafkaSettings, topic_name: str, events: list[Envelope[Any]]) -> None:
    await produce(settings, topic_name, [(e.brand_id.encode(), encode(e)) for e in events])


async def read_all(settings: KafkaSettings, physical_topic: str, *, expect: int,
                   timeout_s: float = 30.0) -> list[Any]:
    """Read a topic from the beginning until `expect` records arrived (or the timeout)."""
    consumer = AIOKafkaConsumer(physical_topic, **settings.client_kwargs(), group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(records) < expect and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for items in batch.values():
                records.extend(items)
    finally:
        await consumer.stop()
    return records


async def end_offsets(settings: KafkaSettings, topic_name: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**settings.client_kwargs(), group_id=None)
    await consumer.start()
    try:
        physical = settings.physical(topic_name)
        partitions = [TopicPartition(physical, p) for p in consumer.partitions_for_topic(physical) or ()]
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - fresh client, no metadata yet
            partitions = [TopicPartition(physical, p) for p in consumer.partitions_for_topic(physical) or ()]
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def committed_offsets(settings: KafkaSettings, group_id: str, topic_name: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(**settings.client_kwargs())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
    except KafkaError:  # the offsets topic is still being created on a fresh broker
        return {}
    finally:
        await admin.close()
    physical = settings.physical(topic_name)
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == physical}


async def eventually(condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 30.0,
                     what: str = "condition") -> None:
    """Await `condition` until it holds; fail with `what` after the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        if await condition():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


async def caught_up(settings: KafkaSettings, group_id: str, topic_name: str) -> bool:
    """True when the group has committed every non-empty partition of the topic to its end."""
    ends = {p: o for p, o in (await end_offsets(settings, topic_name)).items() if o > 0}
    committed = await committed_offsets(settings, group_id, topic_name)
    return bool(ends) and all(committed.get(p) == o for p, o in ends.items())


async def wait_ready(port: int, *, what: str, timeout_s: float = 60.0) -> None:
    """Wait until the service process on 127.0.0.1:`port` answers /readyz with 200."""
    import httpx

    async def answers() -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(answers, timeout_s=timeout_s, what=what)
