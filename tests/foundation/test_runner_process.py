"""The runner inside a real service process: SIGKILL before commit, SIGTERM drain."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
from mentionflow.settings import KafkaSettings

from tests.helpers import committed_offsets, end_offsets, eventually, mention_event, produce_events

SERVICE = Path(__file__).parent / "sink_service.py"


def _start(kafka: KafkaSettings, dsn: str, run_id: str, group: str, tmp_path: Path, **extra: str):
    env = {
        **os.environ,
        "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": str(kafka.partitions_override),
        "MENTIONFLOW_POSTGRES__DSN": dsn,
        "MENTIONFLOW_HTTP__PORT": "0",
        "MENTIONFLOW_RUNNER__MAX_BATCH": "50",
        "MENTIONFLOW_RUNNER__SESSION_TIMEOUT_MS": "6000",
        "MENTIONFLOW_RUNNER__HEARTBEAT_INTERVAL_MS": "500",
        "SINK_RUN_ID": run_id,
        "SINK_GROUP": group,
        **extra,
    }
    log = open(tmp_path / f"service-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
    return subprocess.Popen([sys.executable, str(SERVICE)], env=env, stdout=log, stderr=subprocess.STDOUT)


async def _count(dsn: str, sql: str, run_id: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, run_id)
    finally:
        await conn.close()


async def test_sigkill_after_processing_before_commit_redelivers_into_an_idempotent_sink(
    kafka_settings: KafkaSettings, postgres_dsn: str, tmp_path: Path
) -> None:
    events = [mention_event(i, brand=f"b{i % 7}") for i in range(600)]
    await produce_events(kafka_settings, "mentions.raw", events)
    run_id, group = uuid.uuid4().hex, f"g-{uuid.uuid4().hex[:8]}"

    crashing = _start(kafka_settings, postgres_dsn, run_id, group, tmp_path, SINK_KILL_AFTER_BATCHES="1")
    assert await asyncio.to_thread(crashing.wait, 60) == -signal.SIGKILL
    delivered_before = await _count(postgres_dsn, "SELECT count(*) FROM runner_deliveries WHERE run_id=$1", run_id)
    assert delivered_before > 0
    assert sum((await committed_offsets(kafka_settings, group, "mentions.raw")).values()) < len(events)

    restarted = _start(kafka_settings, postgres_dsn, run_id, group, tmp_path)
    try:
        async def all_committed() -> bool:
            committed = await committed_offsets(kafka_settings, group, "mentions.raw")
            return committed == await end_offsets(kafka_settings, "mentions.raw")

        await eventually(all_committed, timeout_s=60, what="restarted service commits everything")
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(restarted.wait, 15) == 0

    rows = await _count(postgres_dsn, "SELECT count(*) FROM runner_sink WHERE run_id=$1", run_id)
    deliveries = await _count(postgres_dsn, "SELECT count(*) FROM runner_deliveries WHERE run_id=$1", run_id)
    redelivered = await _count(
        postgres_dsn,
        "SELECT count(*) FROM (SELECT event_id FROM runner_deliveries WHERE run_id=$1 "
        "GROUP BY event_id HAVING count(*) > 1) twice",
        run_id,
    )
    assert rows == len(events), "every event held exactly once"
    assert redelivered > 0, "the uncommitted batch was delivered again after the crash"
    assert deliveries == len(events) + redelivered


async def test_sigterm_drains_commits_and_exits_zero_within_ten_seconds(
    kafka_settings: KafkaSettings, postgres_dsn: str, tmp_path: Path
) -> None:
    events = [mention_event(i, brand=f"b{i % 5}") for i in range(3000)]
    await produce_events(kafka_settings, "mentions.raw", events)
    run_id, group = uuid.uuid4().hex, f"g-{uuid.uuid4().hex[:8]}"
    service = _start(kafka_settings, postgres_dsn, run_id, group, tmp_path, SINK_BATCH_DELAY_S="0.2")

    async def some_work_done() -> bool:
        return await _count(postgres_dsn, "SELECT count(*) FROM runner_sink WHERE run_id=$1", run_id) > 100

    await eventually(some_work_done, timeout_s=60, what="service processing")
    started = time.monotonic()
    service.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(service.wait, 15)
    elapsed = time.monotonic() - started
    assert code == 0
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"

    processed = await _count(postgres_dsn, "SELECT count(*) FROM runner_sink WHERE run_id=$1", run_id)
    committed = sum((await committed_offsets(kafka_settings, group, "mentions.raw")).values())
    assert processed < len(events), "stopped mid-stream"
    assert committed == processed, "everything processed was committed, nothing more"
