"""The escalation state machine in PostgreSQL (table `escalations`, one row per dedup key).

    triggered ──(timer: next_step_at passed)──> next step paged ...
       │  acknowledge (escalations or incidents.actions event)
       └──> acknowledged ──(resolve)──> resolved        (triggered ──(resolve)──> resolved)

The status is the one marker of state (transitions in mentionflow.queue.domain);
acknowledged_at / resolved_at only record when. publish alone writes this table.

Every transition and the pages it causes are written in one transaction, and every page
has an idempotency key (dedup key + action + step + channel), so a redelivered event, a
repeated timer tick or a restart pages nobody twice. Step i pages `steps[i].after_minutes`
policy minutes after the trigger (minutes are `minute_s` seconds: 60 in production).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson
from mentionflow.events.escalations import Escalation
from mentionflow.events.incident_actions import IncidentAction
from mentionflow.metrics import catalog as m
from mentionflow.queue.domain import escalation_after

from mentionflow_publish.channels import ChannelDirectory
from mentionflow_publish.delivery_store import add_delivery
from mentionflow_publish.messages import PageAction, page_body

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EscalationRow:
    dedup_key: str
    brand_id: str
    kind: str
    severity: str
    summary: str
    policy: str
    steps: list[dict[str, Any]]
    current_step: int
    status: str
    triggered_at: datetime
    mention_id: str | None
    incident_id: str | None

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> EscalationRow:
        steps = r["steps"]
        return cls(r["dedup_key"], r["brand_id"], r["kind"], r["severity"], r["summary"], r["policy"],
                   orjson.loads(steps) if isinstance(steps, str) else steps, r["current_step"], r["status"],
                   r["triggered_at"], r["mention_id"], r["incident_id"])

    def details(self) -> dict[str, Any]:
        return {"kind": self.kind, "policy": self.policy, "mention_id": self.mention_id,
                "incident_id": self.incident_id}


def step_due_at(triggered_at: datetime, steps: list[dict[str, Any]], step: int, minute_s: float) -> datetime | None:
    """When step `step` pages unless acknowledged; None when the policy has no such step."""
    if step >= len(steps):
        return None
    return triggered_at + timedelta(seconds=steps[step]["after_minutes"] * minute_s)


def paged_channels(row: EscalationRow) -> list[str]:
    """Channels paged so far (steps 0..current_step), each once, in order."""
    seen: dict[str, None] = {}
    for step in row.steps[: row.current_step + 1]:
        for channel in step.get("channels", []):
            seen.setdefault(channel, None)
    return list(seen)


async def _page_step(conn: asyncpg.Connection, channels: ChannelDirectory, row: EscalationRow, step: int,
                     source_at: datetime) -> None:
    target = row.steps[step]["target"]
    for channel in row.steps[step].get("channels", []):
        body = page_body(channels.type_of(channel), action="trigger", dedup_key=row.dedup_key,
                         brand_id=row.brand_id, summary=row.summary, severity=row.severity, step=step,
                         target=target, details=row.details())
        await add_delivery(conn, key=f"page:{row.dedup_key}:trigger:{step}:{channel}", kind="page",
                           brand_id=row.brand_id, channel=channel, action="trigger", body=body,
                           source_at=source_at, dedup_key=row.dedup_key, step=step)


async def _page_action(conn: asyncpg.Connection, channels: ChannelDirectory, row: EscalationRow,
                       action: PageAction, source_at: datetime) -> None:
    for channel in paged_channels(row):
        body = page_body(channels.type_of(channel), action=action, dedup_key=row.dedup_key,
                         brand_id=row.brand_id, summary=row.summary, severity=row.severity,
                         step=row.current_step, target=None, details=row.details())
        await add_delivery(conn, key=f"page:{row.dedup_key}:{action}:{channel}", kind="page",
                           brand_id=row.brand_id, channel=channel, action=action, body=body,
                           source_at=source_at, dedup_key=row.dedup_key, step=row.current_step)


_INSERT_TRIGGER = """
INSERT INTO escalations (dedup_key, brand_id, kind, severity, summary, team, policy, steps,
                         current_step, status, triggered_at, next_step_at, mention_id, incident_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 0, 'triggered', $9, $10, $11, $12)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING *
