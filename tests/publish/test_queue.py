"""The CM queue from mentions.routed: replay-proof rows, newer-only updates, P1/P2 notifications."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest
from mentionflow.db import migrate_all
from mentionflow.events import decode, encode, payload_documents
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import Runner
from mentionflow.settings import KafkaSettings, PostgresSettings, RunnerSettings
from mentionflow_publish.channels import ChannelDirectory
from mentionflow_publish.delivery_worker import DeliveryWorker
from mentionflow_publish.handler import CONSUMED_TOPICS, PublishHandler
from mentionflow_publish.main import MIGRATIONS
from mentionflow_publish.queue_store import upsert_items
from mentionflow_publish.settings import PublishSettings
from pydantic import SecretStr

from tests.helpers import eventually, produce_events
from tests.publish.support import Receiver, consumed_everything, routed_event


@pytest.fixture
async def pool(fresh_database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=8)
    await migrate_all(pool, MIGRATIONS)
    yield pool
    await pool.close()


async def test_replaying_routed_events_three_times_leaves_one_row_each_and_one_notification(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings, pool: asyncpg.Pool, fresh_database_dsn: str,
) -> None:
    receiver = await Receiver(statuses=[500]).start()  # the first notification is retried
    settings = PublishSettings(kafka=kafka_settings, postgres=PostgresSettings(dsn=fresh_database_dsn),
                               queue_webhooks={"urgent": SecretStr(receiver.url)},
                               delivery_backoff_initial_s=0.05, delivery_poll_s=0.05)
    events = [routed_event(i, brand=f"b{i % 3}", priority="P1" if i % 10 == 0 else "P3",
                           queue="urgent" if i % 10 == 0 else "care") for i in range(60)]
    channels = ChannelDirectory(settings, None)
    worker = DeliveryWorker(pool, settings, channels)
    handler = PublishHandler(pool, settings, kafka_settings, channels, wake_deliveries=worker.wake)
    producer = make_producer(kafka_settings, client_id="test-publish")
    await producer.start()
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner = Runner(service="publish-test", group_id=group, topics=CONSUMED_TOPICS, handler=handler,
                    producer=producer, kafka=kafka_settings, settings=runner_settings)
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(runner.run()), asyncio.create_task(worker.run(stopping))]
    try:
        for _ in range(3):  # the same events, replayed three times, each round consumed before the next
            await produce_events(kafka_settings, "mentions.routed", events)
            await eventually(lambda: consumed_everything(kafka_settings, group, "mentions.routed"), timeout_s=60,
                             what="every routed event consumed")
        await eventually(lambda: _sent_count(pool, 6), timeout_s=20, what="six notifications sent")
    finally:
        runner.stop()
        stopping.set()
        await asyncio.gather(*tasks)
        await producer.stop()
        await worker.close()
        await receiver.stop()

    rows = await pool.fetch("SELECT brand_id, external_id, version FROM queue_items")
    assert len(rows) == len(events)
    assert {(r["brand_id"], r["external_id"]) for r in rows} == {
        (e.payload.mention.brand_id, e.payload.mention.external_id) for e in events}
    assert all(r["version"] == 1 for r in rows), "a replayed decision is not newer: no update"
    # one notification per P1 item whatever the replays; the 500 answered first was retried
    texts = [body["text"] for body in receiver.accepted()]
    assert len(texts) == 6 and len(set(texts)) == 6
    assert [r["status"] for r in receiver.received].count(500) == 1
    attempts = await pool.fetchval("SELECT count(*) FROM publish_delivery_attempts")
    assert attempts == 7, "every attempt is recorded"


async def _sent_count(pool: asyncpg.Pool, expected: int) -> bool:
    return await pool.fetchval("SELECT count(*) FROM publish_deliveries WHERE status = 'sent'") == expected


async def test_a_newer_decision_updates_an_older_one_does_not_and_people_keep_their_fields(
    pool: asyncpg.Pool,
) -> None:
    t0 = datetime.now(UTC)
    first = routed_event(1, priority="P3", decided_at=t0).payload
    newer = routed_event(1, priority="P1", queue="urgent", decided_at=t0 + timedelta(seconds=5)).payload
    older = routed_event(1, priority="P4", queue="old", decided_at=t0 - timedelta(seconds=5)).payload
    async with pool.acquire() as conn:
        created = await upsert_items(conn, [first])
        assert [c.created for c in created] == [True]
        await conn.execute("UPDATE queue_items SET status = 'claimed', assignee = 'ana', tags = '{vip}'")
        updated = await upsert_items(conn, [newer])
        assert [c.created for c in updated] == [False]
        assert await upsert_items(conn, [older]) == [], "an older decision changes nothing"
        row = await conn.fetchrow("SELECT * FROM queue_items")
    assert (row["priority"], row["queue"], row["version"]) == ("P1", "urgent", 2)
    assert (row["status"], row["assignee"]) == ("claimed", "ana"), "people's fields are theirs"
    assert sorted(row["tags"]) == ["t1", "vip"]


async def test_crisis_enters_escalated_and_a_batch_with_the_same_item_twice_keeps_the_newest(
    pool: asyncpg.Pool,
) -> None:
    t0 = datetime.now(UTC)
    batch = [routed_event(7, category="crisis", priority="P2", decided_at=t0 + timedelta(seconds=1)).payload,
             routed_event(7, category="crisis", priority="P1", decided_at=t0 + timedelta(seconds=2)).payload,
             routed_event(7, category="crisis", priority="P4", decided_at=t0).payload]
    async with pool.acquire() as conn:
        changes = await upsert_items(conn, batch)
        row = await conn.fetchrow("SELECT status, priority, version FROM queue_items")
    assert len(changes) == 1
    assert dict(row) == {"status": "escalated", "priority": "P1", "version": 1}




async def test_rows_keep_the_documents_as_the_routed_event_carried_them(pool: asyncpg.Pool) -> None:
    """publish stores the mention, classification and decision it received, not the models
    encoded again: a field a newer producer added survives, and each row gets its own event's."""
    t0 = datetime.now(UTC)
    values = []
    for n, seconds in ((7, 1), (7, 2), (8, 0)):  # item 7 twice: the newer decision wins
        event = orjson.loads(encode(routed_event(n, decided_at=t0 + timedelta(seconds=seconds))))
        event["payload"]["mention"]["added_later"] = f"seen {n}.{seconds}"
        values.append(orjson.dumps(event))
    batch = [decode("mentions.routed", value).payload for value in values]
    async with pool.acquire() as conn:
        await upsert_items(conn, batch, [payload_documents(value) for value in values])
        rows = await conn.fetch("SELECT external_id, mention, classification, decision FROM queue_items "
                                "ORDER BY external_id")
    assert [orjson.loads(r["mention"])["added_later"] for r in rows] == ["seen 7.2", "seen 8.0"]
    for row, routed in zip(rows, (batch[1], batch[2]), strict=True):
        assert orjson.loads(row["mention"])["external_id"] == routed.mention.external_id == row["external_id"]
        assert orjson.loads(row["classification"]) == routed.classification.model_dump(mode="json")
        assert orjson.loads(row["decision"]) == routed.decision.model_dump(mode="json")
