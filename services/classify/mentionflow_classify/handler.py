"""mentions.raw → mentions.classified (+ incidents); labels.corrected checked for the DLQ.

Each mention is classified by the shared model, then by its brand's adapter (what the
brand's corrections taught, see mentionflow.kafka.adapter_feed): `_analyse` is the one place
where the two meet. The spike history restored on assignment is what was classified then
(adapters included), read back from mentions.classified.

Each partition has its own spike detector: mention topics are keyed by brand, so a brand's
window lives in exactly one partition and one consumer. When a partition comes to this
replica, its detector is restored from the lightweight fields of the partition's recent
mentions.classified records (`restore`), after the rebalance, with the partition paused;
no text is classified again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition
from mentionflow.classify import BrandProfile, Result, analyse_mention, classification_of
from mentionflow.classify.adapters import refusal
from mentionflow.classify.spikes import SpikeDetector, SpikeSettings
from mentionflow.events import make_envelope
from mentionflow.events.mentions_raw import Mention
from mentionflow.kafka.adapter_feed import AdapterFeed
from mentionflow.kafka.runner import BatchResult, IncomingMessage, Output
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings

from mentionflow_classify.restore import restore_detectors

log = logging.getLogger(__name__)
_NONE: frozenset[str] = frozenset()


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
        # The offset after the last message handled per partition: the detector's position.
        self.positions: dict[int, int] = {}
        # Mentions a restore already counted; a redelivery of them is not counted again.
        self.replayed_ids: dict[int, set[str]] = {}

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
        partition = messages[0].partition
        detector = self._detector(partition)
        replayed = self.replayed_ids.get(partition) or _NONE
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
            incidents = [] if mention.id in replayed else detector.observe(
                brand_id, mention.created_at, negative=analysed.sentiment == "negative",
                crisis=analysed.category == "crisis", mention_id=mention.id,
            )
            classification = classification_of(analysed, detector.open_incident(brand_id))
            classified[brand_id, classification.category] += 1
            # The mention goes on as the bytes it came as: only the classification is encoded.
            outputs.append(Output.extending(
                "mentions.classified", "mentions.raw", message, {"classification": classification},
                brand_id=brand_id, correlation_id=mention.id, occurred_at=message.envelope.occurred_at,
            ))
            if incidents:
                outputs.extend(self._incident_outputs(incidents))
            if latest is None or mention.created_at > latest:
                latest = mention.created_at
        if latest is not None:
            # Brands gone quiet on this partition still get their incident closed.
            outputs.extend(self._incident_outputs(detector.tick(latest)))
        self.positions[partition] = messages[-1].offset + 1
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
    # The runner calls on_partitions_assigned inside the rebalance (kept short), then
    # restore_partitions outside it with the partitions paused. Detectors survive a revoke:
    # with the eager protocol every rebalance revokes everything, and round-robin often
    # gives a partition back to the member that had it; a partition whose committed offset is where this handler
    # stopped was not touched by anyone else meanwhile, so its detector is still exact.
    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Forget the state of partitions that went to another member (eager: `assigned` is
        the whole assignment)."""
        # Adapters are not partition state (every replica holds all of them): nothing to do
        # here for labels.corrected.
        kept = {tp.partition for tp in assigned if tp.topic == self.mentions_topic}
        for partition in [p for p in self.detectors if p not in kept]:
            self._forget(partition)

    async def restore_partitions(self, committed: dict[TopicPartition, int]) -> None:
        """Make each partition's detector reflect the mentions before its committed offset:
        kept when this handler stopped exactly there, else rebuilt from mentions.classified."""
        todo = []
        for tp, offset in committed.items():
            if tp.topic != self.mentions_topic:
                continue
            if self.positions.get(tp.partition) == offset and tp.partition in self.detectors:
                continue
            self._forget(tp.partition)
            if offset > 0 and self.rebuild > timedelta(0):
                todo.append(tp.partition)
        if not todo:
            return
        started = time.perf_counter()
        restored = await restore_detectors(self.kafka, todo, datetime.now(UTC) - self.rebuild, self.spike_settings)
        for partition, state in restored.items():
            self.detectors[partition] = state.detector
            self.replayed_ids[partition] = set(state.tail_ids)
        count = sum(state.mentions for state in restored.values())
        log.info("restored spike state of partitions %s from %d classified mentions in %.2fs",
                 sorted(todo), count, time.perf_counter() - started)

    def _forget(self, partition: int) -> None:
        self.detectors.pop(partition, None)
        self.positions.pop(partition, None)
        self.replayed_ids.pop(partition, None)
