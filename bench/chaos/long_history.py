"""Long history: how long classify takes to restore its spike state when 1,000,000 mentions
lie within the spike window (issue 16).

    source /work/infra-iNN/env   # or MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS=...
    LONG_HISTORY_MENTIONS=1000000 .venv/bin/python -m bench.chaos.long_history

Writes the history straight to mentions.classified of a fresh topic prefix (the records a
classify replica would have produced: lightweight, as the restore reads only brand, id,
created_at, sentiment, category and reasons; nothing else consumes that prefix), then times
what a replica does after a kill -9 of the previous owner: `ClassifyHandler.restore_partitions`
for every partition, with a committed offset (the path the runner takes once the rebalance
is done). Prints one JSON line: mentions, partitions, produce_s, restore_s, restored, rate.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition
from mentionflow.classify.spikes import SpikeSettings
from mentionflow.kafka.adapter_feed import AdapterFeed
from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.sending import BatchSender
from mentionflow.settings import KafkaSettings, ServiceSettings
from mentionflow_classify.handler import ClassifyHandler

BRANDS = [f"brand{i:02d}" for i in range(24)]
CATEGORIES = [("complaint", "negative", '"complaint:delay"'), ("question", "neutral", '"question:mark"'),
              ("praise", "positive", '"praise:thanks"'), ("other", "neutral", ""),
              ("crisis", "negative", '"crisis:safety"')]


# A real mentions.classified record is about 1.2 kB (text, author, classification, envelope);
# the restore parses all of it, so the history's records are padded to that size.
RECORD_BYTES = 1200


def _record(n: int, brand: str, at: datetime, rng: random.Random) -> bytes:
    category, sentiment, reason = CATEGORIES[0 if rng.random() < 0.2 else rng.randrange(1, 4)]
    if rng.random() < 0.001:
        category, sentiment, reason = CATEGORIES[4]
    head = (f'{{"brand_id":"{brand}","payload":{{"mention":{{"id":"m-{n}","brand_id":"{brand}",'
            f'"created_at":"{at.isoformat()}","text":"')
    tail = (f'"}},"classification":{{"category":"{category}","sentiment":"{sentiment}",'
            f'"reasons":[{reason}]}}}}}}')
    text = ("@" + brand + " mention text " * 100)[:max(0, RECORD_BYTES - len(head) - len(tail))]
    return (head + text + tail).encode()


async def produce_history(kafka: KafkaSettings, mentions: int) -> None:
    producer = make_producer(kafka, client_id="long-history")
    await producer.start()
    try:
        sender = BatchSender(producer, max_inflight_batches=64)
        rng = random.Random(16)
        topic = kafka.physical("mentions.classified")
        start = datetime.now(UTC) - timedelta(minutes=4)  # all of it within the 5-minute window
        step = timedelta(minutes=4) / mentions
        for n in range(mentions):
            brand = BRANDS[n % len(BRANDS)]
            await sender.add(topic, brand.encode(), _record(n, brand, start + step * n, rng))
        await sender.drain()
    finally:
        await producer.stop()


async def measure_restore(base: KafkaSettings, mentions: int, partitions: int = 12) -> dict[str, object]:
    """Produce `mentions` of history on a fresh prefix of `base`'s cluster and time the restore."""
    kafka = base.model_copy(update={"topic_prefix": f"history{uuid.uuid4().hex[:8]}.",
                                    "partitions_override": partitions})
    await ensure_topics(kafka)
    started = time.perf_counter()
    await produce_history(kafka, mentions)
    produce_s = time.perf_counter() - started
    feed = AdapterFeed(kafka)  # no corrections: the restore does not classify anyway
    handler = ClassifyHandler(kafka=kafka, group_id="long-history", profiles={}, spike_settings=SpikeSettings(),
                              rebuild=timedelta(minutes=30), feed=feed)
    raw_topic = kafka.physical("mentions.raw")
    committed = {TopicPartition(raw_topic, p): 1 for p in range(partitions)}  # history exists
    started = time.perf_counter()
    await handler.restore_partitions(committed)
    restore_s = time.perf_counter() - started
    open_incidents = sum(1 for d in handler.detectors.values() for b in BRANDS if d.open_incident(b))
    return {"mentions": mentions, "partitions": partitions, "produce_s": round(produce_s, 1),
            "restore_s": round(restore_s, 1), "restored_per_s": round(mentions / restore_s),
            "open_incidents_after_restore": open_incidents}


async def main() -> dict[str, object]:
    return await measure_restore(ServiceSettings().kafka, int(os.environ.get("LONG_HISTORY_MENTIONS", "1000000")),
                                 int(os.environ.get("LONG_HISTORY_PARTITIONS", "12")))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(main())))
