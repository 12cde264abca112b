"""What people do to queue items and incidents. Each item action is one transaction that locks
the item's work row (console-owned), checks the state, changes it and appends the audit entry,
so two people acting at once are serialised by PostgreSQL: one wins, the other gets a Conflict
naming the winner. What publish owns (replies to post, incidents, escalations) is asked for by
event, recorded in console_requests first so the person sees it pending at once.

Functions are keyword-only and raise errors.NotFound / Forbidden / Conflict / InvalidInput;
the API and the UI translate those to HTTP.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import get_user, transaction
from mentionflow.events.incident_actions import IncidentAction
from mentionflow.events.replies_requested import MAX_REPLY_CHARS, ReplyRequested
from mentionflow.metrics import catalog
from mentionflow.queue.domain import HELD, ItemAction, ItemStatus, item_allows
from mentionflow.settings import KafkaSettings

from mentionflow_console import repository, requests
from mentionflow_console.errors import Conflict, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_TAGS = 50
# Spam is closed like any resolved item (publish's queue depth and SLA count it done) and told
# apart by this tag: no status of its own, so the shared domain and its readers stay as they are.
SPAM_TAG = "spam"


def _snapshot(row: asyncpg.Record) -> dict[str, Any]:
    return {"status": row["status"], "assignee": row["assignee"], "tags": list(row["tags"])}


async def _locked_item(conn: asyncpg.Connection, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    """The item as people see it, with its work row (console-owned) locked until the transaction
    ends: the hard, synchronous lock that serialises claims and every other action on it."""
    item = await repository.get_item(conn, scope=user.brand_scope, item_id=item_id)
    if item is None:
        raise NotFound(f"no queue item {item_id}")
    await conn.execute("INSERT INTO queue_work (item_id, brand_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       item_id, item["brand_id"])
    await conn.execute("SELECT 1 FROM queue_work WHERE item_id = $1 FOR UPDATE", item_id)
    locked = await repository.get_item(conn, scope=None, item_id=item_id)  # as of the lock
    assert locked is not None
    return locked


async def _update_item(conn: asyncpg.Connection, item_id: uuid.UUID, *, status: str | None, assignee: str | None,
                       tags: Sequence[str] | None = None, replied_by: str | None = None) -> asyncpg.Record:
    """Set people's state of the item (status None: back to the pipeline's); returns the item.
    The first reply (`replied_by`) and the resolution are stamped once, for the analytics."""
    await conn.execute(
        "UPDATE queue_work SET status = $2, assignee = $3, tags = coalesce($4::text[], tags), "
        "version = version + 1, updated_at = now(), "
        "first_replied_at = CASE WHEN $5::text IS NULL THEN first_replied_at "
        "ELSE coalesce(first_replied_at, now()) END, "
        "first_replied_by = CASE WHEN first_replied_at IS NULL THEN $5 ELSE first_replied_by END, "
        "resolved_at = CASE WHEN $2 = 'resolved' THEN coalesce(resolved_at, now()) ELSE resolved_at END "
        "WHERE item_id = $1",
        item_id, status, assignee, list(tags) if tags is not None else None, replied_by)
    row = await repository.get_item(conn, scope=None, item_id=item_id)
    assert row is not None  # the work row is locked by this transaction
    return row


async def _audit_item(conn: asyncpg.Connection, user: User, action: str, before: asyncpg.Record,
                      after: asyncpg.Record, detail: str = "") -> None:
    await record_audit(conn, actor=user.username, action=action, brand_id=before["brand_id"],
                       item_id=before["id"], target=before["mention_id"], before=_snapshot(before),
                       after=_snapshot(after), detail=detail)
    catalog.CONSOLE_ACTIONS.labels(action=action).inc()


def _claimed_by_other(item: asyncpg.Record, user: User) -> bool:
    return item["assignee"] is not None and item["assignee"] != user.username and item["status"] != ItemStatus.NEW


def _check_claim_lock(item: asyncpg.Record, user: User) -> None:
    """Someone else's claim stops an action on the item, unless the user is a lead (who may override)."""
    if _claimed_by_other(item, user) and not user.at_least("lead"):
        raise Conflict(f"claimed by {item['assignee']}")


