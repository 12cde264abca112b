"""The runner against the real broker, in-process: DLQ, limits, retries, backpressure, rebalance."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import TopicPartition
from mentionflow.events import encode, make_envelope
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import BatchResult, DlqLimitExceeded, IncomingMessage, Output, Runner, TransientError
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings, RunnerSettings

from tests.helpers import committed_offsets, end_offsets, eventually, mention_event, produce, produce_events, read_all


class RecordingHandler:
    """Idempotent sink: counts every delivery, keeps each event id once."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.fail_next = 0
        self.block: asyncio.Event | None = None
        self.outputs_to: str | None = None

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        if self.block is not None:
            await self.block.wait()
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("database briefly unavailable")
        result = BatchResult()
        for message in messages:
            self.deliveries[str(message.envelope.event_id)] += 1
            if "reject me" in message.envelope.payload.mention.text:
                result.rejected.append((message, "text asks to be rejected"))
            elif self.outputs_to:
                result.outputs.append(Output(self.outputs_to, message.envelope))
        return result


async def _runner(kafka: KafkaSettings, settings: RunnerSettings, handler: Any, group: str,
                  topics: Sequence[str] = ("mentions.raw",)) -> tuple[Runner, Any]:
    producer = make_producer(kafka, client_id=f"test-{group}")
    await producer.start()
    runner = Runner(service="test", group_id=group, topics=topics, handler=handler, producer=producer,
                    kafka=kafka, settings=settings)
    return runner, producer


async def _run_until(runner: Runner, producer: Any, condition: Any, *, what: str) -> None:
    task = asyncio.create_task(runner.run())
    try:
        await eventually(condition, what=what)
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=15)
        await producer.stop()


