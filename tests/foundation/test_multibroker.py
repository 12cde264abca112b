"""Three brokers from `mentionflow infra up --nodes 3`: kill one, acks=all goes on, nothing lost."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from mentionflow.kafka.admin import ensure_topics, wait_for_brokers
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings
from mentionflow_tools.infra import stack as infra_stack
from mentionflow_tools.infra.kafka import kill_node

CLI = Path(sys.executable).parent / "mentionflow"


@pytest.fixture
def three_brokers(tmp_path: Path):
    directory = tmp_path / "infra3"
    env = {**os.environ, "MENTIONFLOW_INFRA_DIR": str(directory)}
    subprocess.run([str(CLI), "infra", "up", "--nodes", "3"], check=True, env=env, timeout=240)
    try:
        yield infra_stack.load(directory)
    finally:
        subprocess.run([str(CLI), "infra", "down"], check=True, env=env, timeout=120)


@pytest.mark.slow
async def test_killing_one_of_three_brokers_loses_nothing(three_brokers: infra_stack.Stack) -> None:
    cluster = three_brokers.kafka
    assert len(cluster.nodes) == 3
    settings = KafkaSettings(bootstrap_servers=cluster.bootstrap_servers, replication_factor=3,
                             min_insync_replicas=2, partitions_override=6)
    # Each broker has logged "started"; the metadata lists all three only once they registered.
    assert await wait_for_brokers(settings, 3) == 3
    await ensure_topics(settings, ["mentions.raw"])
    producer = make_producer(settings, client_id="fault-test", request_timeout_ms=15000)
    await producer.start()
    sent: list[bytes] = []
    try:
        async def send_range(start: int, stop: int) -> None:
            values = [f"message-{i}".encode() for i in range(start, stop)]
            futures = [await producer.send("mentions.raw", v, key=v[-2:]) for v in values]
            await asyncio.gather(*futures)
            sent.extend(values)

        await send_range(0, 2000)
        # Kill the broker that leads the most partitions: the worst case for producers.
        await asyncio.to_thread(kill_node, cluster.nodes[0])
        await send_range(2000, 4000)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer("mentions.raw", bootstrap_servers=cluster.bootstrap_servers, group_id="fault-check",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    received: list[bytes] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while len(received) < len(sent) and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                received.extend(r.value for r in records)
    finally:
        await consumer.stop()
    assert sorted(received) == sorted(sent)
    assert len(set(received)) == 4000
