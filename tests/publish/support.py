"""Test support for publish: event builders, a local HTTP receiver, the service as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from mentionflow.events import make_envelope
from mentionflow.events.envelope import Envelope
from mentionflow.events.escalations import Escalation, EscalationStep
from mentionflow.events.incident_actions import IncidentAction
from mentionflow.events.mentions_classified import Classification
from mentionflow.events.mentions_raw import Author, Mention, mention_id
from mentionflow.events.mentions_routed import MentionRouted, RoutingDecision
from mentionflow.events.posts_metrics import PostMetrics
from mentionflow.events.posts_requested import PostRequested
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.settings import KafkaSettings


def routed_event(n: int, *, brand: str = "acme", priority: str = "P3", category: str = "question",
                 queue: str = "care", decided_at: datetime | None = None) -> Envelope[Any]:
    now = datetime.now(UTC)
    external_id = str(10**15 + n)
    mention = Mention(
        id=mention_id("x", external_id, brand), external_id=external_id, brand_id=brand,
        account_handle=brand, author=Author(id=str(n), handle=f"user{n}", followers=n),
        text=f"@{brand} routed message {n}", lang="en", created_at=now, received_at=now, source="generator")
    classification = Classification(
        category=category, sentiment="negative" if category in ("crisis", "complaint") else "neutral",
        sentiment_score=0.0, is_question=category == "question", severity=0.9 if category == "crisis" else 0.2,
        confidence=0.8, language="en", reasons=["test"], model_version="test-1")
    decision = RoutingDecision(
        queue=queue, team="care-team", priority=priority, sla_due_at=now + timedelta(hours=1), tags=["t1"],
        rule_id="r1", explanation=["matched r1"], decided_at=decided_at or now)
    return make_envelope("mentions.routed", MentionRouted(mention=mention, classification=classification,
                                                          decision=decision),
                         brand_id=brand, correlation_id=mention.id)


def escalation_event(dedup_key: str, *, action: str = "trigger", brand: str = "acme",
                     steps: list[tuple[str, int, list[str]]] | None = None) -> Envelope[Any]:
    steps = steps or [("primary-person", 0, ["pd", "chat"]), ("secondary-person", 5, ["pd"])]
    payload = Escalation(
        dedup_key=dedup_key, brand_id=brand, kind="incident", action=action, severity="critical",
        summary=f"{brand}: negative spike {dedup_key}", policy="crisis-policy",
        steps=[EscalationStep(target=t, after_minutes=after, channels=channels) for t, after, channels in steps],
        incident_id=dedup_key)
    return make_envelope("escalations", payload, brand_id=brand, correlation_id=dedup_key)


def incident_action_event(incident_id: str, action: str, *, brand: str = "acme", by: str = "lea") -> Envelope[Any]:
    """What the console produces when a lead acknowledges or resolves an incident."""
    payload = IncidentAction(action_id=str(uuid.uuid4()), incident_id=incident_id, brand_id=brand, action=action,
                             requested_by=by)
    return make_envelope("incidents.actions", payload, brand_id=brand, correlation_id=incident_id)


def reply_event(reply_id: str, *, account: str = "acme", brand: str = "acme",
                in_reply_to: str = "1500000000000000001", text: str | None = None) -> Envelope[Any]:
    payload = ReplyRequested(reply_id=reply_id, brand_id=brand, account_handle=account,
                             in_reply_to_external_id=in_reply_to, mention_id=f"m-{reply_id}",
                             text=text or f"Thanks for reaching out! ref {reply_id}", requested_by="agent-1")
    return make_envelope("replies.requested", payload, brand_id=brand, correlation_id=payload.mention_id)


def post_event(post_id: str, parts: list[str] | None = None, *, account: str = "Hexafone", brand: str = "hexafone",
               scheduled_for: datetime | None = None, action: str = "schedule") -> Envelope[Any]:
    """A post (or thread) request as the console sends it; `scheduled_for` None posts at once."""
    payload = PostRequested(post_id=post_id, brand_id=brand, action=action, account_handle=account,
                            parts=[] if action == "cancel" else (parts or [f"News from {brand}: {post_id}"]),
                            scheduled_for=scheduled_for, requested_by="cm-1",
                            approved_by="lead-1" if action == "schedule" else None)
    return make_envelope("posts.requested", payload, brand_id=brand, correlation_id=post_id)


def post_metrics_event(post_id: str, *, likes: int, observed_at: datetime, brand: str = "hexafone") -> Envelope[Any]:
    payload = PostMetrics(post_id=post_id, brand_id=brand, tweet_id="1", likes=likes, replies=likes // 2,
                          reposts=likes // 3, quotes=1, impressions=likes * 10, observed_at=observed_at)
    return make_envelope("posts.metrics", payload, brand_id=brand, correlation_id=post_id)


@dataclass
class Receiver:
    """A local HTTP endpoint standing in for PagerDuty or a Slack webhook: it records every
    POST and answers with the queued statuses first, then 202."""

    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = self.statuses.pop(0) if self.statuses else 202
        self.received.append({"status": status, "body": body})
        return web.json_response({"status": "success" if status < 300 else "error"}, status=status)

    def accepted(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.received if r["status"] < 300]

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def consumed_everything(kafka: KafkaSettings, group: str, topic: str) -> bool:
    """The group committed up to the end of every partition (empty partitions included)."""
    from tests.helpers import committed_offsets, end_offsets

    committed = await committed_offsets(kafka, group, topic)
    return all(committed.get(p, 0) >= end for p, end in (await end_offsets(kafka, topic)).items())


def publish_env(kafka: KafkaSettings, dsn: str, *, group: str, x_base_url: str = "http://127.0.0.1:9",
                accounts: dict[str, Any] | None = None, channels: dict[str, Any] | None = None,
                **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "MENTIONFLOW_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": str(kafka.partitions_override),
        "MENTIONFLOW_POSTGRES__DSN": dsn,
        "MENTIONFLOW_HTTP__PORT": "0",
        "MENTIONFLOW_GROUP_ID": group,
        "MENTIONFLOW_RUNNER__MAX_BATCH": "50",
        "MENTIONFLOW_RUNNER__SESSION_TIMEOUT_MS": "6000",
        "MENTIONFLOW_RUNNER__HEARTBEAT_INTERVAL_MS": "500",
        "MENTIONFLOW_RUNNER__FETCH_TIMEOUT_MS": "100",
        "MENTIONFLOW_X_API__BASE_URL": x_base_url,
        "MENTIONFLOW_ACCOUNTS": json.dumps(accounts or {}),
        "MENTIONFLOW_CHANNELS": json.dumps(channels or {}),
        "MENTIONFLOW_REPLY_POLL_S": "0.2",
        "MENTIONFLOW_DELIVERY_POLL_S": "0.2",
        "MENTIONFLOW_TIMER_INTERVAL_S": "0.2",
        "MENTIONFLOW_DELIVERY_BACKOFF_INITIAL_S": "0.2",
        "MENTIONFLOW_REPLY_BACKOFF_INITIAL_S": "0.2",
        "MENTIONFLOW_LOG_LEVEL": "INFO",
        **extra,
    }


def start_publish(env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    log = open(log_dir / f"publish-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - lives with the process
    return subprocess.Popen([sys.executable, "-m", "mentionflow_publish.main"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


async def fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    except asyncpg.UndefinedTableError:
        return None  # the service has not created its tables yet
    finally:
        await conn.close()


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
