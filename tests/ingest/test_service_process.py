"""The ingest service as a real process, and the recovery of claims orphaned by a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from mentionflow.events import decode
from mentionflow.events.accounts_snapshots import AccountSnapshot
from mentionflow.events.mentions_raw import Author, Mention, mention_id
from mentionflow.ingestion.encoding import dedup_key, encode_mention_event
from mentionflow.settings import KafkaSettings
from mentionflow_ingest import repository
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_tools.fakex import FakeXServer
from mentionflow_tools.infra.processes import free_port

from tests.helpers import eventually, read_all
from tests.ingest.conftest import ACME, GLOBEX, add_tweets, raw_count, raw_events

API_KEY = "collector-key-process-test"


def _start(kafka: KafkaSettings, dsn: str, config_path: Path, fake: FakeXServer, port: int, log: Path):
    env = {
        **os.environ,
        "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": "4",
        "MENTIONFLOW_POSTGRES__DSN": dsn,
        "MENTIONFLOW_HTTP__PORT": str(port),
        "MENTIONFLOW_BRAND_CONFIG": str(config_path),
        "MENTIONFLOW_X__API__BASE_URL": fake.base_url,
        "MENTIONFLOW_X__CREDENTIALS__BEARER_TOKEN": "process-test-bearer",
        "MENTIONFLOW_X__POLL_INTERVAL_S": "0.3",
        "MENTIONFLOW_HTTP_API__API_KEYS": f'["{API_KEY}"]',
    }
    out = open(log, "ab")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "mentionflow_ingest.main"], env=env, stdout=out,
                            stderr=subprocess.STDOUT)


async def _ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def test_the_process_polls_accepts_http_and_resumes_after_a_restart(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, config_path: Path, fake: FakeXServer, tmp_path: Path
) -> None:
    port = free_port()
    add_tweets(fake, [f"@AcmeHelp first wave {i}" for i in range(15)])
    service = _start(kafka_settings, fresh_database_dsn, config_path, fake, port, tmp_path / "ingest.log")
    try:
        await eventually(lambda: _ready(port), timeout_s=60, what="ingest /readyz")

        async def polled(n: int):
            async def check() -> bool:
                return await raw_count(kafka_settings) >= n
            return check

        await eventually(await polled(15), timeout_s=30, what="first wave polled")
        async with httpx.AsyncClient() as client:
            now = datetime.now(UTC).isoformat()
            response = await client.post(
                f"http://127.0.0.1:{port}/v1/mentions", headers={"X-API-Key": API_KEY},
                json={"external_id": "http-1", "mentioned_handles": ["AcmeHelp"], "text": "@AcmeHelp via a collector",
                      "author": {"id": "77", "handle": "collector_user"}, "created_at": now})
        assert response.status_code < 300, response.text
        await eventually(await polled(16), timeout_s=30, what="HTTP mention produced")

        async def snapshotted() -> bool:
            return len(await snapshots(kafka_settings, expect=2)) >= 2
        await eventually(snapshotted, timeout_s=30, what="today's follower snapshots produced")
    finally:
        service.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait, 15) == 0

    add_tweets(fake, [f"@AcmeHelp second wave {i}" for i in range(5)])
    restarted = _start(kafka_settings, fresh_database_dsn, config_path, fake, port, tmp_path / "ingest.log")
    try:
        await eventually(lambda: _ready(port), timeout_s=60, what="restarted /readyz")

        async def second_wave() -> bool:
            return await raw_count(kafka_settings) >= 21

        await eventually(second_wave, timeout_s=30, what="second wave polled after restart")

        async def snapshots_skipped() -> bool:
            return (tmp_path / "ingest.log").read_text().count("snapshot already taken") >= 2
        await eventually(snapshots_skipped, timeout_s=30, what="the restarted ingest's snapshot round")
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(restarted.wait, 15) == 0
    events = await raw_events(kafka_settings, expect=21)
    ids = [e.payload.mention.external_id for e in events]
    assert len(ids) == len(set(ids)) == 21, "nothing lost, nothing repeated across the restart"
    # One follower snapshot per account today, taken once: the restart did not ask X again.
    assert len(fake.state.calls("users_lookup")) == 1
    today = datetime.now(UTC).date()
    taken = sorted((s.account_id, s.day, s.status) for s in await snapshots(kafka_settings, expect=3, timeout_s=3))
    assert taken == [(ACME.id, today, "ok"), (GLOBEX.id, today, "ok")]


async def snapshots(kafka: KafkaSettings, *, expect: int, timeout_s: float = 2.0) -> list[AccountSnapshot]:
    records = await read_all(kafka, kafka.physical("accounts.snapshots"), expect=expect, timeout_s=timeout_s)
    return [decode("accounts.snapshots", r.value).payload for r in records]


async def test_claims_orphaned_by_a_crash_are_produced_once_by_the_sweep(
    ingestor: Ingestor, pool, kafka_settings: KafkaSettings  # noqa: ANN001
) -> None:
    now = datetime.now(UTC)
    mentions = [Mention(id=mention_id("x", f"orphan-{i}", "acme"), external_id=f"orphan-{i}", brand_id="acme",
                        account_handle="AcmeHelp", author=Author(id="9", handle="someone"), text=f"@AcmeHelp {i}",
                        created_at=now, received_at=now, source="x_webhook") for i in range(3)]
    # A process claimed these, then died before producing them (step 1 of the protocol only).
    requests = [repository.ClaimRequest(dedup_key(m), m.id, *encode_mention_event(m)) for m in mentions]
    async with pool.acquire() as conn:
        await repository.claim(conn, requests=requests, source="x_webhook", stale_after_s=30)
        # ... long enough ago to count as orphaned.
        await conn.execute("UPDATE ingest_claims SET claimed_at = now() - interval '1 hour'")
    assert await raw_count(kafka_settings) == 0

    assert await ingestor.sweep_once() == 3
    assert await ingestor.sweep_once() == 0
    outcomes = await ingestor.ingest(mentions, source="x_polling")  # the same posts seen again
    assert [o.status for o in outcomes] == ["duplicate"] * 3
    events = await raw_events(kafka_settings, expect=3)
    assert sorted(e.payload.mention.external_id for e in events) == ["orphan-0", "orphan-1", "orphan-2"]
