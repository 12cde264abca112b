"""On-call pages from escalations: PagerDuty Events v2 + Slack-style webhook on local receivers.
Deduplicated per incident, acknowledgement stops escalation, the secondary is paged after the
policy's timeout even across a restart (timer state in PostgreSQL)."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mentionflow.settings import KafkaSettings

from tests.helpers import eventually, produce_events
from tests.publish.support import (
    Receiver,
    escalation_event,
    fetch,
    incident_action_event,
    publish_env,
    start_publish,
)

ROUTING_KEY = "rk-test-0123456789"
SECONDARY_AFTER_MINUTES = 10
MINUTE_S = 0.8  # policy minutes shrunk: the secondary is due 8 s after the trigger


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[Receiver, Receiver]]:
    pagerduty, chat = await Receiver().start(), await Receiver(statuses=[500]).start()
    yield pagerduty, chat
    await pagerduty.stop()
    await chat.stop()


def _pd(receiver: Receiver, action: str) -> Counter[tuple[str, object]]:
    return Counter((b["dedup_key"], (b.get("payload") or {}).get("custom_details", {}).get("step"))
                   for b in receiver.accepted() if b["event_action"] == action)


async def test_pages_are_deduplicated_acknowledgement_stops_escalation_and_the_secondary_is_paged(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, receivers: tuple[Receiver, Receiver], tmp_path: Path,
) -> None:
    pagerduty, chat = receivers
    env = publish_env(
        kafka_settings, fresh_database_dsn, group=f"g-{uuid.uuid4().hex[:8]}",
        channels={"pd": {"type": "pagerduty", "routing_key": ROUTING_KEY, "url": pagerduty.url},
                  "chat": {"type": "slack", "url": chat.url}},
        MENTIONFLOW_ESCALATION_MINUTE_S=str(MINUTE_S),
        # A delivery claimed by the process killed below is retried once its lease expires.
        MENTIONFLOW_DELIVERY_LEASE_S="3")
    steps = [("primary-person", 0, ["pd", "chat"]), ("secondary-person", SECONDARY_AFTER_MINUTES, ["pd"])]
    service = start_publish(env, tmp_path)
    try:
        # inc-a is triggered three times (redelivery, several mentions of one spike)
        await produce_events(kafka_settings, "escalations",
                             [escalation_event(key, steps=steps) for key in ("inc-a", "inc-b", "inc-c", "inc-a")]
                             + [escalation_event("inc-a", steps=steps)])
        await eventually(lambda: _has(pagerduty, "trigger", 3), timeout_s=30, what="first pages")
        # inc-b acknowledged by a lead in the console (incidents.actions), inc-c by an acknowledge event
        await produce_events(kafka_settings, "incidents.actions", [incident_action_event("inc-b", "acknowledge")])
        await produce_events(kafka_settings, "escalations", [escalation_event("inc-c", action="acknowledge")])
        await eventually(lambda: _has(pagerduty, "acknowledge", 2), timeout_s=30, what="acknowledgements")
        # The kill below tests the escalation timer across a restart, not a kill between
        # PagerDuty's answer and its record (that re-sends an acknowledge: at-least-once).
        await eventually(lambda: _all_sent(fresh_database_dsn), timeout_s=30,
                         what="the acknowledgements recorded as sent")
    finally:
        service.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(service.wait, 15) == -signal.SIGKILL

    restarted = start_publish(env, tmp_path)
    try:
        await eventually(lambda: _has(pagerduty, "trigger", 4), timeout_s=30,
                         what="the secondary paged after the timeout, across the restart")
        await produce_events(kafka_settings, "escalations", [escalation_event("inc-a", action="resolve")])
        await eventually(lambda: _has(pagerduty, "resolve", 1), timeout_s=30, what="resolve")
        await eventually(lambda: _has(chat, "any", 6), timeout_s=30, what="chat messages")

        await eventually(lambda: _all_sent(fresh_database_dsn), timeout_s=60, what="every delivery recorded as sent")
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(restarted.wait, 20) == 0

    assert _pd(pagerduty, "trigger") == Counter({("inc-a", 0): 1, ("inc-b", 0): 1, ("inc-c", 0): 1,
                                                  ("inc-a", 1): 1}), "one page per incident and step"
    assert _pd(pagerduty, "acknowledge") == Counter({("inc-b", None): 1, ("inc-c", None): 1})
    assert _pd(pagerduty, "resolve") == Counter({("inc-a", None): 1})
    assert {b["routing_key"] for b in pagerduty.accepted()} == {ROUTING_KEY}
    secondary = next(b for b in pagerduty.accepted()
                     if b["event_action"] == "trigger" and b["payload"]["custom_details"]["step"] == 1)
    assert secondary["payload"]["custom_details"]["target"] == "secondary-person"
    assert secondary["payload"]["source"] == "mentionflow" and secondary["payload"]["severity"] == "critical"

    rows = {r["dedup_key"]: r for r in await fetch(
        fresh_database_dsn, "SELECT dedup_key, status, current_step, next_step_at FROM escalations")}
    assert {k: (r["status"], r["current_step"]) for k, r in rows.items()} == {
        "inc-a": ("resolved", 1), "inc-b": ("acknowledged", 0), "inc-c": ("acknowledged", 0)}
    by = await fetch(fresh_database_dsn, "SELECT acknowledged_by FROM escalations WHERE dedup_key = 'inc-b'")
    assert by[0]["acknowledged_by"] == "lea"
    assert all(r["next_step_at"] is None for r in rows.values())
    # chat: a first answer of 500 was retried; every delivery and attempt is recorded
    assert chat.received[0]["status"] == 500
    deliveries = await fetch(fresh_database_dsn, "SELECT status, attempts FROM publish_deliveries")
    assert {d["status"] for d in deliveries} == {"sent"}
    attempts = await fetch(fresh_database_dsn, "SELECT count(*) AS n FROM publish_delivery_attempts")
    assert attempts[0]["n"] == sum(d["attempts"] for d in deliveries) == len(deliveries) + 1


async def _all_sent(dsn: str) -> bool:
    rows = await fetch(dsn, "SELECT status FROM publish_deliveries")
    return bool(rows) and all(r["status"] == "sent" for r in rows)


async def _has(receiver: Receiver, action: str, count: int) -> bool:
    bodies = receiver.accepted()
    if action != "any":
        bodies = [b for b in bodies if b.get("event_action") == action]
    return len(bodies) >= count
