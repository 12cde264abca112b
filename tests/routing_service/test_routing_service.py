"""The routing service on the real broker with the shipped demo config."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from mentionflow.brandconfig import load_config
from mentionflow.events import decode, encode, make_envelope
from mentionflow.events.incidents import Incident
from mentionflow.events.mentions_classified import Classification, MentionClassified
from mentionflow.events.mentions_raw import Author, Mention, mention_id
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import Runner
from mentionflow.settings import KafkaSettings, RunnerSettings
from mentionflow_routing.handler import RoutingHandler

from tests.helpers import caught_up, eventually, produce, read_all
from tests.routing.builders import DEMO_CONFIG

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a weekday afternoon in New York and Paris


def classified(n: int, brand: str, handle: str, text: str, category: str, sentiment: str, *,
               known: bool = True, severity: float = 0.3) -> MentionClassified:
    external_id = str(10**17 + n)
    mention = Mention(id=mention_id("x", external_id, brand), external_id=external_id, brand_id=brand,
                      brand_known=known, account_handle=handle, author=Author(id=str(n), handle=f"u{n}"),
                      text=text, lang="en", created_at=NOW, received_at=NOW, source="x_polling")
    classification = Classification(category=category, sentiment=sentiment, sentiment_score=-0.5,
                                    is_question=category == "question", severity=severity, confidence=0.9,
                                    language="en", reasons=["test"], model_version="t")
    return MentionClassified(mention=mention, classification=classification)


async def test_decisions_escalations_unrouted_and_dlq(kafka_settings: KafkaSettings,
                                                     runner_settings: RunnerSettings) -> None:
    events = [
        classified(1, "skylark", "SkylarkAir", "@SkylarkAir smoke in the cabin on SK12, we are landing", "crisis",
                   "negative", severity=0.95),
        classified(2, "skylark", "SkylarkAir", "@SkylarkAir how much is a checked bag?", "question", "neutral"),
        classified(3, "unknown", "SomeoneElse", "@SomeoneElse great stuff", "praise", "positive", known=False),
    ]
    envelopes = [make_envelope("mentions.classified", e, brand_id=e.mention.brand_id, correlation_id=e.mention.id)
                 for e in events]
    incident = Incident(incident_id="inc-test-1", brand_id="hexafone", status="opened", opened_at=NOW,
                        window_start=NOW, window_end=NOW, negative_count=220, crisis_count=4,
                        baseline_per_minute=1.0, rate_per_minute=44.0)
    values = [(e.brand_id.encode(), encode(e)) for e in envelopes]
    values.append((b"skylark", b"\x00\x01 definitely not an event"))
    await produce(kafka_settings, "mentions.classified", values)
    await produce(kafka_settings, "incidents", [(b"hexafone", encode(make_envelope(
        "incidents", incident, brand_id="hexafone", correlation_id=incident.incident_id)))])

    group = f"g-{uuid.uuid4().hex[:8]}"
    producer = make_producer(kafka_settings, client_id="t-routing")
    await producer.start()
    runner = Runner(service="routing", group_id=group, topics=["mentions.classified", "incidents"],
                    handler=RoutingHandler(load_config(DEMO_CONFIG)), producer=producer,
                    kafka=kafka_settings, settings=runner_settings)
    task = asyncio.create_task(runner.run())
    try:
        async def done() -> bool:
            return (await caught_up(kafka_settings, group, "mentions.classified")
                    and await caught_up(kafka_settings, group, "incidents"))

        await eventually(done, what="routing caught up")
    finally:
        runner.stop()
        await asyncio.wait_for(task, 15)
        await producer.stop()

    routed = [decode("mentions.routed", r.value).payload
              for r in await read_all(kafka_settings, kafka_settings.physical("mentions.routed"), expect=3)]
    by_id = {r.mention.external_id: r.decision for r in routed}
    assert by_id[str(10**17 + 1)].priority == "P1" and by_id[str(10**17 + 1)].escalate
    assert by_id[str(10**17 + 1)].queue == "skylark-urgent"
    assert by_id[str(10**17 + 2)].queue != "unrouted" and not by_id[str(10**17 + 2)].escalate
    assert by_id[str(10**17 + 3)].queue == "unrouted"
    for decision in by_id.values():
        assert decision.explanation, "every decision explains itself"

    pages = [decode("escalations", r.value).payload
             for r in await read_all(kafka_settings, kafka_settings.physical("escalations"), expect=2)]
    assert sorted(p.kind for p in pages) == ["incident", "mention"]
    incident_page = next(p for p in pages if p.kind == "incident")
    assert incident_page.dedup_key == "inc-test-1" and incident_page.action == "trigger"
    assert incident_page.steps, "the policy's steps say who is paged"

    dlq = await read_all(kafka_settings, kafka_settings.physical("mentions.classified.dlq"), expect=1)
    assert dict(dlq[0].headers)["dlq.error.class"] == b"DecodeError.json"


def test_a_broken_config_stops_the_service_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    text = (DEMO_CONFIG / "agency.yaml").read_text()
    (config / "agency.yaml").write_text(text)
    brand = (DEMO_CONFIG / "brands" / "skylark.yaml").read_text()
    (config / "skylark.yaml").write_text(brand.replace("priority: P1", "priority: P9", 1))
    env = {**os.environ, "MENTIONFLOW_BRAND_CONFIG": str(config), "MENTIONFLOW_LOG_JSON": "false"}
    result = subprocess.run([sys.executable, "-m", "mentionflow_routing.main"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 4
    assert "skylark.yaml:" in result.stderr and "priority" in result.stderr
