"""Create the registry's topics (and their DLQs) idempotently; check the broker is reachable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from mentionflow.events.topics import TOPICS, TopicSpec
from mentionflow.settings import KafkaSettings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000
BROKERS_WAIT_S = 60.0


def new_topics(settings: KafkaSettings, names: Iterable[str] | None = None) -> list[NewTopic]:
    """NewTopic objects for the named registry topics (default: all), each with its DLQ."""
    specs: list[TopicSpec] = [TOPICS[n] for n in names] if names is not None else list(TOPICS.values())
    topics = []
    for spec in specs:
        partitions = settings.partitions_override or spec.partitions
        common = {"min.insync.replicas": str(settings.min_insync_replicas)}
        topics.append(
            NewTopic(settings.physical(spec.name), partitions, settings.replication_factor,
                     topic_configs={**common, "retention.ms": str(spec.retention_ms)})
        )
        # A DLQ is read by people, rarely and slowly: one partition keeps it in arrival order.
        topics.append(
            NewTopic(settings.physical(spec.dlq), 1, settings.replication_factor,
                     topic_configs={**common, "retention.ms": str(DLQ_RETENTION_MS)})
        )
    return topics


async def ensure_topics(settings: KafkaSettings, names: Iterable[str] | None = None, *,
                        brokers_wait_s: float = BROKERS_WAIT_S) -> list[str]:
    """Create missing topics; existing ones are left as they are. Returns the names created.
    Waits first for as many brokers as a topic has replicas (a cluster may still be starting),
    then retries a retriable failure until the same wait is over: the broker a new client
    bootstraps from may not yet know the others that the wait saw (CI met "node id None")."""
    await wait_for_brokers(settings, settings.replication_factor, brokers_wait_s)
    loop = asyncio.get_running_loop()
    give_up = loop.time() + brokers_wait_s
    while True:
        try:
            return await _create_missing(settings, names)
        except KafkaError as exc:
            if not exc.retriable or loop.time() > give_up:
                raise
            log.info("creating topics: %s: %s; retrying", type(exc).__name__, exc)
            await asyncio.sleep(0.5)


async def _create_missing(settings: KafkaSettings, names: Iterable[str] | None) -> list[str]:
    admin = AIOKafkaAdminClient(**settings.client_kwargs(), client_id=f"{settings.client_id_prefix}-admin")
    await admin.start()
    try:
        wanted = new_topics(settings, names)
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(missing)
        created = []
        for name, code, message in response.topic_errors:
            if code == 0:
                created.append(name)
            elif code != TOPIC_ALREADY_EXISTS:  # another replica won the race: fine
                raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
        log.info("created topics %s", ", ".join(created))
        return created
    finally:
        await admin.close()


async def broker_reachable(settings: KafkaSettings) -> int:
    """Number of brokers in the cluster metadata; raises when the cluster cannot be reached."""
    admin = AIOKafkaAdminClient(
        **settings.client_kwargs(), client_id=f"{settings.client_id_prefix}-probe", request_timeout_ms=5000
    )
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        return len(cluster["brokers"])
    finally:
        await admin.close()


async def wait_for_brokers(settings: KafkaSettings, count: int, timeout_s: float = BROKERS_WAIT_S) -> int:
    """Wait until the cluster metadata lists `count` brokers; returns how many it lists.

    A KRaft broker logs "started" before every broker has registered with the controller:
    until then its metadata lists none or some of them, and a topic created with more
    replicas than listed brokers is refused. Raises TimeoutError saying what was last seen."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout_s
    while True:
        try:
            found, seen = await broker_reachable(settings), ""
        except Exception as exc:  # aiokafka raises several kinds while a cluster starts
            found, seen = 0, f" ({type(exc).__name__}: {exc})"
        if found >= count:
            return found
        if loop.time() > give_up:
            raise TimeoutError(f"Kafka at {settings.bootstrap_servers} lists {found} of {count} brokers "
                               f"after {timeout_s:.0f}s{seen}")
        await asyncio.sleep(0.2)
