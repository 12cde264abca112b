"""Settings, logging, migrations, the HTTP app factory and a whole service's health endpoints."""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import ssl
import uuid
import weakref
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
from mentionflow.db import create_pool, migrate, ping
from mentionflow.heap import SERVICE_GC_THRESHOLD, collect_periodically
from mentionflow.http import HttpServer, create_app
from mentionflow.kafka.admin import broker_reachable
from mentionflow.logs import JsonFormatter
from mentionflow.settings import HttpSettings, KafkaSettings, PostgresSettings, ServiceSettings
from pydantic import ValidationError


def test_settings_come_from_prefixed_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("MENTIONFLOW_RUNNER__MAX_BATCH", "77")
    monkeypatch.setenv("MENTIONFLOW_LOG_LEVEL", "debug")
    settings = ServiceSettings()
    assert settings.kafka.bootstrap_servers == "k1:9092,k2:9092"
    assert settings.runner.max_batch == 77
    assert settings.log_level == "DEBUG"
    with pytest.raises(ValidationError):
        settings.log_level = "INFO"  # frozen


def test_secrets_are_redacted_when_settings_are_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTIONFLOW_POSTGRES__DSN", "postgresql://app:s3cr3t-pg@db/mf")
    monkeypatch.setenv("MENTIONFLOW_KAFKA__SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("MENTIONFLOW_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("MENTIONFLOW_KAFKA__SASL_USERNAME", "svc")
    monkeypatch.setenv("MENTIONFLOW_KAFKA__SASL_PASSWORD", "k4fka-pw")
    settings = ServiceSettings()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    logger = logging.getLogger("redaction-test")
    logger.addHandler(handler)
    logger.warning("settings %s", settings.redacted())
    logger.removeHandler(handler)
    line = stream.getvalue()
    assert "s3cr3t-pg" not in line and "k4fka-pw" not in line
    assert orjson.loads(line)["service"] == "test"


def test_sasl_ssl_client_configuration() -> None:
    settings = KafkaSettings(bootstrap_servers="b:9093", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256",
                             sasl_username="svc", sasl_password="real-secret-value")
    kwargs = settings.client_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-256"
    assert kwargs["sasl_plain_username"] == "svc" and kwargs["sasl_plain_password"] == "real-secret-value"
    assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert kwargs["ssl_context"].check_hostname is True
    assert "ssl_context" not in KafkaSettings().client_kwargs()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"security_protocol": "SASL_SSL"}, "needs sasl_mechanism"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": "u",
          "sasl_password": "changeme"}, "placeholder"),
        ({"replication_factor": 1, "min_insync_replicas": 2}, "cannot exceed"),
        ({"topic_prefix": "bad prefix!"}, "pattern"),
    ],
)
def test_incomplete_or_placeholder_kafka_settings_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KafkaSettings(**fields)


async def test_a_service_frees_cyclic_garbage_on_a_clock_not_on_allocation_counts() -> None:
    class Node:
        pass

    freed = asyncio.Event()
    saved = gc.get_threshold()
    collector = asyncio.create_task(collect_periodically(interval_s=0.05))
    try:
        await asyncio.sleep(0)  # the collector starts: automatic collections only far beyond a working set
        assert gc.get_threshold()[0] == SERVICE_GC_THRESHOLD
        gc.collect()
        node = Node()
        node.itself = node  # a cycle: reference counting alone never frees it
        weakref.finalize(node, freed.set)
        del node
        await asyncio.wait_for(freed.wait(), timeout=5)
    finally:
        collector.cancel()
        gc.set_threshold(*saved)


async def test_migrations_apply_in_order_once_even_when_raced(postgres_dsn: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    table = f"mig_{uuid.uuid4().hex[:12]}"
    (folder / "0001_create.sql").write_text(f"CREATE TABLE {table} (id int PRIMARY KEY, note text);")
    (folder / "0002_seed.sql").write_text(f"INSERT INTO {table} VALUES (1, 'seeded');")
    pool = await create_pool(PostgresSettings(dsn=postgres_dsn))
    try:
        component = f"test-{table}"
        first, second = await asyncio.gather(migrate(pool, component, folder), migrate(pool, component, folder))
        assert sorted(first + second) == ["0001_create.sql", "0002_seed.sql"]
        assert await migrate(pool, component, folder) == []
        (folder / "0003_more.sql").write_text(f"INSERT INTO {table} VALUES (2, 'later');")
        assert await migrate(pool, component, folder) == ["0003_more.sql"]
        async with pool.acquire() as conn:
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 2
    finally:
        await pool.close()


def test_badly_named_migrations_are_refused(tmp_path: Path) -> None:
    from mentionflow.db import migration_files

    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="NNNN_lowercase_name.sql"):
        migration_files(tmp_path)


async def test_readyz_really_checks_dependencies(kafka_settings: KafkaSettings, postgres_dsn: str) -> None:
    pool = await create_pool(PostgresSettings(dsn=postgres_dsn))
    dead_kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1")

    async def dead_db() -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:1/x", timeout=1)
        await conn.close()

    healthy = create_app("t", {"kafka": lambda: broker_reachable(kafka_settings), "postgres": lambda: ping(pool)})
    broken = create_app("t", {"kafka": lambda: broker_reachable(dead_kafka), "postgres": dead_db})
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=healthy), base_url="http://t") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"] == {"kafka": "ok", "postgres": "ok"}
            assert (await client.get("/healthz")).json()["status"] == "ok"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken), base_url="http://t") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            checks = ready.json()["checks"]
            assert checks["kafka"].startswith("failed") and checks["postgres"].startswith("failed")
    finally:
        await pool.close()


async def test_metrics_endpoint_serves_the_runner_catalog_over_real_http() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    server = HttpServer(create_app("t"), HttpSettings(port=0))
    await server.start()
    try:
        async with httpx.AsyncClient() as client:
            body = (await client.get(f"http://127.0.0.1:{server.port}/metrics")).text
    finally:
        await server.stop()
    families = {family.name for family in text_string_to_metric_families(body)}
    for name in ("mentionflow_runner_messages_consumed", "mentionflow_runner_dlq_messages",
                 "mentionflow_runner_consumer_lag_messages", "mentionflow_runner_paused_partitions",
                 "mentionflow_runner_commit_failures", "mentionflow_runner_processing_seconds",
                 "mentionflow_runner_retries", "mentionflow_runner_messages_produced"):
        assert name in families, f"{name} not exported"
