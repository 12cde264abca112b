"""The classify service on the real broker: labels, DLQ, spikes, and the process itself."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from mentionflow.classify.spikes import SpikeSettings
from mentionflow.events import decode, encode, make_envelope
from mentionflow.events.mentions_raw import Author, Mention, MentionReceived, mention_id
from mentionflow.kafka.adapter_feed import AdapterFeed
from mentionflow.kafka.producer import make_producer
from mentionflow.kafka.runner import Runner
from mentionflow.settings import KafkaSettings, RunnerSettings
from mentionflow_classify.handler import ClassifyHandler
from mentionflow_classify.main import GROUP_ID
from mentionflow_tools.infra.processes import free_port
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import caught_up, committed_offsets, eventually, produce, read_all, wait_ready

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def no_corrections(kafka: KafkaSettings) -> AdapterFeed:
    """A feed with no adapter, ready at once: for tests about everything but corrections."""
    feed = AdapterFeed(kafka)
    feed.ready.set()
    return feed


def raw(n: int, brand: str, text: str, at: datetime, lang: str | None = None, followers: int = 120):
    external_id = f"{brand}-{n}"
    mention = Mention(
        id=mention_id("x", external_id, brand), external_id=external_id, brand_id=brand, account_handle=brand,
        author=Author(id=str(n), handle=f"u{n}", followers=followers), text=text, lang=lang,
        created_at=at, received_at=at, source="generator",
    )
    return make_envelope("mentions.raw", MentionReceived(mention=mention), brand_id=brand,
                         correlation_id=mention.id, occurred_at=at)


async def _run_handler(kafka: KafkaSettings, runner_settings: RunnerSettings, values, expect_outputs: int):
    group = f"g-{uuid.uuid4().hex[:8]}"
    await produce(kafka, "mentions.raw", values)
    producer = make_producer(kafka, client_id="t-classify")
    await producer.start()
    handler = ClassifyHandler(kafka=kafka, group_id=group, profiles={}, spike_settings=SpikeSettings(),
                              rebuild=timedelta(0), feed=no_corrections(kafka))
    runner = Runner(service="classify", group_id=group, topics=["mentions.raw"], handler=handler,
                    producer=producer, kafka=kafka, settings=runner_settings)
    task = asyncio.create_task(runner.run())

    async def done() -> bool:
        return await caught_up(kafka, group, "mentions.raw")

    try:
        await eventually(done, what="classify committed everything")
    finally:
        runner.stop()
        await asyncio.wait_for(task, 15)
        await producer.stop()
    classified = await read_all(kafka, kafka.physical("mentions.classified"), expect=expect_outputs)
    return [decode("mentions.classified", r.value) for r in classified]


async def test_mentions_are_classified_and_a_bad_event_goes_to_the_dlq(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    events = [
        raw(1, "skylark", "@skylark my flight was cancelled and nobody answers the phone, this is a disgrace", T0),
        raw(2, "skylark", "@skylark how do I add a checked bag to my booking?", T0),
        raw(3, "hexafone", "@hexafone merci pour l'installation de la fibre, super rapide et technicien au top !", T0),
        raw(4, "hexafone",
            "@hexafone il y a une fuite de données ? j'ai reçu un mail de phishing avec mes infos clients", T0),
    ]
    values = [(e.brand_id.encode(), encode(e)) for e in events] + [(b"skylark", b'{"not": "an envelope"}')]
    results = await _run_handler(kafka_settings, runner_settings, values, expect_outputs=4)
    by_id = {r.payload.mention.external_id: r.payload.classification for r in results}
    assert len(by_id) == 4
    assert by_id["skylark-1"].category == "complaint" and by_id["skylark-1"].sentiment == "negative"
    assert by_id["skylark-2"].category == "question" and by_id["skylark-2"].is_question
    assert by_id["hexafone-3"].category == "praise" and by_id["hexafone-3"].language == "fr"
    assert by_id["hexafone-4"].category == "crisis"
    for r in results:
        assert r.correlation_id == r.payload.mention.id  # the chain keeps the mention's id
    dlq = await read_all(kafka_settings, kafka_settings.physical("mentions.raw.dlq"), expect=1)
    assert len(dlq) == 1 and dict(dlq[0].headers)["dlq.error.class"] == b"DecodeError.schema"


async def test_a_negative_spike_opens_one_incident_and_closes_after_calm(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    angry = "@{b} your app has been down all morning, I can't pay anything, absolutely furious"
    calm = "@{b} thanks, all good now"
    events = []
    # Ten quiet minutes for three brands: a few mentions a minute, some negative.
    for minute in range(10):
        for brand in ("orbit", "lumen", "kite"):
            for k in range(3):
                text = angry if (minute + k) % 7 == 0 else "@{b} what time does the store open?"
                events.append(raw(len(events), brand, text.format(b=brand), T0 + timedelta(minutes=minute, seconds=k)))
    # 200 negative mentions in 60 s for orbit only, while the others keep their normal pace.
    spike_start = T0 + timedelta(minutes=10)
    for i in range(200):
        events.append(raw(len(events), "orbit", angry.format(b="orbit"), spike_start + timedelta(seconds=i * 0.3)))
    for minute in range(10, 12):
        for brand in ("lumen", "kite"):
            events.append(raw(len(events), brand, f"@{brand} what time does the store open?",
                              T0 + timedelta(minutes=minute)))
    # Then calm: orbit is quiet and positive for half an hour.
    for minute in range(12, 45):
        events.append(raw(len(events), "orbit", calm.format(b="orbit"), T0 + timedelta(minutes=minute)))

    values = [(e.brand_id.encode(), encode(e)) for e in events]
    results = await _run_handler(kafka_settings, runner_settings, values, expect_outputs=len(events))
    assert len(results) == len(events)
    incidents = [decode("incidents", r.value) for r in
                 await read_all(kafka_settings, kafka_settings.physical("incidents"), expect=100, timeout_s=5)]
    opened = [i.payload for i in incidents if i.payload.status == "opened"]
    closed = [i.payload for i in incidents if i.payload.status == "closed"]
    assert [i.brand_id for i in opened] == ["orbit"]
    assert [i.incident_id for i in closed] == [opened[0].incident_id]
    spiking = [r.payload.classification for r in results
               if r.payload.mention.brand_id == "orbit" and r.payload.classification.incident_id]
    assert spiking and all(c.category == "crisis" for c in spiking if c.sentiment == "negative")
    assert sum(c.category == "crisis" for c in spiking) >= 150  # the spike's own angry mentions


async def test_the_service_process_serves_health_classifies_and_stops_on_sigterm(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    events = [raw(i, "skylark", "@skylark where is my refund? three weeks already", T0) for i in range(50)]
    await produce(kafka_settings, "mentions.raw", [(b"skylark", encode(e)) for e in events])
    port = free_port()
    env = {**os.environ, "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
           "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka_settings.topic_prefix,
           "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": "4", "MENTIONFLOW_HTTP__PORT": str(port),
           "MENTIONFLOW_BRAND_CONFIG": str(Path(__file__).resolve().parents[2] / "deploy/config/demo")}
    log = open(tmp_path / "classify.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "mentionflow_classify.main"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        await wait_ready(port, what="classify /readyz")
        classified = await read_all(kafka_settings, kafka_settings.physical("mentions.classified"), expect=50)
        assert len(classified) == 50
        async with httpx.AsyncClient() as client:
            body = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        counted = sum(s.value for f in text_string_to_metric_families(body) for s in f.samples
                      if s.name == "mentionflow_classify_mentions_total" and s.labels["brand"] == "skylark")
        assert counted >= 50
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 15)
    assert code == 0
    assert sum((await committed_offsets(kafka_settings, GROUP_ID, "mentions.raw")).values()) == 50


async def test_spike_state_is_restored_from_classified_history_when_a_partition_is_reassigned(
    kafka_settings: KafkaSettings, runner_settings: RunnerSettings
) -> None:
    """A consumer that takes over a partition in the middle of a spike knows the incident:
    its detector is restored from the partition's recent mentions.classified records."""
    angry = "@orbit the app is down again, I can't pay anything, absolutely furious"
    at = datetime.now(UTC)  # history is looked up by Kafka timestamp: recent means now
    spike = [raw(i, "orbit", angry, at + timedelta(seconds=i * 0.2)) for i in range(120)]
    group = f"g-{uuid.uuid4().hex[:8]}"

    async def consume(handler: ClassifyHandler, expected_total: int) -> None:
        producer = make_producer(kafka_settings, client_id="t-rebuild")
        await producer.start()
        runner = Runner(service="classify", group_id=group, topics=["mentions.raw"], handler=handler,
                        producer=producer, kafka=kafka_settings, settings=runner_settings,
                        on_assigned=handler.on_partitions_assigned, restore=handler.restore_partitions)
        task = asyncio.create_task(runner.run())

        async def done() -> bool:
            return sum((await committed_offsets(kafka_settings, group, "mentions.raw")).values()) == expected_total

        try:
            await eventually(done, what="consumer caught up")
        finally:
            runner.stop()
            await asyncio.wait_for(task, 15)
            await producer.stop()

    def handler() -> ClassifyHandler:
        return ClassifyHandler(kafka=kafka_settings, group_id=group, profiles={}, spike_settings=SpikeSettings(),
                               rebuild=timedelta(minutes=30), feed=no_corrections(kafka_settings))

    await produce(kafka_settings, "mentions.raw", [(b"orbit", encode(e)) for e in spike])
    first = handler()
    await consume(first, len(spike))
    opened = [first.detectors[p].open_incident("orbit") for p in first.detectors]
    incident_id = next(i for i in opened if i)

    # A new consumer (a restart, or another replica after a rebalance) starts empty-handed...
    follow_up = raw(999, "orbit", angry, at + timedelta(seconds=30))
    await produce(kafka_settings, "mentions.raw", [(b"orbit", encode(follow_up))])
    second = handler()
    await consume(second, len(spike) + 1)
    # ...yet classifies the next angry mention inside the same incident, without a new one.
    classified = [decode("mentions.classified", r.value).payload for r in
                  await read_all(kafka_settings, kafka_settings.physical("mentions.classified"), expect=len(spike) + 1)]
    last = next(c for c in classified if c.mention.external_id == "orbit-999")
    assert last.classification.incident_id == incident_id
    incidents = [decode("incidents", r.value).payload for r in
                 await read_all(kafka_settings, kafka_settings.physical("incidents"), expect=10, timeout_s=5)]
    assert [i.status for i in incidents].count("opened") == 1
