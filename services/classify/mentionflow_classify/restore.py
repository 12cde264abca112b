"""Spike state of a partition restored from mentions.classified, never by classifying again.

mentions.raw and mentions.classified are both keyed by brand_id with the same partition count
(the topic registry), so partition p of mentions.classified holds the classified mentions of
exactly the brands of partition p of mentions.raw, in the order they were handled. Restoring
partition p reads the lightweight fields of its records since `since` (brand, created_at, id,
sentiment, category and reasons; orjson, no model validation) up to the end offset at the
start of the restore, and feeds them to a fresh detector: the same observations the previous
owner made, at the cost of a JSON parse instead of a classification.

Outputs of a batch handled but not committed (a crash between produce and commit) are read
here and then redelivered: the ids of the last `TAIL_IDS` restored mentions are returned so the
handler does not count them twice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from mentionflow.classify.classifier import was_crisis_before_spike
from mentionflow.classify.spikes import SpikeDetector, SpikeSettings
from mentionflow.kafka.rebalance import stop_reader
from mentionflow.settings import KafkaSettings

# Redelivered mentions are at most the uncommitted batches of the previous owner.
TAIL_IDS = 10_000


@dataclass
class Restored:
    detector: SpikeDetector
    mentions: int = 0
    tail_ids: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_IDS))


def observe_classified(detector: SpikeDetector, value: bytes | None) -> str | None:
    """Feed one mentions.classified record to `detector`; its mention id, None if unreadable."""
    try:
        payload = orjson.loads(value)["payload"]  # type: ignore[arg-type]
        mention, classification = payload["mention"], payload["classification"]
        brand_id, mention_id = mention["brand_id"], mention["id"]
        at = datetime.fromisoformat(mention["created_at"])
        category, sentiment = classification["category"], classification["sentiment"]
        reasons = classification.get("reasons") or []
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None  # not ours to judge: the consumers of mentions.classified dead-letter it
    detector.observe(brand_id, at, negative=sentiment == "negative",
                     crisis=was_crisis_before_spike(category, reasons), mention_id=mention_id)
    return str(mention_id)


async def restore_detectors(kafka: KafkaSettings, partitions: list[int], since: datetime,
                            settings: SpikeSettings) -> dict[int, Restored]:
    """A detector per mentions.raw partition in `partitions`, from mentions.classified since `since`."""
    topic = kafka.physical("mentions.classified")
    reader = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False,
                              isolation_level="read_committed", max_partition_fetch_bytes=8 * 1024 * 1024,
                              fetch_max_bytes=32 * 1024 * 1024)
    restored = {p: Restored(SpikeDetector(settings)) for p in partitions}
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        reader.assign(tps)
        ends = await reader.end_offsets(tps)
        starts = await reader.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        todo: dict[TopicPartition, int] = {}
        for tp in tps:
            found = starts.get(tp)
            if found is not None and found.offset < ends[tp]:
                reader.seek(tp, found.offset)
                todo[tp] = ends[tp]
        while todo:
            batch = await reader.getmany(*todo, timeout_ms=2000, max_records=10_000)
            if not batch:
                break
            for tp, records in batch.items():
                stop = todo.get(tp)
                if stop is None:
                    continue
                state = restored[tp.partition]
                for record in records:
                    if record.offset >= stop:
                        break
                    mention_id = observe_classified(state.detector, record.value)
                    if mention_id is not None:
                        state.mentions += 1
                        state.tail_ids.append(mention_id)
                if records and records[-1].offset + 1 >= stop:
                    del todo[tp]
                    reader.pause(tp)
    finally:
        await stop_reader(reader)
    return restored
