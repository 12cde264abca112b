"""The runner's rare paths against the real broker: a transient failure while a failing batch is
isolated one message at a time is retried (the service goes on); the DLQ limit counts each
message once, with its final fate, per partition."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence

from mentionflow.events import encode
from mentionflow.kafka.runner import BatchResult, DlqLimitExceeded, IncomingMessage, TransientError
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings, RunnerSettings

from tests.foundation.test_runner import RecordingHandler, _run_until, _runner
from tests.helpers import committed_offsets, end_offsets, mention_event, produce


class FlakyWhileIsolating:
    """Fails every batch of more than one message (so the runner isolates them), and fails the
    first single message it gets with a transient error (the database blinked meanwhile)."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.transient_left = 1

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        if len(messages) > 1:
            raise ValueError("one of these breaks the handler")
        if self.transient_left:
            self.transient_left -= 1
            raise TransientError("database briefly unavailable")
        self.deliveries[str(messages[0].envelope.event_id)] += 1
        return BatchResult()


async def test_a_transient_error_during_isolation_is_retried_not_an_exit(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    events = [mention_event(i) for i in range(4)]
    await produce(kafka_settings, "mentions.raw", [(b"acme", encode(e)) for e in events], partition=0)
    handler = FlakyWhileIsolating()
    group = f"g-{uuid.uuid4().hex[:8]}"
    retries = m.RUNNER_RETRIES.labels("test", kafka_settings.physical("mentions.raw"))
    retries_before = retries._value.get()
    runner, producer = await _runner(kafka_settings, runner_settings, handler, group)

    async def done() -> bool:
        return (await committed_offsets(kafka_settings, group, "mentions.raw")).get(0) == len(events)

    await _run_until(runner, producer, done, what="every message handled alone and committed")
    assert handler.transient_left == 0  # the transient failure happened, inside isolation
    assert handler.deliveries == Counter({str(e.event_id): 1 for e in events})
    assert sum((await end_offsets(kafka_settings, "mentions.raw.dlq")).values()) == 0  # nothing dead-lettered
    # two backoffs for the failing batch, one for the transient failure of a single message
    assert retries._value.get() - retries_before == 3


async def _run_with_rejections(kafka_settings: KafkaSettings, *, max_ratio: float) -> tuple[str, BaseException | None]:
    """10 messages on partition 0, 5 of them rejected by the handler (a DLQ ratio of exactly
    50% when each is counted once), and 30 good ones on partition 1."""
    bad = [mention_event(i, text="please reject me" if i % 2 else None) for i in range(10)]
    good = [mention_event(100 + i) for i in range(30)]
    await produce(kafka_settings, "mentions.raw", [(b"acme", encode(e)) for e in bad], partition=0)
    await produce(kafka_settings, "mentions.raw", [(b"acme", encode(e)) for e in good], partition=1)
    settings = RunnerSettings(dlq_max_consecutive=100, dlq_max_ratio=max_ratio, dlq_ratio_window=10,
                              fetch_timeout_ms=100, session_timeout_ms=6000, heartbeat_interval_ms=500)
    group = f"g-{uuid.uuid4().hex[:8]}"
    runner, producer = await _runner(kafka_settings, settings, RecordingHandler(), group)
    task = asyncio.create_task(runner.run())
    try:
        done, _ = await asyncio.wait([task], timeout=8)  # runs until stopped, unless the limit trips
        if not done:
            runner.stop()
            await asyncio.wait_for(task, timeout=15)
        return group, task.exception()
    finally:
        await producer.stop()


async def test_the_dlq_ratio_counts_each_rejected_message_once_and_trips_above_the_limit(
    kafka_settings: KafkaSettings,
) -> None:
    # 5 of 10 is 50%: above a 45% limit. Counting a rejected message also as good would make it
    # 5 of 15 (33%), and the 30 good messages of the other partition do not dilute it either.
    group, error = await _run_with_rejections(kafka_settings, max_ratio=0.45)
    assert isinstance(error, DlqLimitExceeded) and "50%" in str(error)
    assert (await committed_offsets(kafka_settings, group, "mentions.raw")).get(0, 0) < 10  # not past the trip


async def test_the_dlq_ratio_does_not_trip_below_the_limit(kafka_settings: KafkaSettings) -> None:
    group, error = await _run_with_rejections(kafka_settings, max_ratio=0.55)
    assert error is None
    committed = await committed_offsets(kafka_settings, group, "mentions.raw")
    assert (committed.get(0), committed.get(1)) == (10, 30)
    assert sum((await end_offsets(kafka_settings, "mentions.raw.dlq")).values()) == 5
