"""`mentionflow rules diff` against the real broker: reads from a timestamp, up to the end,
with its own group, skips undecodable messages, commits and produces nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from mentionflow.events import encode, key_for, make_envelope
from mentionflow.settings import KafkaSettings

from tests.routing.builders import DEMO_CONFIG, REPO_ROOT, classified

CLI = str(REPO_ROOT / ".venv" / "bin" / "mentionflow")
TOPIC = "mentions.classified"


def envelope(event, at: datetime):  # noqa: ANN001, ANN201
    env = make_envelope(TOPIC, event, brand_id=event.mention.brand_id, correlation_id=event.mention.id,
                        occurred_at=at)
    return env.model_copy(update={"produced_at": at})


async def produce(settings: KafkaSettings, records: list[tuple[bytes, bytes, datetime]]) -> None:
    producer = AIOKafkaProducer(**settings.client_kwargs(), acks="all")
    await producer.start()
    try:
        sent = [await producer.send(settings.physical(TOPIC), value, key=key,
                                    timestamp_ms=int(at.timestamp() * 1000)) for key, value, at in records]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_rules_diff_replays_from_a_timestamp_without_side_effects(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    since = now - timedelta(minutes=30)
    records = []
    # Before `since`: must not be read.
    for n in range(5):
        at = now - timedelta(hours=2, minutes=n)
        event = classified(brand_id="hexafone", account="Hexafone", category="question", language="fr",
                           text=f"ancienne question {n}", external_id=f"old{n}", at=at)
        env = envelope(event, at)
        records.append((key_for(TOPIC, env), encode(env), at))
    # After `since`: 12 hexafone questions (their rule changes) and 6 skylark complaints (unchanged).
    for n in range(18):
        at = since + timedelta(minutes=1, seconds=n)
        if n < 12:
            event = classified(brand_id="hexafone", account="Hexafone", category="question", language="fr",
                               text=f"question {n}", external_id=f"new{n}", at=at)
        else:
            event = classified(brand_id="skylark", account="SkylarkAir", category="complaint",
                               text=f"complaint {n}", external_id=f"new{n}", at=at)
        env = envelope(event, at)
        records.append((key_for(TOPIC, env), encode(env), at))
    records.append((b"hexafone", b"{not json", since + timedelta(minutes=2)))
    await produce(kafka_settings, records)

    new_config = tmp_path / "new"
    shutil.copytree(DEMO_CONFIG, new_config)
    brand_file = new_config / "brands" / "hexafone.yaml"
    text = brand_file.read_text(encoding="utf-8")
    old_rule = (
        "      - id: question\n        when: {is_question: true}\n        queue: hexafone-care\n        priority: P3\n"
    )
    assert old_rule in text
    brand_file.write_text(text.replace(old_rule, old_rule.replace("hexafone-care", "hexafone-engagement")),
                          encoding="utf-8")

    process = await asyncio.create_subprocess_exec(
        CLI, "rules", "diff", "--config", str(new_config), "--current", str(DEMO_CONFIG),
        "--since", since.isoformat(), "--bootstrap-servers", kafka_settings.bootstrap_servers,
        "--topic-prefix", kafka_settings.topic_prefix, "--json", "--idle-timeout", "20",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=REPO_ROOT,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, stderr.decode()
    report = json.loads(stdout)

    source = report["source"]
    assert source["topic"] == kafka_settings.physical(TOPIC)
    assert (source["read"], source["decoded"], source["undecodable"]) == (19, 18, 1)
    assert "json" in source["undecodable_samples"][0]
    assert (report["total"], report["changed"], report["failed"]) == (18, 12, 0)
    assert {b["brand_id"]: (b["total"], b["changed"]) for b in report["by_brand"]} == {
        "hexafone": (12, 0 + 12), "skylark": (6, 0)
    }
    assert report["queue_moves"] == [{"from_queue": "hexafone-care", "to_queue": "hexafone-engagement", "count": 12}]
    assert report["samples"] and report["samples"][0]["before"]["queue"] == "hexafone-care"

    # No side effects: the replay's group committed nothing, and nothing was routed.
    partitions = [TopicPartition(source["topic"], int(p)) for p in source["end_offsets"]]
    probe = AIOKafkaConsumer(**kafka_settings.client_kwargs(), group_id=source["group_id"],
                             enable_auto_commit=False)
    await probe.start()
    try:
        for tp in partitions:
            assert await probe.committed(tp) is None
        assert kafka_settings.partitions_override is not None
        routed = [TopicPartition(kafka_settings.physical("mentions.routed"), p)
                  for p in range(kafka_settings.partitions_override)]
        assert set((await probe.end_offsets(routed)).values()) == {0}
    finally:
        await probe.stop()


async def test_rules_diff_with_nothing_since_reads_nothing(kafka_settings: KafkaSettings) -> None:
    process = await asyncio.create_subprocess_exec(
        CLI, "rules", "diff", "--config", str(DEMO_CONFIG), "--since", "5m",
        "--bootstrap-servers", kafka_settings.bootstrap_servers, "--topic-prefix", kafka_settings.topic_prefix,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=REPO_ROOT,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, stderr.decode()
    assert "0 of 0 decisions change" in stdout.decode()
