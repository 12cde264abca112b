"""`mentionflow replay` as a real process: JSON Lines and CSV into the real Kafka."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer
from mentionflow.events.mentions_raw import UNKNOWN_BRAND, Author, Mention, mention_id
from mentionflow.kafka.sending import BatchSender
from mentionflow.settings import KafkaSettings

from tests.ingest.conftest import raw_events


def run_replay(kafka: KafkaSettings, config_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
           "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka.topic_prefix, "MENTIONFLOW_BRAND_CONFIG": str(config_path)}
    return subprocess.run([sys.executable, "-m", "mentionflow_tools.cli.main", "replay", *args, "--no-progress"],
                          env=env, capture_output=True, text=True, timeout=60)


def mention(external_id: str, handle: str, text: str) -> Mention:
    at = "2025-01-15T10:30:00Z"
    return Mention.model_validate({
        "id": mention_id("x", external_id, "ignored"), "external_id": external_id, "brand_id": "ignored",
        "account_handle": handle, "author": Author(id="5", handle="jo").model_dump(), "text": text,
        "created_at": at, "received_at": at, "source": "generator"})


async def test_replay_jsonl_resolves_brands_drops_repeats_and_reports(
    kafka_settings: KafkaSettings, config_path: Path, tmp_path: Path
) -> None:
    lines = [mention("100", "AcmeHelp", "@AcmeHelp hi &amp; bye"), mention("101", "GlobexCare", "@GlobexCare yo"),
             mention("102", "Unknown_Co", "@Unknown_Co ?"), mention("100", "acmehelp", "@AcmeHelp hi &amp; bye")]
    file = tmp_path / "m.jsonl"
    file.write_text("\n".join(m.model_dump_json() for m in lines) + "\n{not json}\n")

    result = await asyncio.to_thread(run_replay, kafka_settings, config_path, str(file))

    assert result.returncode == 0, result.stderr
    assert "→ 3 mentions" in result.stderr and "duplicates skipped 1" in result.stderr
    assert "rejected 1" in result.stderr and "mentions/s into Kafka" in result.stderr
    events = {e.payload.mention.external_id: e.payload.mention for e in await raw_events(kafka_settings, expect=3)}
    assert {k: (m.brand_id, m.source) for k, m in events.items()} == {
        "100": ("acme", "replay"), "101": ("globex", "replay"), "102": (UNKNOWN_BRAND, "replay")}
    assert events["100"].id == mention_id("x", "100", "acme") and events["100"].text == "@AcmeHelp hi & bye"


async def test_replay_csv_with_a_column_mapping_and_filter(
    kafka_settings: KafkaSettings, config_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "twcs.csv"
    with file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id"])
        writer.writerow(["1", "115712", "True", "Tue Oct 31 22:10:47 +0000 2017", "@AcmeHelp my bill &amp; plan", ""])
        writer.writerow(["2", "acmehelp", "False", "Tue Oct 31 22:11:47 +0000 2017", "@115712 sorry!", "1.0"])
        writer.writerow(["3", "115713", "True", "Tue Oct 31 22:12:47 +0000 2017", "@GlobexCare @AcmeHelp both", "2.0"])
        writer.writerow(["4", "115714", "True", "not a date", "@AcmeHelp hmm", ""])

    result = await asyncio.to_thread(
        run_replay, kafka_settings, config_path, str(file), "--map",
        "text=text,external_id=tweet_id,author_handle=author_id,created_at=created_at,in_reply_to=in_response_to_tweet_id",
        "--where", "inbound=True")

    assert result.returncode == 0, result.stderr
    assert "3 records → 3 mentions" in result.stderr and "rejected 1" in result.stderr
    events = await raw_events(kafka_settings, expect=3)
    got = sorted((e.payload.mention.external_id, e.brand_id, e.payload.mention.in_reply_to) for e in events)
    assert got == [("1", "acme", None), ("3", "acme", "2"), ("3", "globex", "2")]
    first = next(e.payload.mention for e in events if e.payload.mention.external_id == "1")
    assert first.text == "@AcmeHelp my bill & plan" and first.author.handle == "115712"
    assert first.created_at.isoformat() == "2017-10-31T22:10:47+00:00"


async def test_replay_partitions_like_the_services_producer(kafka_settings: KafkaSettings) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    try:
        topic = kafka_settings.physical("mentions.raw")
        sender = BatchSender(producer)
        for brand in ("acme", "globex", "unknown", "hexafone", "skylark"):
            meta = await (await producer.send(topic, b"{}", key=brand.encode()))
            assert await sender.partition_for(topic, brand.encode()) == meta.partition
    finally:
        await producer.stop()
