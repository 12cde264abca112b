"""The malformed-event corpus sent to every consumed topic of the running services: each
message lands in its topic's DLQ with the reason, the services stay up (/healthz), and good
events sent afterwards are still processed end to end."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.chaos import checks
from bench.chaos.feed import POISON_HEADER, send_poison
from bench.chaos.harness import Harness
from bench.chaos.poison import CONSUMED_TOPICS, full_corpus

# Which services consume each topic: each of them dead-letters the poison (the header names it);
# incidents are read by routing and publish, so their poison is dead-lettered twice.
CONSUMERS = {"mentions.raw": {"classify"}, "mentions.classified": {"routing"}, "incidents": {"routing", "publish"},
             "mentions.routed": {"publish"}, "escalations": {"publish"}, "incidents.actions": {"publish"},
             "replies.requested": {"publish"}, "accounts.snapshots": {"publish"},
             "posts.requested": {"publish"}, "posts.metrics": {"publish"}}


@pytest.mark.slow
async def test_every_malformed_event_is_dead_lettered_with_its_reason_and_services_keep_working(
    services_harness: Harness,
) -> None:
    harness = services_harness
    poison = full_corpus()
    sent: dict[str, str] = {}  # poison id → expected DLQ error class

    async def send_corpus(h: Harness) -> None:
        for entry in poison:
            poison_id = f"corpus|{entry.topic}|{entry.name}"
            await send_poison(h.producer, h.kafka, entry.topic, entry.value, poison_id)
            sent[poison_id] = f"DecodeError.{entry.expected_kind}"

    # Good traffic after the poison: 300 mentions through ingest and 10 replies must go through.
    result = await harness.run_scenario("poison corpus", send_corpus, mentions=300, replies=10)
    assert result.recovery_s is not None, result.row()
    assert (result.lost, result.duplicates, result.double_replies, result.replies_lost) == (0, 0, 0, 0), result.row()

    found: dict[str, list[dict[str, str]]] = {}
    for topic in CONSUMED_TOPICS:
        for record in await checks.read_to_end(harness.kafka, topic + ".dlq"):
            headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
            if headers.get(POISON_HEADER, "").startswith("corpus|"):
                found.setdefault(headers[POISON_HEADER], []).append(headers | {"dlq_topic": topic})
    assert set(found) == set(sent), f"missing from the DLQs: {sorted(set(sent) - set(found))}"
    for poison_id, copies in found.items():
        _, topic, name = poison_id.split("|")
        for headers in copies:
            assert headers["dlq_topic"] == topic, "each poison lands in its own topic's DLQ"
            assert headers["dlq.error.class"] == sent[poison_id], (name, headers["dlq.error.message"])
            assert headers["dlq.error.message"].strip(), f"{poison_id}: a reason is given"
            assert harness.kafka.logical(headers["dlq.source.topic"]) == topic
        assert {h["dlq.service"] for h in copies} == CONSUMERS[topic], poison_id
    assert Counter(p.topic for p in poison) == Counter(pid.split("|")[1] for pid in found)

    for name, service in harness.services.items():
        assert service.running(), f"{name} exited"
        assert await service.probe("/healthz"), f"{name} /healthz"
        assert service.incarnation == 1, f"{name} was never restarted"