"""


async def apply_escalation(conn: asyncpg.Connection, channels: ChannelDirectory, event: Escalation,
                           *, occurred_at: datetime, now: datetime, minute_s: float) -> str:
    """Apply one Escalation event; returns what changed (for metrics and logs). Idempotent:
    a second trigger for the same dedup key is 'deduplicated'."""
    if event.action == "trigger":
        steps = [step.model_dump(mode="json") for step in event.steps]
        record = await conn.fetchrow(
            _INSERT_TRIGGER, event.dedup_key, event.brand_id, event.kind, event.severity, event.summary,
            event.team, event.policy, orjson.dumps(steps).decode(), now, step_due_at(now, steps, 1, minute_s),
            event.mention_id, event.incident_id,
        )
        if record is None:
            return "deduplicated"
        await _page_step(conn, channels, EscalationRow.from_record(record), 0, occurred_at)
        return "triggered"
    return await finish(conn, channels, event.dedup_key, event.action, source_at=occurred_at, by=None)


async def finish(conn: asyncpg.Connection, channels: ChannelDirectory, dedup_key: str, action: PageAction, *,
                 source_at: datetime, by: str | None) -> str:
    """Move one escalation on by `action` (acknowledge, resolve) as the domain's transitions allow,
    stop its timer and page `action` once per channel paged so far. Call inside a transaction;
    idempotent (a second acknowledgement, or one after the resolution, changes nothing)."""
    record = await conn.fetchrow("SELECT * FROM escalations WHERE dedup_key = $1 FOR UPDATE", dedup_key)
    if record is None:
        return "unknown"
    after = escalation_after(record["status"], action)
    if after is None:
        return "unchanged"
    # resolving also records an acknowledgement when none came first
    await conn.execute(
        "UPDATE escalations SET status = $2, next_step_at = NULL, "
        "resolved_at = CASE WHEN $5 THEN coalesce(resolved_at, $3) ELSE resolved_at END, "
        "acknowledged_at = coalesce(acknowledged_at, $3), acknowledged_by = coalesce(acknowledged_by, $4), "
        "updated_at = now() WHERE dedup_key = $1", dedup_key, after.value, source_at, by, action == "resolve")
    await _page_action(conn, channels, EscalationRow.from_record(record), action, source_at)
    return after.value


_DUE_STEPS = """
SELECT * FROM escalations
WHERE status = 'triggered' AND next_step_at IS NOT NULL AND next_step_at <= $1
ORDER BY next_step_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


async def tick(pool: asyncpg.Pool, channels: ChannelDirectory, *, now: datetime, minute_s: float,
               limit: int = 100) -> int:
    """One pass of the escalation timer: page the next step of every escalation still triggered
    (nobody acknowledged it) whose time has come. Returns the number of steps paged. Safe to
    run in several replicas at once."""
    changes = 0
    async with pool.acquire() as conn, conn.transaction():
        for record in await conn.fetch(_DUE_STEPS, now, limit):
            row = EscalationRow.from_record(record)
            step = row.current_step + 1
            if step < len(row.steps):
                await _page_step(conn, channels, row, step, now)
                m.PUBLISH_ESCALATIONS.labels("stepped").inc()
                log.info("escalation %s not acknowledged: paging step %d (%s)", row.dedup_key, step,
                         row.steps[step]["target"])
                changes += 1
            await conn.execute(
                "UPDATE escalations SET current_step = $2, next_step_at = $3, updated_at = now() "
                "WHERE dedup_key = $1",
                row.dedup_key, min(step, len(row.steps) - 1),
                step_due_at(row.triggered_at, row.steps, step + 1, minute_s),
            )
    return changes


async def apply_incident_action(conn: asyncpg.Connection, channels: ChannelDirectory, action: IncidentAction, *,
                                occurred_at: datetime) -> list[tuple[str, str]]:
    """Apply a lead's acknowledge / resolve (incidents.actions) to the incident and to each of its
    escalations, in the caller's transaction. Returns (dedup key, change) per escalation.
    Idempotent: the first acknowledgement and the first resolution are kept."""
    if action.action == "acknowledge":
        await conn.execute(_ACKNOWLEDGE_INCIDENT, action.incident_id, action.brand_id, occurred_at,
                           action.requested_by)
    else:
        await conn.execute(_RESOLVE_INCIDENT, action.incident_id, action.brand_id, occurred_at, action.requested_by)
    keys = await conn.fetch(
        "SELECT dedup_key FROM escalations WHERE (dedup_key = $1 OR incident_id = $1) AND brand_id = $2 "
        "ORDER BY dedup_key", action.incident_id, action.brand_id)
    return [(r["dedup_key"], await finish(conn, channels, r["dedup_key"], action.action, source_at=occurred_at,
                                          by=action.requested_by)) for r in keys]


_ACKNOWLEDGE_INCIDENT = """
UPDATE incidents SET acknowledged_at = coalesce(acknowledged_at, $3), acknowledged_by = coalesce(acknowledged_by, $4)
WHERE incident_id = $1 AND brand_id = $2 AND resolved_at IS NULL
"""
_RESOLVE_INCIDENT = """
UPDATE incidents SET resolved_at = coalesce(resolved_at, $3), resolved_by = coalesce(resolved_by, $4),
    status = 'closed', closed_at = coalesce(closed_at, $3),
    acknowledged_at = coalesce(acknowledged_at, $3), acknowledged_by = coalesce(acknowledged_by, $4)
WHERE incident_id = $1 AND brand_id = $2
"""
