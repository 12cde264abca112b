"""The Quix Streams peer of the benchmark (bench/peer): the same logic as our services, the same
rows, and its pipeline really run (its own environment, bench/peer/.venv, which `make test` syncs)."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import orjson
import pytest
from mentionflow.brandconfig import load_config
from mentionflow.classify import classify_mention
from mentionflow.db import migrate_all
from mentionflow.events.codec import decode
from mentionflow.events.mentions_classified import MentionClassified
from mentionflow.routing import route
from mentionflow.settings import KafkaSettings
from mentionflow_tools.infra import stack as infra_stack

from bench.e2e.kafka_probe import OffsetProbe
from bench.e2e.peer import PEER_PYTHON, PUBLISH_SCHEMA, PeerRun, run_pipeline
from bench.e2e.queue_sql import drop_database
from bench.e2e.services import endpoints_of
from bench.e2e.traffic import TrafficFile, encoded_events, write_traffic
from bench.peer.peer_logic import brand_profiles, classifier, router, write_queue_items

REPO = Path(__file__).resolve().parents[2]
BRAND_CONFIG = REPO / "deploy" / "config" / "demo"


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> TrafficFile:
    return write_traffic(tmp_path_factory.mktemp("peer") / "traffic.jsonl", 300, seed=7, rate_per_s=20.0)


def peer_records(traffic: TrafficFile) -> list[tuple[dict, dict]]:
    """(classified, routed) records the peer's classify and routing make of the traffic."""
    config = load_config(BRAND_CONFIG)
    classified, routed = classifier(config), router(config)
    records = []
    for _, value in encoded_events(traffic):
        step = classified(orjson.loads(value))
        records.append((step, routed(step)))
    return records


def test_the_peer_writes_our_events_with_the_decisions_of_our_functions(traffic: TrafficFile) -> None:
    config = load_config(BRAND_CONFIG)
    profiles = brand_profiles(config)
    records = peer_records(traffic)
    assert len(records) == 300
    queues = set()
    for classified, routed in records:
        # Valid events of our contracts: our routing and publish would take them as they are.
        event: MentionClassified = decode("mentions.classified", orjson.dumps(classified)).payload
        decided = decode("mentions.routed", orjson.dumps(routed)).payload
        mention = event.mention
        assert event.classification == classify_mention(mention, profiles[mention.brand_id])
        assert decided.decision == route(event, config, now=mention.received_at)  # as the routing service
        assert decided.mention == mention and decided.classification == event.classification
        queues.add(decided.decision.queue)
    assert len(queues) > 2, queues  # the traffic reaches several rules, not one default


async def test_the_peer_writes_publishs_rows_once(traffic: TrafficFile, fresh_database_dsn: str) -> None:
    routed = [step for _, step in peer_records(traffic)]
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=1)
    try:
        await migrate_all(pool, PUBLISH_SCHEMA)
    finally:
        await pool.close()
    conn = await asyncpg.connect(fresh_database_dsn)
    try:
        assert await write_queue_items(conn, routed[:200]) == 200
        assert await write_queue_items(conn, routed) == 100  # a redelivered batch changes nothing
        rows = await conn.fetch("SELECT brand_id, external_id, queue, priority, decision FROM queue_items")
        assert len(rows) == 300
        by_key = {(row["brand_id"], row["external_id"]): row for row in rows}
        for step in routed:
            decision, mention = step["payload"]["decision"], step["payload"]["mention"]
            row = by_key[(mention["brand_id"], mention["external_id"])]
            assert (row["queue"], row["priority"]) == (decision["queue"], decision["priority"])
            assert orjson.loads(row["decision"])["rule_id"] == decision["rule_id"]
    finally:
        await conn.close()


@pytest.mark.slow
async def test_the_peer_pipeline_delivers_every_mention_once(stack: infra_stack.Stack, traffic: TrafficFile,
                                                             tmp_path: Path) -> None:
    assert PEER_PYTHON.exists(), f"{PEER_PYTHON} missing: `make test` (or make peer-env) syncs bench/peer"
    endpoints = endpoints_of(stack)
    kafka = KafkaSettings(bootstrap_servers=endpoints.bootstrap_servers, topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
                          partitions_override=4)
    database = f"t_peer_{uuid.uuid4().hex[:12]}"
    run = PeerRun()
    probe = await OffsetProbe(kafka).start()
    try:
        await run_pipeline(run, probe, endpoints=endpoints, kafka=kafka, database=database,
                           brand_config=BRAND_CONFIG, log_dir=tmp_path, traffic=traffic, mentions=250)
    finally:
        await probe.close()
        await drop_database(endpoints.postgres_dsn, database)
    logs = {p.name: p.read_text()[-2000:] for p in tmp_path.glob("peer-pipeline-*.log")}
    assert run.problems == [], (run.problems, logs)
    assert run.delivery is not None
    assert (run.delivery.generated, run.delivery.rows, run.delivery.lost, run.delivery.duplicates,
            run.delivery.unexpected) == (250, 250, 0, 0, 0)
    assert run.pipeline_rows == 250 and run.pipeline_rate is not None and run.pipeline_rate > 0
    assert run.samples["pipeline"][-1].value == 250
