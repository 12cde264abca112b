"""Every brand's adapter, folded from labels.corrected: kept up to date by a background
reader in the classify service, or read once by `mentionflow model adapters`.

Design: every classify replica holds the adapters of all brands, folded from the whole topic
(read from the start, outside the consumer group) by one background task. The topic is
small (people's corrections) and so is each adapter, so no replica ever needs another one's
state: a rebalance changes nothing (no state to hand over, nothing to do in the rebalance
callback) and a restart rebuilds by reading the topic again — never by re-classifying
history (a sentiment correction runs the shared model on its own text only, about 0.1 ms
an event). Partition-scoped adapters (the topic is keyed by brand, like mentions.raw) would
save memory, but only if both topics were co-partitioned and assigned together, which the
group's assignor does not promise.

Until the reader has caught up with the end of the topic as it was at start-up, `ready` is
unset and the handler waits before classifying (a worker waits; the rebalance callback
does not). Later corrections apply as they arrive: a mention is classified with the
corrections read before it.

Invalid events: the classify group also consumes labels.corrected through the runner, whose
DLQ handling dead-letters them once per group (see the classify service's handler); this
reader skips them, so no adapter ever changes because of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from mentionflow.classify.adapters import Adapters
from mentionflow.events import DecodeError, decode
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings

log = logging.getLogger(__name__)

TOPIC = "labels.corrected"
RETRY_S = 1.0


class AdapterFeed:
    """Owns `adapters`; `run` (the classify service's background task) folds labels.corrected
    into them, `read_once` (the CLI) folds the topic as it is now."""

    def __init__(self, kafka: KafkaSettings, adapters: Adapters | None = None) -> None:
        self.kafka = kafka
        self.adapters = adapters or Adapters()
        self.ready = asyncio.Event()
        self.folded = 0
        # Next offset to fold per partition: a reconnect resumes there instead of folding twice.
        self._positions: dict[TopicPartition, int] = {}

    async def run(self, stopping: asyncio.Event) -> None:
        """Follow the topic until `stopping` is set (returning within a poll, about a second);
        broker trouble is logged and retried from the offsets already folded."""
        while not stopping.is_set():
            try:
                await self._follow(stopping=stopping)
            except Exception:
                log.exception("reading %s failed; retrying", TOPIC)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), RETRY_S)

    async def read_once(self) -> Adapters:
        """Fold the topic up to its end as of now, then return the adapters (no task)."""
        await self._follow(until_caught_up=True)
        return self.adapters

    async def _follow(self, *, stopping: asyncio.Event | None = None, until_caught_up: bool = False) -> None:
        stopping = stopping or asyncio.Event()  # none: never stopped from outside
        physical = self.kafka.physical(TOPIC)
        reader = AIOKafkaConsumer(**self.kafka.client_kwargs(), group_id=None, enable_auto_commit=False,
                                  isolation_level="read_committed")
        await reader.start()
        try:
            tps = [TopicPartition(physical, p) for p in await self._partitions(physical)]
            reader.assign(tps)
            positions = self._positions
            for tp in tps:
                if tp in positions:
                    reader.seek(tp, positions[tp])
                else:
                    await reader.seek_to_beginning(tp)
            catch_up = {tp: end for tp, end in (await reader.end_offsets(tps)).items()
                        if end > positions.get(tp, 0)}
            if not catch_up:
                self._set_ready()
            while not stopping.is_set() and not (until_caught_up and self.ready.is_set()):
                batch = await reader.getmany(timeout_ms=1000)
                for tp, records in batch.items():
                    for record in records:
                        self._fold_one(record.value, f"{tp.partition}@{record.offset}")
                        positions[tp] = record.offset + 1
                for tp in list(catch_up):
                    # The consumer's position, not the last record's offset: it also moves past
                    # records that are not delivered (transaction markers).
                    if await reader.position(tp) >= catch_up[tp]:
                        del catch_up[tp]
                if not catch_up and not self.ready.is_set():
                    self._set_ready()
        finally:
            with contextlib.suppress(Exception):
                await reader.stop()

    async def _partitions(self, physical: str) -> list[int]:
        admin = AIOKafkaAdminClient(**self.kafka.client_kwargs())
        await admin.start()
        try:
            described = await admin.describe_topics([physical])
        finally:
            await admin.close()
        partitions = sorted(p["partition"] for t in described if t["topic"] == physical for p in t["partitions"])
        if not partitions:
            raise RuntimeError(f"topic {physical} has no partitions (yet)")
        return partitions

    def _set_ready(self) -> None:
        log.info("adapters rebuilt from %d %s events (%d brands)", self.folded, TOPIC, len(self.adapters.brands))
        self.ready.set()

    def _fold_one(self, value: bytes | None, where: str) -> None:
        try:
            envelope = decode(TOPIC, value)
        except DecodeError:
            return  # the classify group dead-letters it (see the module docstring)
        reason = self.adapters.fold_envelope(envelope)
        if reason is None:
            self.folded += 1
            m.CLASSIFY_ADAPTER_EVENTS.labels(envelope.brand_id, envelope.payload.kind).inc()
            log.debug("folded %s %s of %s", TOPIC, where, envelope.brand_id)