async def test_poison_messages_reach_the_dlq_with_headers_and_the_consumer_goes_on(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    good = [mention_event(i) for i in range(20)]
    schema_invalid = b'{"event_type": "mention.received", "schema_version": 1, "brand_id": "acme"}'
    values = [(b"acme", encode(e)) for e in good[:10]]
    values += [(b"acme", b"this is not json {"), (b"acme", schema_invalid)]
    values += [(b"acme", encode(e)) for e in good[10:]]
    await produce(kafka_settings, "mentions.raw", values, partition=0)

    handler = RecordingHandler()
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner, producer = await _runner(kafka_settings, runner_settings, handler, group)

    async def all_committed() -> bool:
        return (await committed_offsets(kafka_settings, group, "mentions.raw")).get(0) == len(values)

    await _run_until(runner, producer, all_committed, what="offsets committed past the poison")
    assert set(handler.deliveries) == {str(e.event_id) for e in good}

    dlq = await read_all(kafka_settings, kafka_settings.physical("mentions.raw.dlq"), expect=2)
    assert [r.value for r in dlq] == [b"this is not json {", schema_invalid]
    headers = [dict(r.headers) for r in dlq]
    assert headers[0]["dlq.error.class"] == b"DecodeError.json"
    assert headers[1]["dlq.error.class"] == b"DecodeError.schema"
    assert b"payload" in headers[1]["dlq.error.message"]
    for h, offset in zip(headers, (10, 11), strict=True):
        assert h["dlq.source.topic"] == kafka_settings.physical("mentions.raw").encode()
        assert h["dlq.source.partition"] == b"0"
        assert h["dlq.source.offset"] == str(offset).encode()
        assert h["dlq.service"] == b"test"


async def test_handler_rejections_go_to_the_dlq_and_outputs_are_produced(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    events = [mention_event(i, text="please reject me" if i == 3 else None) for i in range(8)]
    await produce_events(kafka_settings, "mentions.raw", events)
    handler = RecordingHandler()
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner, producer = await _runner(kafka_settings, runner_settings, handler, group)

    async def done() -> bool:
        committed = await committed_offsets(kafka_settings, group, "mentions.raw")
        return sum(committed.values()) == len(events)

    await _run_until(runner, producer, done, what="all committed")
    dlq = await read_all(kafka_settings, kafka_settings.physical("mentions.raw.dlq"), expect=1)
    assert len(dlq) == 1
    assert dict(dlq[0].headers)["dlq.error.message"] == b"text asks to be rejected"


async def test_outputs_are_acknowledged_before_the_commit(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    events = [mention_event(i) for i in range(50)]
    await produce_events(kafka_settings, "mentions.raw", events)

    class Forward:
        async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
            from mentionflow.events.incidents import Incident  # any registry payload will do

            outputs = []
            for message in messages:
                now = message.envelope.occurred_at
                incident = Incident(incident_id=message.envelope.correlation_id, brand_id="acme", status="opened",
                                    opened_at=now, window_start=now, window_end=now, negative_count=1,
                                    crisis_count=0, baseline_per_minute=0, rate_per_minute=1)
                outputs.append(Output("incidents", make_envelope("incidents", incident, brand_id="acme",
                                                                  correlation_id=incident.incident_id)))
            return BatchResult(outputs=outputs)

    group = f"g-{uuid.uuid4().hex[:8]}"
    runner, producer = await _runner(kafka_settings, runner_settings, Forward(), group)

    async def done() -> bool:
        return sum((await committed_offsets(kafka_settings, group, "mentions.raw")).values()) == len(events)

    await _run_until(runner, producer, done, what="all committed")
    produced = await read_all(kafka_settings, kafka_settings.physical("incidents"), expect=len(events))
    assert len(produced) == len(events)


async def test_transient_errors_are_retried_and_never_committed_past(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    events = [mention_event(i) for i in range(5)]
    await produce(kafka_settings, "mentions.raw", [(b"acme", encode(e)) for e in events], partition=1)
    handler = RecordingHandler()
    handler.fail_next = 3
    group = f"g-{uuid.uuid4().hex[:8]}"
    retries_before = m.RUNNER_RETRIES.labels("test", kafka_settings.physical("mentions.raw"))._value.get()
    runner, producer = await _runner(kafka_settings, runner_settings, handler, group)

    async def done() -> bool:
        return (await committed_offsets(kafka_settings, group, "mentions.raw")).get(1) == len(events)

    await _run_until(runner, producer, done, what="commit after retries")
    assert handler.fail_next == 0
    assert set(handler.deliveries) == {str(e.event_id) for e in events}
    retries = m.RUNNER_RETRIES.labels("test", kafka_settings.physical("mentions.raw"))._value.get()
    assert retries - retries_before == 3


async def test_the_dlq_limit_stops_the_consumer(kafka_settings: KafkaSettings) -> None:
    await produce(kafka_settings, "mentions.raw", [(b"acme", b"garbage %d" % i) for i in range(40)], partition=2)
    settings = RunnerSettings(dlq_max_consecutive=5, fetch_timeout_ms=100, max_batch=10)
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner, producer = await _runner(kafka_settings, settings, RecordingHandler(), group)
    try:
        with pytest.raises(DlqLimitExceeded, match="in a row"):
            await asyncio.wait_for(runner.run(), timeout=30)
    finally:
        await producer.stop()
    committed = (await committed_offsets(kafka_settings, group, "mentions.raw")).get(2, 0)
    dlq = await read_all(kafka_settings, kafka_settings.physical("mentions.raw.dlq"), expect=40, timeout_s=3)
    # Nothing past the tripping batch is dead-lettered or committed.
    assert committed < 40
    assert len(dlq) == committed <= 10


async def test_backpressure_pauses_a_partition_whose_backlog_is_full(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    settings = runner_settings.model_copy(update={"max_batch": 20})
    events = [mention_event(i) for i in range(400)]
    await produce(kafka_settings, "mentions.raw", [(b"acme", encode(e)) for e in events], partition=3)
    handler = RecordingHandler()
    handler.block = asyncio.Event()
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner, producer = await _runner(kafka_settings, settings, handler, group)
    task = asyncio.create_task(runner.run())
    tp = TopicPartition(kafka_settings.physical("mentions.raw"), 3)
    try:
        async def paused() -> bool:  # by backpressure, not (only) while the partition is prepared
            return tp in runner.consumer.paused() and tp in runner._paused

        await eventually(paused, what="partition paused while the handler is blocked")
        assert len(runner._backlog[tp]) <= 2 * settings.max_batch + runner_settings.max_batch * 4  # bounded
        handler.block.set()

        async def done() -> bool:
            return (await committed_offsets(kafka_settings, group, "mentions.raw")).get(3) == len(events)

        await eventually(done, what="all committed after resuming")
        assert tp not in runner.consumer.paused()
        assert len(handler.deliveries) == len(events)
    finally:
        handler.block.set()
        runner.stop()
        await asyncio.wait_for(task, timeout=15)
        await producer.stop()


async def test_two_consumers_split_the_partitions_and_a_rebalance_loses_nothing(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    batches = [[mention_event(i, brand=f"brand{i % 13}") for i in range(k * 1000, (k + 1) * 1000)] for k in range(3)]
    handler_a, handler_b = RecordingHandler(), RecordingHandler()
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner_a, producer_a = await _runner(kafka_settings, runner_settings, handler_a, group)
    runner_b, producer_b = await _runner(kafka_settings, runner_settings, handler_b, group)
    tasks = [asyncio.create_task(runner_a.run())]
    try:
        await produce_events(kafka_settings, "mentions.raw", batches[0])

        async def a_owns_all() -> bool:
            return len(runner_a.assigned) == 4 and len(handler_a.deliveries) > 0

        await eventually(a_owns_all, what="first consumer assigned every partition")
        # The second consumer joins while the second batch is being produced and consumed.
        tasks.append(asyncio.create_task(runner_b.run()))
        await produce_events(kafka_settings, "mentions.raw", batches[1])

        async def split() -> bool:
            return len(runner_a.assigned) == 2 and len(runner_b.assigned) == 2

        await eventually(split, what="partitions split 2/2 after the rebalance")
        assert not runner_a.assigned & runner_b.assigned
        await produce_events(kafka_settings, "mentions.raw", batches[2])

        async def all_committed() -> bool:
            committed = await committed_offsets(kafka_settings, group, "mentions.raw")
            return committed == await end_offsets(kafka_settings, "mentions.raw")

        await eventually(all_committed, what="every partition committed to its end")
        seen = set(handler_a.deliveries) | set(handler_b.deliveries)
        assert seen == {str(e.event_id) for batch in batches for e in batch}
        third = {str(e.event_id) for e in batches[2]}
        assert third & set(handler_a.deliveries) and third & set(handler_b.deliveries), "both consumers worked"
    finally:
        runner_a.stop()
        runner_b.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=20)
        await producer_a.stop()
        await producer_b.stop()
