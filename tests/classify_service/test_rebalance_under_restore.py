"""The livelock of issue 16, as a recipe: two classify replicas, a slow state restore, and
rebalances during it, after a replica handled (and dead-lettered) records whose commit failed.

Before: the restore ran inside the rebalance callback, the other replica's join rebalanced the
group meanwhile, commits failed, and the partitions were revoked, re-assigned and rebuilt again
and again; each redelivery dead-lettered the same poison record once more. Now: the callbacks
return at once, the restore runs with the partitions paused, lag returns to 0, and each poison
record is in the DLQ once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition
from mentionflow.classify.spikes import SpikeSettings
from mentionflow.events import encode
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import Runner
from mentionflow.settings import KafkaSettings, RunnerSettings
from mentionflow_classify.handler import ClassifyHandler

from tests.classify_service.test_classify_service import no_corrections, raw
from tests.helpers import caught_up, committed_offsets, eventually, produce, read_all

BRANDS = [f"brand{i}" for i in range(12)]
SLOW_RESTORE_S = 3.0


class SlowRestoreHandler(ClassifyHandler):
    """A restore as slow as 50,000 mentions on a loaded machine."""

    async def restore_partitions(self, committed: dict[TopicPartition, int]) -> None:
        await asyncio.sleep(SLOW_RESTORE_S)
        await super().restore_partitions(committed)


class CommitFailingRunner(Runner):
    """While `failing`, commits fail as they do when the group moved on (UnknownMemberId)."""

    failing = False

    async def _commit(self, tp: TopicPartition, next_offset: int) -> None:
        if not self.failing:
            await super()._commit(tp, next_offset)


class Replica:
    def __init__(self, kafka: KafkaSettings, settings: RunnerSettings, group: str) -> None:
        self.kafka, self.settings, self.group = kafka, settings, group
        self.handler = SlowRestoreHandler(kafka=kafka, group_id=group, profiles={}, spike_settings=SpikeSettings(),
                                          rebuild=timedelta(minutes=30), feed=no_corrections(kafka))

    async def start(self) -> Replica:
        self.producer = make_producer(self.kafka, client_id=f"t-{uuid.uuid4().hex[:6]}")
        await self.producer.start()
        self.runner = CommitFailingRunner(
            service="classify", group_id=self.group, topics=["mentions.raw"], handler=self.handler,
            producer=self.producer, kafka=self.kafka, settings=self.settings,
            on_assigned=self.handler.on_partitions_assigned, restore=self.handler.restore_partitions)
        self.task = asyncio.create_task(self.runner.run())
        return self

    async def stop(self) -> None:
        self.runner.stop()
        await asyncio.wait_for(self.task, 30)
        await self.producer.stop()


def _traffic(start: int, count: int) -> list[tuple[bytes | None, bytes | None]]:
    at = datetime.now(UTC)
    events = [raw(start + i, BRANDS[i % len(BRANDS)], "@x my order never arrived, terrible service", at)
              for i in range(count)]
    return [(e.brand_id.encode(), encode(e)) for e in events]


def _poison(tag: str) -> list[tuple[bytes | None, bytes | None]]:
    return [(brand.encode(), f'{{"poison": "{tag}-{brand}"}}'.encode()) for brand in BRANDS[:6]]


async def test_two_replicas_rebalancing_during_a_slow_restore_converge_and_dead_letter_once(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    settings = runner_settings.model_copy(update={"max_batch": 50})
    await produce(kafka_settings, "mentions.raw", _traffic(0, 600) + _poison("first"))
    first = await Replica(kafka_settings, settings, group).start()
    replicas = [first]
    try:
        await eventually(lambda: caught_up(kafka_settings, group, "mentions.raw"), timeout_s=30,
                         what="the first replica caught up")
        committed_before = await committed_offsets(kafka_settings, group, "mentions.raw")

        # The first replica handles and dead-letters more, but its commits fail...
        first.runner.failing = True
        await produce(kafka_settings, "mentions.raw", _poison("second") + _traffic(1000, 600))
        dlq_topic = kafka_settings.physical("mentions.raw.dlq")
        await read_all(kafka_settings, dlq_topic, expect=12, timeout_s=20)
        assert await committed_offsets(kafka_settings, group, "mentions.raw") == committed_before
        first.runner.failing = False

        # ...then a second replica joins (a rebalance; both restore slowly), and while they
        # restore it leaves and another one joins: two more rebalances during the restore.
        second = await Replica(kafka_settings, settings, group).start()
        replicas.append(second)
        await asyncio.sleep(SLOW_RESTORE_S / 3)
        await second.stop()
        replicas.remove(second)
        third = await Replica(kafka_settings, settings, group).start()
        replicas.append(third)

        await eventually(lambda: caught_up(kafka_settings, group, "mentions.raw"), timeout_s=40,
                         what="lag back to 0 after the rebalances")
        dlq = await read_all(kafka_settings, dlq_topic, expect=13, timeout_s=5)
    finally:
        for replica in replicas:
            await replica.stop()
    copies = Counter(record.value for record in dlq)
    assert len(copies) == 12, "every poison record is in the DLQ"
    assert set(copies.values()) == {1}, f"dead-lettered more than once: {copies}"
    # The redelivered batches went through a restore, not a re-classification of history.
    assert sum(len(r.handler.detectors) for r in (first, third)) > 0
