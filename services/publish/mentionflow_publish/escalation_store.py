"""The escalation state machine in PostgreSQL (table `escalations`, one row per dedup key).

    trigger ──(timer: next_step_at passed, no acknowledgement)──> next step paged ...
       │                                   acknowledged_at set (console or event)
       └──> acknowledged ──> resolved      resolved_at set / resolve event

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
from mentionflow.metrics import catalog as m

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
    column = "acknowledged_at" if event.action == "acknowledge" else "resolved_at"
    await conn.execute(f"UPDATE escalations SET {column} = coalesce({column}, $2), updated_at = now() "
                       "WHERE dedup_key = $1", event.dedup_key, now)
    return await sync_one(conn, channels, event.dedup_key, source_at=occurred_at)


_LOCK_FOR_SYNC = """
SELECT e.*, s.acknowledge_sent, s.resolve_sent
FROM escalations e LEFT JOIN publish_escalation_sync s USING (dedup_key)
WHERE e.dedup_key = $1
FOR UPDATE OF e
"""


async def sync_one(conn: asyncpg.Connection, channels: ChannelDirectory, dedup_key: str, *,
                   source_at: datetime) -> str:
    """Pass people's acknowledgement / resolution (acknowledged_at, resolved_at, or a status
    set by the console) on to the pager, once each. Call inside a transaction."""
    record = await conn.fetchrow(_LOCK_FOR_SYNC, dedup_key)
    if record is None:
        return "unknown"
    row = EscalationRow.from_record(record)
    changed = "unchanged"
    resolved = record["resolved_at"] is not None or record["status"] == "resolved"
    acknowledged = record["acknowledged_at"] is not None or record["status"] == "acknowledged"
    if acknowledged and not resolved and record["acknowledge_sent"] is None:
        await _finish(conn, channels, row, dedup_key, "acknowledge", source_at)
        changed = "acknowledged"
    if resolved and record["resolve_sent"] is None:
        await _finish(conn, channels, row, dedup_key, "resolve", source_at)
        changed = "resolved"
    return changed


# Per action: stop the escalation with that status, then record that its page was sent.
_FINISH_SQL = {
    "acknowledge": (
        "UPDATE escalations SET status = 'acknowledged', next_step_at = NULL, "
        "acknowledged_at = coalesce(acknowledged_at, now()), updated_at = now() WHERE dedup_key = $1",
        "INSERT INTO publish_escalation_sync (dedup_key, acknowledge_sent) VALUES ($1, now()) "
        "ON CONFLICT (dedup_key) DO UPDATE SET acknowledge_sent = now()",
    ),
    "resolve": (
        "UPDATE escalations SET status = 'resolved', next_step_at = NULL, "
        "resolved_at = coalesce(resolved_at, now()), updated_at = now() WHERE dedup_key = $1",
        "INSERT INTO publish_escalation_sync (dedup_key, resolve_sent) VALUES ($1, now()) "
        "ON CONFLICT (dedup_key) DO UPDATE SET resolve_sent = now()",
    ),
}


async def _finish(conn: asyncpg.Connection, channels: ChannelDirectory, row: EscalationRow, dedup_key: str,
                  action: PageAction, source_at: datetime) -> None:
    """Stop the escalation, page `action` once per channel, and record that it was paged."""
    stop, record_sent = _FINISH_SQL[action]
    await conn.execute(stop, dedup_key)
    await _page_action(conn, channels, row, action, source_at)
    await conn.execute(record_sent, dedup_key)


_NEEDS_SYNC = """
SELECT e.dedup_key
FROM escalations e LEFT JOIN publish_escalation_sync s USING (dedup_key)
WHERE ((e.acknowledged_at IS NOT NULL OR e.status = 'acknowledged') AND s.acknowledge_sent IS NULL
       AND e.resolved_at IS NULL AND e.status <> 'resolved')
   OR ((e.resolved_at IS NOT NULL OR e.status = 'resolved') AND s.resolve_sent IS NULL)
LIMIT $1
"""

_DUE_STEPS = """
SELECT * FROM escalations
WHERE status = 'triggered' AND acknowledged_at IS NULL AND resolved_at IS NULL
  AND next_step_at IS NOT NULL AND next_step_at <= $1
ORDER BY next_step_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


async def tick(pool: asyncpg.Pool, channels: ChannelDirectory, *, now: datetime, minute_s: float,
               limit: int = 100) -> int:
    """One pass of the escalation timer: pass on acknowledgements and resolutions made by
    people, then page the next step of every unacknowledged escalation whose time has come.
    Returns the number of changes. Safe to run in several replicas at once."""
    changes = 0
    async with pool.acquire() as conn:
        for record in await conn.fetch(_NEEDS_SYNC, limit):
            async with conn.transaction():
                change = await sync_one(conn, channels, record["dedup_key"], source_at=now)
            if change != "unchanged":
                m.PUBLISH_ESCALATIONS.labels(change).inc()
                log.info("escalation %s %s", record["dedup_key"], change)
                changes += 1
        async with conn.transaction():
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
