"""The producer every service uses: acks=all and idempotence, so an acknowledged send is
durable on the in-sync replicas and a retried send is not duplicated by the broker."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from mentionflow.events import encode, key_for
from mentionflow.events.envelope import Envelope
from mentionflow.settings import KafkaSettings


def make_producer(settings: KafkaSettings, client_id: str, **overrides: Any) -> AIOKafkaProducer:
    options: dict[str, Any] = {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,  # a few ms of batching buys large throughput at negligible latency
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 30_000,
        **overrides,
    }
    return AIOKafkaProducer(**settings.client_kwargs(), client_id=client_id, **options)


async def send_event(
    producer: AIOKafkaProducer, settings: KafkaSettings, topic_name: str, envelope: Envelope[Any]
) -> None:
    """Produce one event to the registry topic `topic_name` and wait for the acknowledgement."""
    await producer.send_and_wait(
        settings.physical(topic_name), encode(envelope), key=key_for(topic_name, envelope)
    )
