"""What people do to queue items and incidents. Each action is one transaction that locks the
row, checks the state, changes it and appends the audit entry, so two people acting at once
are serialised by PostgreSQL: one wins, the other gets a Conflict naming the winner.

Functions are keyword-only and raise errors.NotFound / Forbidden / Conflict / InvalidInput;
the API and the UI translate those to HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import get_user, transaction
from mentionflow.events import make_envelope
from mentionflow.events.replies_requested import MAX_REPLY_CHARS, ReplyRequested
from mentionflow.kafka.producer import send_event
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings

from mentionflow_console import repository
from mentionflow_console.errors import Conflict, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_TAGS = 50
PRODUCE_TIMEOUT_S = 10.0
CLAIMABLE = ("new", "escalated")


def _snapshot(row: asyncpg.Record) -> dict[str, Any]:
    return {"status": row["status"], "assignee": row["assignee"], "tags": list(row["tags"])}


async def _locked_item(conn: asyncpg.Connection, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    item = await repository.get_item(conn, scope=user.brand_scope, item_id=item_id, for_update=True)
    if item is None:
        raise NotFound(f"no queue item {item_id}")
    return item


async def _update_item(conn: asyncpg.Connection, item_id: uuid.UUID, *, status: str, assignee: str | None,
                       tags: Sequence[str] | None = None) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE queue_items SET status = $2, assignee = $3, tags = coalesce($4::text[], tags), "
        "version = version + 1, updated_at = now() WHERE id = $1 "
        f"RETURNING {repository.DETAIL_COLUMNS}",
        item_id, status, assignee, list(tags) if tags is not None else None)
    assert row is not None  # the row is locked by this transaction
    return row


async def _audit_item(conn: asyncpg.Connection, user: User, action: str, before: asyncpg.Record,
                      after: asyncpg.Record, detail: str = "") -> None:
    await record_audit(conn, actor=user.username, action=action, brand_id=before["brand_id"],
                       item_id=before["id"], target=before["mention_id"], before=_snapshot(before),
                       after=_snapshot(after), detail=detail)
    catalog.CONSOLE_ACTIONS.labels(action=action).inc()


def _claimed_by_other(item: asyncpg.Record, user: User) -> bool:
    return item["assignee"] is not None and item["assignee"] != user.username and item["status"] != "new"


async def claim(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    """Claim exclusively. Claiming an item one already holds is a no-op (idempotent)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == "resolved":
            raise Conflict("item is resolved")
        if item["assignee"] == user.username and item["status"] in ("claimed", "replied"):
            return item
        # The guard repeats the check in SQL: the row lock already serialises claimers, this
        # makes the exclusivity visible in the statement itself.
        row = await conn.fetchrow(
            "UPDATE queue_items SET status = 'claimed', assignee = $2, version = version + 1, updated_at = now() "
            "WHERE id = $1 AND (status = ANY($3::text[]) OR (status = 'claimed' AND assignee = $2)) "
            f"RETURNING {repository.DETAIL_COLUMNS}", item_id, user.username, list(CLAIMABLE))
        if row is None:
            raise Conflict(f"claimed by {item['assignee']}" if item["assignee"] else f"item is {item['status']}")
        await _audit_item(conn, user, "item.claim", item, row)
        return row


