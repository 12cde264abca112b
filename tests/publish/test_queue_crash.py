"""publish killed with SIGKILL mid-stream, restarted: every routed mention has exactly one row."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

from mentionflow.settings import KafkaSettings

from tests.helpers import eventually, produce_events
from tests.publish.support import consumed_everything, fetchval, publish_env, routed_event, start_publish


async def test_sigkill_mid_batch_then_restart_leaves_exactly_one_queue_row_per_mention(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, tmp_path: Path
) -> None:
    events = [routed_event(i, brand=f"b{i % 7}") for i in range(3000)]
    await produce_events(kafka_settings, "mentions.routed", events)
    group = f"g-{uuid.uuid4().hex[:8]}"
    env = publish_env(kafka_settings, fresh_database_dsn, group=group, MENTIONFLOW_RUNNER__MAX_BATCH="20")

    first = start_publish(env, tmp_path)
    try:
        async def some_rows() -> bool:
            return (await fetchval(fresh_database_dsn, "SELECT count(*) FROM queue_items") or 0) >= 300

        await eventually(some_rows, timeout_s=60, what="publish writing queue rows")
    finally:
        first.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(first.wait, 15) == -signal.SIGKILL
    rows_at_kill = await fetchval(fresh_database_dsn, "SELECT count(*) FROM queue_items")
    assert rows_at_kill < len(events), "killed mid-stream"

    second = start_publish(env, tmp_path)
    try:
        await eventually(lambda: consumed_everything(kafka_settings, group, "mentions.routed"), timeout_s=90,
                         what="the restarted publish consumes everything")
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 20) == 0

    total = await fetchval(fresh_database_dsn, "SELECT count(*) FROM queue_items")
    distinct = await fetchval(fresh_database_dsn,
                              "SELECT count(DISTINCT (brand_id, platform, external_id)) FROM queue_items")
    mentions = await fetchval(fresh_database_dsn, "SELECT count(DISTINCT mention_id) FROM queue_items")
    assert total == distinct == mentions == len(events)