def _holds(item: asyncpg.Record, user: User) -> bool:
    return item["assignee"] == user.username and item["status"] in HELD


async def claim(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    """Claim exclusively. Claiming an item one already holds is a no-op (idempotent)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == ItemStatus.RESOLVED:
            raise Conflict("item is resolved")
        if _holds(item, user):
            return item
        if not item_allows(ItemAction.CLAIM, item["status"]):
            raise Conflict(f"claimed by {item['assignee']}" if item["assignee"] else f"item is {item['status']}")
        row = await _update_item(conn, item_id, status=ItemStatus.CLAIMED, assignee=user.username)
        await _audit_item(conn, user, "item.claim", item, row)
        return row


async def release(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID) -> asyncpg.Record:
    """Give a claimed item back to the queue (the holder, or a lead for anyone's item)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if not item_allows(ItemAction.RELEASE, item["status"]):
            raise Conflict(f"item is {item['status']}, not claimed")
        if item["assignee"] != user.username and not user.at_least("lead"):
            raise Conflict(f"claimed by {item['assignee']}")
        row = await _update_item(conn, item_id, status=None, assignee=None)
        await _audit_item(conn, user, "item.release", item, row)
        return row


async def resolve(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, note: str = "") -> asyncpg.Record:
    """Close an item: unclaimed or held by the user (leads may close anyone's)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == ItemStatus.AWAITING_APPROVAL:
            raise Conflict(f"a reply by {item['assignee']} awaits approval: approve or reject it first")
        if not item_allows(ItemAction.RESOLVE, item["status"]):
            raise Conflict("item is already resolved")
        _check_claim_lock(item, user)
        row = await _update_item(conn, item_id, status=ItemStatus.RESOLVED,
                                 assignee=item["assignee"] or user.username)
        await _audit_item(conn, user, "item.resolve", item, row, detail=note)
        return row


async def mark_spam(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, note: str = "") -> asyncpg.Record:
    """Close an item as spam: resolved and tagged SPAM_TAG in one transaction, under resolve's
    rules (a colleague's claim stops agents). Marking a spam item again is a no-op (idempotent)."""
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == ItemStatus.RESOLVED and SPAM_TAG in item["tags"]:
            return item
        if not item_allows(ItemAction.RESOLVE, item["status"]):
            raise Conflict("item is already resolved")
        _check_claim_lock(item, user)
        tags = [*item["tags"], SPAM_TAG] if SPAM_TAG not in item["tags"] else list(item["tags"])
        row = await _update_item(conn, item_id, status=ItemStatus.RESOLVED,
                                 assignee=item["assignee"] or user.username, tags=tags)
        await _audit_item(conn, user, "item.spam", item, row, detail=note)
        return row


def check_tags(tags: Sequence[str], field: str) -> list[str]:
    cleaned = [t.strip().lower() for t in tags if t.strip()]
    bad = [t for t in cleaned if not TAG_RE.match(t)]
    if bad:
        raise InvalidInput(field, f"invalid tag(s) {', '.join(bad)}: use a-z, 0-9, '-', '_' (max 40)")
    return cleaned


async def tag(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, add: Sequence[str] = (),
              remove: Sequence[str] = (), respect_claim: bool = False) -> asyncpg.Record:
    """Add and remove tags. On one item a person opened, anyone who sees it may tag it; a bulk
    selection (respect_claim) leaves alone what a colleague holds, as resolve does."""
    added, removed = check_tags(add, "add"), check_tags(remove, "remove")
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if respect_claim and item["status"] != ItemStatus.RESOLVED:  # a closed item is nobody's work in progress
            _check_claim_lock(item, user)
        tags = [t for t in item["tags"] if t not in removed]
        tags += [t for t in dict.fromkeys(added) if t not in tags]
        if len(tags) > MAX_TAGS:
            raise InvalidInput("add", f"an item holds at most {MAX_TAGS} tags")
        if tags == list(item["tags"]):
            return item
        row = await _update_item(conn, item_id, status=item["status"], assignee=item["assignee"], tags=tags)
        await _audit_item(conn, user, "item.tag", item, row)
        return row


def check_may_reassign(user: User) -> None:
    if not user.at_least("lead"):
        raise Forbidden("reassigning needs the lead role")


async def reassign(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, assignee: str) -> asyncpg.Record:
    """Leads hand an item to someone who may see its brand."""
    check_may_reassign(user)
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        target = await get_user(conn, username=assignee)
        if target is None:
            raise InvalidInput("assignee", f"no user {assignee!r}")
        if not target.can_see(item["brand_id"]):
            raise InvalidInput("assignee", f"{assignee} has no access to brand {item['brand_id']}")
        if not item_allows(ItemAction.REASSIGN, item["status"]):
            raise Conflict("item is resolved")
        # a reply sent or a draft awaiting approval stays so; anything else is now claimed
        kept = (ItemStatus.REPLIED, ItemStatus.AWAITING_APPROVAL)
        status = item["status"] if item["status"] in kept else ItemStatus.CLAIMED
        row = await _update_item(conn, item_id, status=status, assignee=assignee)
        await _audit_item(conn, user, "item.reassign", item, row, detail=f"to {assignee}")
        return row


def check_reply_text(text: str) -> str:
    """The reply as it will be posted (stripped); InvalidInput naming `text` when X would refuse it."""
    text = text.strip()
    if not text:
        raise InvalidInput("text", "reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput("text", f"reply has {len(text)} characters; X allows {MAX_REPLY_CHARS}")
    return text


async def record_reply(conn: asyncpg.Connection, *, actor: User, item: asyncpg.Record, text: str, author: str,
                       audit_action: str = "item.reply", detail: str | None = None
                       ) -> tuple[ReplyRequested, datetime]:
    """Inside the caller's transaction, with the item locked (locked_item): record the request to
    post `text` on behalf of `author` (console_requests), mark the item replied and held by its
    holder (else `author`), audit it as `audit_action` by `actor` (`detail`: the text, unless
    given). The caller produces the request after its commit (requests.produce); the relay
    re-sends it should that fail."""
    mention = repository.parse_json(item["mention"])
    reply = ReplyRequested(
        reply_id=str(uuid.uuid4()), brand_id=item["brand_id"], account_handle=mention["account_handle"],
        in_reply_to_external_id=item["external_id"], mention_id=item["mention_id"], text=text, requested_by=author)
    requested_at = await requests.record(conn, request_id=reply.reply_id, topic="replies.requested",
                                         action="reply", payload=reply, item_id=item["id"])
    assert requested_at is not None  # a fresh reply id: never a duplicate
    row = await _update_item(conn, item["id"], status=ItemStatus.REPLIED, assignee=item["assignee"] or author,
                             replied_by=author)
    await _audit_item(conn, actor, audit_action, item, row, detail=text if detail is None else detail)
    return reply, requested_at


async def request_reply(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                        item_id: uuid.UUID, text: str) -> dict[str, Any]:
    """Ask publish to post a reply: the request is recorded (console_requests) with the item's
    new state and the audit entry in one transaction, then replies.requested is produced.

    Should the produce fail, the request stays unproduced and the relay re-sends it (publish
    dedups by reply_id). Returns the reply as the console shows it until publish records it.
    Someone whose replies need approval drafts instead (approvals.reply decides which)."""
    if user.replies_need_approval:
        raise Forbidden("your replies need approval: they are drafts a lead approves")
    text = check_reply_text(text)
    async with transaction(pool) as conn:
        item = await _locked_item(conn, user, item_id)
        if item["status"] == ItemStatus.RESOLVED:
            raise Conflict("item is resolved: it takes no more replies")
        if not _holds(item, user):
            who = f"it is claimed by {item['assignee']}" if item["assignee"] else "it is not claimed"
            raise Conflict(f"claim the item before replying: {who}")
        reply, requested_at = await record_reply(conn, actor=user, item=item, text=text, author=user.username)
    await requests.produce(pool, producer, kafka, "replies.requested", reply.reply_id, reply)
    catalog.CONSOLE_REPLIES_REQUESTED.labels(brand=reply.brand_id).inc()
    return {"reply_id": reply.reply_id, "text": reply.text, "requested_by": reply.requested_by,
            "status": "requested", "tweet_id": None, "error": None, "requested_at": requested_at,
            "updated_at": requested_at}


# What the sibling modules that add steps to an item's life (approvals) share with the actions
# above: the same lock, state change, audit and holding rule.
locked_item = _locked_item
update_item = _update_item
audit_item = _audit_item
holds = _holds


# --- incidents -----------------------------------------------------------------------------

async def _incident(conn: asyncpg.Connection, user: User, incident_id: str) -> asyncpg.Record:
    if not user.at_least("lead"):
        raise Forbidden("incidents are acknowledged and resolved by leads")
    incident = await repository.get_incident(conn, scope=user.brand_scope, incident_id=incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def _incident_state(row: asyncpg.Record) -> dict[str, Any]:
    return {k: row[k] for k in ("status", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by")}


async def _incident_action(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                           incident_id: str, action: Literal["acknowledge", "resolve"]) -> asyncpg.Record:
    """Ask publish (which owns incidents and escalations) to apply `action`, by event. The
    request is recorded first, once per incident and action: two leads acting at once are
    serialised by its unique key, the second finds the first's request. The incident reads as
    acknowledged / resolved from then on, with the action listed as pending until applied."""
    async with transaction(pool) as conn:
        incident = await _incident(conn, user, incident_id)
        if incident["resolved_at"] is not None:
            verb = "already resolved" if action == "resolve" else "resolved"
            raise Conflict(f"incident is {verb} (by {incident['resolved_by']})")
        if action == "acknowledge" and incident["acknowledged_at"] is not None:
            return incident
        event = IncidentAction(action_id=str(uuid.uuid4()), incident_id=incident_id, brand_id=incident["brand_id"],
                               action=action, requested_by=user.username)
        recorded = await requests.record(conn, request_id=event.action_id, topic="incidents.actions", action=action,
                                         payload=event, incident_id=incident_id)
        if recorded is None:  # another lead's identical request won the race
            after = await repository.get_incident(conn, scope=None, incident_id=incident_id)
            assert after is not None
            return after
        after = await repository.get_incident(conn, scope=None, incident_id=incident_id)
        assert after is not None
        await record_audit(conn, actor=user.username, action=f"incident.{action}", brand_id=incident["brand_id"],
                           incident_id=incident_id, target=incident_id, before=_incident_state(incident),
                           after=_incident_state(after))
        catalog.CONSOLE_ACTIONS.labels(action=f"incident.{action}").inc()
    await requests.produce(pool, producer, kafka, "incidents.actions", event.action_id, event)
    return after


async def acknowledge_incident(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                               incident_id: str) -> asyncpg.Record:
    """Acknowledge an incident: publish stops paging its escalations' next steps. Acknowledging
    twice keeps the first acknowledgement (idempotent)."""
    return await _incident_action(pool, producer, kafka, user=user, incident_id=incident_id, action="acknowledge")


async def resolve_incident(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                           incident_id: str) -> asyncpg.Record:
    """Close an incident and resolve its escalations."""
    return await _incident_action(pool, producer, kafka, user=user, incident_id=incident_id, action="resolve")
