"""mentions.raw → mentions.classified (+ incidents); labels.corrected checked for the DLQ.

Each mention is classified by the shared model, then by its brand's adapter (what the
brand's corrections taught, see mentionflow.kafka.adapter_feed): `_analyse` is the one place
where the two meet. The spike history replayed on assignment goes through it too, with the
adapters as they are at that moment (at start-up, possibly not yet rebuilt: the detector
only counts negative mentions, and a few counted differently do not change a spike).

Each partition has its own spike detector: mention topics are keyed by brand, so a brand's
window lives in exactly one partition and one consumer. When a partition is assigned, its
detector is rebuilt by re-classifying the recent history of that partition up to the
group's committed offset (what was processed before the hand-over), without emitting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mentionflow.classify import BrandProfile, Result, analyse_mention, classification_of
from mentionflow.classify.adapters import refusal
from mentionflow.classify.spikes import SpikeDetector, SpikeSettings
from mentionflow.events import DecodeError, decode, make_envelope
from mentionflow.events.mentions_classified import MentionClassified
from mentionflow.events.mentions_raw import Mention
from mentionflow.kafka.adapter_feed import AdapterFeed
from mentionflow.kafka.runner import BatchResult, IncomingMessage, Output
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings

log = logging.getLogger(__name__)


class ClassifyHandler:
    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        group_id: str,
        profiles: dict[str, BrandProfile],
        spike_settings: SpikeSettings,
        rebuild: timedelta,
        feed: AdapterFeed,
    ) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.profiles = profiles
        self.spike_settings = spike_settings
        self.rebuild = rebuild
        self.feed = feed
        self.detectors: dict[int, SpikeDetector] = {}
        self.mentions_topic = kafka.physical("mentions.raw")

    def _analyse(self, mention: Mention) -> Result:
        """The shared classifier's result with the brand's adapter applied."""
        analysed = analyse_mention(mention, self.profiles.get(mention.brand_id))
        return self.feed.adapters.adapt(mention.brand_id, mention.text, analysed)

    def _detector(self, partition: int) -> SpikeDetector:
        detector = self.detectors.get(partition)
        if detector is None:
            detector = self.detectors[partition] = SpikeDetector(self.spike_settings)
        return detector

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        if messages[0].topic != self.mentions_topic:
            return self._check_corrections(messages)
        # Until every correction made before start-up is folded, classifying would ignore them.
        await self.feed.ready.wait()
        result = BatchResult()
        outputs = result.outputs
        detector = self._detector(messages[0].partition)
        # Metric increments are summed per batch: one labelled look-up per (brand, category).
        classified: Counter[tuple[str, str]] = Counter()
        latest: datetime | None = None
        mentions = [message.envelope.payload.mention for message in messages]
        # Analysis is pure, so the whole batch is analysed first, in one tight loop; the spike
        # detector then sees the results in order, and each Classification is built once, with
        # the spike upgrade (if the brand has an open incident) already applied.
        results = [self._analyse(mention) for mention in mentions]
        for message, mention, analysed in zip(messages, mentions, results, strict=True):
            brand_id = mention.brand_id
            incidents = detector.observe(
                brand_id, mention.created_at, negative=analysed.sentiment == "negative",
                crisis=analysed.category == "crisis", mention_id=mention.id,
            )
            classification = classification_of(analysed, detector.open_incident(brand_id))
            classified[brand_id, classification.category] += 1
            outputs.append(Output("mentions.classified", make_envelope(
                "mentions.classified", MentionClassified(mention=mention, classification=classification),
                brand_id=brand_id, correlation_id=mention.id, occurred_at=message.envelope.occurred_at,
            )))
            if incidents:
                outputs.extend(self._incident_outputs(incidents))
            if latest is None or mention.created_at > latest:
                latest = mention.created_at
        if latest is not None:
            # Brands gone quiet on this partition still get their incident closed.
            outputs.extend(self._incident_outputs(detector.tick(latest)))
        for (brand_id, category), count in classified.items():
            m.CLASSIFY_MENTIONS.labels(brand_id, category).inc(count)
        return result

    @staticmethod
    def _check_corrections(messages: Sequence[IncomingMessage]) -> BatchResult:
        """labels.corrected through the group: the runner dead-letters what does not decode,
        this what the adapters would refuse; the AdapterFeed folds the rest (and skips these)."""
        result = BatchResult()
        for message in messages:
            reason = refusal(message.envelope)
            if reason is not None:
                result.rejected.append((message, reason))
        return result

    def _incident_outputs(self, incidents: list) -> list[Output]:
        outputs = []
        for incident in incidents:
            m.CLASSIFY_INCIDENTS.labels(incident.brand_id, incident.status).inc()
            log.info("incident %s %s for %s (%.1f/min vs baseline %.1f)", incident.incident_id, incident.status,
                     incident.brand_id, incident.rate_per_minute, incident.baseline_per_minute)
            outputs.append(Output("incidents", make_envelope(
                "incidents", incident, brand_id=incident.brand_id, correlation_id=incident.incident_id,
            )))
        return outputs

    # ---- rebalance ----------------------------------------------------------------
    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            if tp.topic == self.mentions_topic:
                self.detectors.pop(tp.partition, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # Adapters are not partition state (every replica holds all of them): nothing to do
        # here for labels.corrected.
        assigned = {tp for tp in assigned if tp.topic == self.mentions_topic}
        if self.rebuild <= timedelta(0) or not assigned:
            return
        try:
            replayed = await self._rebuild(assigned)
        except Exception:  # a detector starting empty is degraded, not broken
            log.exception("could not rebuild spike state for %s", sorted(assigned))
            return
        log.info("rebuilt spike state from %d recent mentions", replayed)

    async def _rebuild(self, assigned: set[TopicPartition]) -> int:
        committed = {tp: stop for tp, stop in (await self._committed(assigned)).items() if stop > 0}
        if not committed:
            return 0  # a fresh group: no history to rebuild
        since_ms = int((datetime.now(UTC) - self.rebuild).timestamp() * 1000)
        reader = AIOKafkaConsumer(**self.kafka.client_kwargs(), group_id=None, enable_auto_commit=False)
        await reader.start()
        try:
            return await self._replay_history(reader, committed, since_ms)
        finally:
            try:
                await reader.stop()
            except asyncio.CancelledError:
                # aiokafka's stop can surface the cancellation of its own internal task; only
                # a cancellation of this task itself must propagate.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise

    async def _replay_history(self, reader: AIOKafkaConsumer, todo: dict[TopicPartition, int],
                              since_ms: int) -> int:
        """Feed each partition's records from `since_ms` up to its committed offset to its
        detector; returns how many were replayed."""
        replayed = 0
        reader.assign(list(todo))
        starts = await reader.offsets_for_times({tp: since_ms for tp in todo})
        for tp in list(todo):
            found = starts.get(tp)
            if found is None or found.offset >= todo[tp]:
                del todo[tp]
            else:
                reader.seek(tp, found.offset)
        while todo:
            batch = await reader.getmany(*todo, timeout_ms=1000)
            if not batch:
                break
            for tp, records in batch.items():
                stop = todo.get(tp)
                if stop is None or not records:
                    continue
                detector = self._detector(tp.partition)
                for record in records:
                    if record.offset >= stop:
                        break
                    replayed += self._replay_one(detector, record.value)
                if records[-1].offset + 1 >= stop:
                    del todo[tp]
                    reader.pause(tp)
        return replayed

    def _replay_one(self, detector: SpikeDetector, value: bytes | None) -> int:
        try:
            mention = decode("mentions.raw", value).payload.mention
        except DecodeError:
            return 0  # it went to the DLQ the first time
        analysed = self._analyse(mention)
        detector.observe(mention.brand_id, mention.created_at, negative=analysed.sentiment == "negative",
                         crisis=analysed.category == "crisis", mention_id=mention.id)
        return 1

    async def _committed(self, assigned: set[TopicPartition]) -> dict[TopicPartition, int]:
        admin = AIOKafkaAdminClient(**self.kafka.client_kwargs())
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.group_id, partitions=list(assigned))
        finally:
            await admin.close()
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