async def release(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    """Give a claimed item back to the queue (the holder, or a lead for anyone's item)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] not in ("claimed", "replied"):
            raise Conflict(f"item is {item['status']}, not claimed")
        if item["assignee"] != user.username and not user.at_least("lead"):
            raise Conflict(f"claimed by {item['assignee']}")
        row = await _update_item(conn, item_id, status="new", assignee=None)
        await _audit_item(conn, user, "item.release", item, row)
        return row


async def resolve(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, note: str = "") -> asyncpg.Record:
    """Close an item: unclaimed or held by the user (leads may close anyone's)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == "resolved":
            raise Conflict("item is already resolved")
        if _claimed_by_other(item, user) and not user.at_least("lead"):
            raise Conflict(f"claimed by {item['assignee']}")
        row = await _update_item(conn, item_id, status="resolved", assignee=item["assignee"] or user.username)
        await _audit_item(conn, user, "item.resolve", item, row, detail=note)
        return row


def check_tags(tags: Sequence[str], field: str) -> list[str]:
    cleaned = [t.strip().lower() for t in tags if t.strip()]
    bad = [t for t in cleaned if not TAG_RE.match(t)]
    if bad:
        raise InvalidInput(field, f"invalid tag(s) {', '.join(bad)}: use a-z, 0-9, '-', '_' (max 40)")
    return cleaned


async def tag(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, add: Sequence[str] = (),
              remove: Sequence[str] = ()) -> asyncpg.Record:
    added, removed = check_tags(add, "add"), check_tags(remove, "remove")
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        tags = [t for t in item["tags"] if t not in removed]
        tags += [t for t in dict.fromkeys(added) if t not in tags]
        if len(tags) > MAX_TAGS:
            raise InvalidInput("add", f"an item holds at most {MAX_TAGS} tags")
        if tags == list(item["tags"]):
            return item
        row = await _update_item(conn, item_id, status=item["status"], assignee=item["assignee"], tags=tags)
        await _audit_item(conn, user, "item.tag", item, row)
        return row


async def reassign(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, assignee: str) -> asyncpg.Record:
    """Leads hand an item to someone who may see its brand."""
    if not user.at_least("lead"):
        raise Forbidden("reassigning needs the lead role")
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        target = await get_user(conn, username=assignee)
        if target is None:
            raise InvalidInput("assignee", f"no user {assignee!r}")
        if not target.can_see(item["brand_id"]):
            raise InvalidInput("assignee", f"{assignee} has no access to brand {item['brand_id']}")
        if item["status"] == "resolved":
            raise Conflict("item is resolved")
        status = "replied" if item["status"] == "replied" else "claimed"
        row = await _update_item(conn, item_id, status=status, assignee=assignee)
        await _audit_item(conn, user, "item.reassign", item, row, detail=f"to {assignee}")
        return row


async def request_reply(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                        item_id: uuid.UUID, text: str) -> asyncpg.Record:
    """Record the reply in reply_outbox ('requested') and produce replies.requested.

    The outbox row commits first; the event is produced after. Should the produce fail, the
    row stays 'requested' and the outbox relay re-sends it (publish dedups by reply_id)."""
    text = text.strip()
    if not text:
        raise InvalidInput("text", "reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput("text", f"reply has {len(text)} characters; X allows {MAX_REPLY_CHARS}")
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == "resolved":
            raise Conflict("item is resolved: it takes no more replies")
        if item["assignee"] != user.username or item["status"] not in ("claimed", "replied"):
            who = f"it is claimed by {item['assignee']}" if item["assignee"] else "it is not claimed"
            raise Conflict(f"claim the item before replying: {who}")
        mention = repository.parse_json(item["mention"])
        reply = ReplyRequested(
            reply_id=str(uuid.uuid4()), brand_id=item["brand_id"], account_handle=mention["account_handle"],
            in_reply_to_external_id=item["external_id"], mention_id=item["mention_id"], text=text,
            requested_by=user.username)
        outbox = await conn.fetchrow(
            "INSERT INTO reply_outbox (reply_id, brand_id, mention_id, queue_item_id, account_handle, "
            "in_reply_to_external_id, text, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "RETURNING reply_id, text, requested_by, status, tweet_id, error, requested_at, updated_at",
            reply.reply_id, reply.brand_id, reply.mention_id, item_id, reply.account_handle,
            reply.in_reply_to_external_id, reply.text, reply.requested_by)
        row = await _update_item(conn, item_id, status="replied", assignee=user.username)
        await _audit_item(conn, user, "item.reply", item, row, detail=text)
    await produce_reply(producer, kafka, reply)
    catalog.CONSOLE_REPLIES_REQUESTED.labels(brand=reply.brand_id).inc()
    return outbox


async def produce_reply(producer: AIOKafkaProducer, kafka: KafkaSettings, reply: ReplyRequested) -> bool:
    """Produce one replies.requested event; False (logged) when the broker did not acknowledge."""
    envelope = make_envelope("replies.requested", reply, brand_id=reply.brand_id, correlation_id=reply.mention_id)
    try:
        await asyncio.wait_for(send_event(producer, kafka, "replies.requested", envelope), PRODUCE_TIMEOUT_S)
        return True
    except Exception as exc:  # the outbox relay retries; the person's request is safely recorded
        log.warning("replies.requested for reply %s not acknowledged (%s: %s); the relay will retry",
                    reply.reply_id, type(exc).__name__, exc)
        return False


# --- incidents -----------------------------------------------------------------------------

async def _locked_incident(conn: asyncpg.Connection, user: User, incident_id: str) -> asyncpg.Record:
    if not user.at_least("lead"):
        raise Forbidden("incidents are acknowledged and resolved by leads")
    incident = await repository.get_incident(conn, scope=user.brand_scope, incident_id=incident_id,
                                             for_update=True)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def _incident_state(row: asyncpg.Record) -> dict[str, Any]:
    return {k: row[k] for k in ("status", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by")}


async def acknowledge_incident(pool: asyncpg.Pool, *, user: User, incident_id: str) -> asyncpg.Record:
    """Acknowledge an incident and its escalation (same dedup key): publish stops paging the
    next steps. Acknowledging twice keeps the first acknowledgement (idempotent)."""
    async with transaction(pool) as conn:
        incident = await _locked_incident(conn, user, incident_id)
        if incident["resolved_at"] is not None:
            raise Conflict(f"incident is resolved (by {incident['resolved_by']})")
        if incident["acknowledged_at"] is not None:
            return incident
        await conn.execute(
            "UPDATE incidents SET acknowledged_at = now(), acknowledged_by = $2 WHERE incident_id = $1",
            incident_id, user.username)
        escalations = await conn.execute(
            "UPDATE escalations SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, "
            "updated_at = now() WHERE (dedup_key = $1 OR incident_id = $1) AND brand_id = $3 "
            "AND status = 'triggered'", incident_id, user.username, incident["brand_id"])
        after = await repository.get_incident(conn, scope=None, incident_id=incident_id)
        assert after is not None
        await record_audit(conn, actor=user.username, action="incident.acknowledge", brand_id=incident["brand_id"],
                           incident_id=incident_id, target=incident_id, before=_incident_state(incident),
                           after=_incident_state(after), detail=f"escalations acknowledged: {escalations.split()[-1]}")
        catalog.CONSOLE_ACTIONS.labels(action="incident.acknowledge").inc()
        return after


async def resolve_incident(pool: asyncpg.Pool, *, user: User, incident_id: str) -> asyncpg.Record:
    """Close an incident and resolve its escalation."""
    async with transaction(pool) as conn:
        incident = await _locked_incident(conn, user, incident_id)
        if incident["resolved_at"] is not None:
            raise Conflict(f"incident is already resolved (by {incident['resolved_by']})")
        await conn.execute(
            "UPDATE incidents SET resolved_at = now(), resolved_by = $2, status = 'closed', "
            "closed_at = coalesce(closed_at, now()), acknowledged_at = coalesce(acknowledged_at, now()), "
            "acknowledged_by = coalesce(acknowledged_by, $2) WHERE incident_id = $1", incident_id, user.username)
        await conn.execute(
            "UPDATE escalations SET status = 'resolved', resolved_at = now(), "
            "acknowledged_at = coalesce(acknowledged_at, now()), acknowledged_by = coalesce(acknowledged_by, $2), "
            "updated_at = now() WHERE (dedup_key = $1 OR incident_id = $1) AND brand_id = $3 "
            "AND status <> 'resolved'", incident_id, user.username, incident["brand_id"])
        after = await repository.get_incident(conn, scope=None, incident_id=incident_id)
        assert after is not None
        await record_audit(conn, actor=user.username, action="incident.resolve", brand_id=incident["brand_id"],
                           incident_id=incident_id, target=incident_id, before=_incident_state(incident),
                           after=_incident_state(after))
        catalog.CONSOLE_ACTIONS.labels(action="incident.resolve").inc()
        return after
