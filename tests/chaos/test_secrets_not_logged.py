"""Secrets never reach the logs: the services run with every secret we can configure here
(collector API key, webhook consumer secret, X app bearer token, X user tokens of the brand
accounts, PagerDuty routing key, a Slack webhook URL's token, PostgreSQL password in the DSN),
at DEBUG level, while
traffic uses each secret; then every log file of every process is scanned for them.

Not covered: the Kafka SASL password (no SASL listener on the test brokers; its redaction is
covered by tests/chaos/test_kafka_security_config.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from mentionflow.events import encode, key_for, make_envelope
from mentionflow.events.escalations import Escalation, EscalationStep
from mentionflow_tools.generate import DEMO_BRANDS

from bench.chaos.harness import Harness


def leaked_secrets(files: list[Path], secrets: dict[str, str]) -> list[str]:
    """'<file>: <secret name>' for every secret value found in a file (bytes, any position)."""
    hits = []
    for path in files:
        content = path.read_bytes()
        for name, value in secrets.items():
            if value.encode() in content:
                hits.append(f"{path.name}: {name}")
    return hits


def test_the_scan_finds_a_secret_logged_on_purpose(tmp_path: Path) -> None:
    """The scan itself must be able to fail: a planted secret is found, a clean log is not."""
    clean = tmp_path / "clean.log"
    clean.write_text('{"msg": "starting with settings {\'api_key\': \'**********\'}"}\n')
    dirty = tmp_path / "dirty.log"
    dirty.write_text('{"msg": "POST /v1/mentions X-API-Key=api_key-0123abcd"}\n')
    secrets = {"api_key": "api_key-0123abcd"}
    assert leaked_secrets([clean], secrets) == []
    assert leaked_secrets([clean, dirty], secrets) == ["dirty.log: api_key"]


def _sign(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.slow
async def test_no_configured_secret_appears_in_any_service_log(services_harness: Harness) -> None:
    harness = services_harness
    secrets = dict(harness.secrets)
    ingest = harness.services["ingest"].base_url
    brand = DEMO_BRANDS[0]

    async def use_every_secret(h: Harness) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            crc = await client.get(f"{ingest}/v1/webhooks/x", params={"crc_token": "crc-challenge"})
            assert crc.json()["response_token"] == _sign(secrets["webhook_secret"], b"crc-challenge")
            body = orjson.dumps({"for_user_id": brand.account_user_id, "tweet_create_events": [{
                "id_str": "1890000000000000777", "text": f"@{brand.handle} webhook mention",
                "created_at": "Wed Jan 15 10:30:00 +0000 2025", "lang": "en",
                "user": {"id_str": "3001", "screen_name": "lea_m42", "followers_count": 87},
                "entities": {"user_mentions": [{"screen_name": brand.handle, "id_str": brand.account_user_id}]}}]})
            signed = await client.post(f"{ingest}/v1/webhooks/x", content=body,
                                       headers={"x-twitter-webhooks-signature": _sign(secrets["webhook_secret"], body)})
            assert signed.status_code == 200, signed.text
            forged = await client.post(f"{ingest}/v1/webhooks/x", content=body,
                                       headers={"x-twitter-webhooks-signature": _sign("wrong", body)})
            assert forged.status_code == 401
            wrong_key = await client.post(f"{ingest}/v1/mentions", json=[], headers={"X-API-Key": "not-the-key"})
            assert wrong_key.status_code == 401
        # A page through the PagerDuty channel (uses the routing key).
        page = Escalation(dedup_key="secret-scan-incident", brand_id=brand.brand_id, kind="incident",
                          severity="critical", summary="secret scan page", policy="crisis",
                          steps=[EscalationStep(target="on-call", after_minutes=0,
                                                channels=["pagerduty-fr", "slack-leads"])],
                          incident_id="secret-scan-incident")
        envelope = make_envelope("escalations", page, brand_id=brand.brand_id, correlation_id=page.dedup_key)
        await h.producer.send_and_wait(h.kafka.physical("escalations"), encode(envelope),
                                       key=key_for("escalations", envelope))

    # Mentions through the API key, replies posted with the accounts' user tokens.
    result = await harness.run_scenario("secret scan traffic", use_every_secret, mentions=200, replies=10)
    assert result.recovery_s is not None and result.replies_lost == 0, result.row()

    # Each secret was really used, so its absence from the logs means something.
    assert harness.x_state is not None
    polls = harness.x_state.calls("users_mentions")
    assert any(c.auth_kind == "bearer" for c in polls), "ingest polled X with the app bearer token"
    assert len(harness.x_state.replies) >= 10, "publish posted with the accounts' user tokens"
    pages = [body for channel, body in harness.receiver.received if channel == "pagerduty-fr"]
    deadline = datetime.now(UTC).timestamp() + 60
    while not any(p.get("dedup_key") == "secret-scan-incident" for p in pages):
        assert datetime.now(UTC).timestamp() < deadline, "the page was sent"
        await _tick()
        pages = [body for channel, body in harness.receiver.received if channel == "pagerduty-fr"]
    assert {p.get("routing_key") for p in pages} == {secrets["pagerduty_key"]}
    assert any(channel == "slack-leads" for channel, _ in harness.receiver.received), "the Slack webhook was called"
    assert secrets["postgres_password"] in harness.dsn

    files = [f for s in harness.services.values() for f in s.log_files()]
    assert len(files) >= 4 and sum(f.stat().st_size for f in files) > 10_000, "the services logged (at DEBUG)"
    assert leaked_secrets(files, secrets) == []


async def _tick() -> None:
    import asyncio

    await asyncio.sleep(0.2)
