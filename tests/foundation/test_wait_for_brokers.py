"""ensure_topics first waits for as many brokers as a topic has replicas, and says when they never come."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from mentionflow.kafka.admin import ensure_topics, wait_for_brokers
from mentionflow.settings import KafkaSettings


async def test_a_running_broker_is_counted(kafka_bootstrap: str) -> None:
    assert await wait_for_brokers(KafkaSettings(bootstrap_servers=kafka_bootstrap), 1, timeout_s=10) == 1


async def test_more_replicas_than_brokers_times_out_saying_how_many_were_listed(kafka_bootstrap: str) -> None:
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, replication_factor=3, min_insync_replicas=1,
                             topic_prefix="never-created.")
    with pytest.raises(TimeoutError, match="lists 1 of 3 brokers"):
        await wait_for_brokers(settings, 3, timeout_s=1.0)


async def test_an_unreachable_cluster_times_out_with_the_reason() -> None:
    settings = KafkaSettings(bootstrap_servers="127.0.0.1:1")
    with pytest.raises(TimeoutError, match=r"lists 0 of 1 brokers after 1s \(KafkaConnectionError"):
        await wait_for_brokers(settings, 1, timeout_s=1.0)


async def test_ensure_topics_creates_nothing_while_too_few_brokers_are_listed(kafka_bootstrap: str) -> None:
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, replication_factor=3, min_insync_replicas=1,
                             topic_prefix="too-few-brokers.")
    with pytest.raises(TimeoutError, match="lists 1 of 3 brokers"):
        await ensure_topics(settings, ["mentions.raw"], brokers_wait_s=1.0)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert not [t for t in await admin.list_topics() if t.startswith("too-few-brokers.")]
    finally:
        await admin.close()
