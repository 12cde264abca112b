"""Reply approval: the replies of someone whose replies need approval (users.replies_need_approval)
become drafts (reply_drafts) that a lead of the brand approves, editing the text if needed, or
rejects with a comment. Nothing is asked of publish for a draft: approval records the
replies.requested request in the same transaction as it marks the draft approved, so exactly the
approved text reaches X, once, and approving twice sends nothing more.

While a draft waits, its item is `awaiting_approval` (held by the drafter; its SLA clock keeps
running, mentionflow.queue.domain); rejection gives it back to them `claimed`, to write again.
Each step locks the item's work row (actions.locked_item) before the draft, so a draft, its
approval and its rejection are serialised with every other action on the item, and each is
audited in its transaction (`reply.draft`, `reply.approve`, `reply.reject`).

Functions are keyword-only and raise errors.NotFound / Forbidden / Conflict / InvalidInput.
"""

from __future__ import annotations

import uuid
from typing import Literal

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.accounts import User
from mentionflow.accounts.store import transaction
from mentionflow.metrics import catalog
from mentionflow.queue import domain
from mentionflow.queue.domain import ItemStatus
from mentionflow.settings import KafkaSettings

from mentionflow_console import actions, requests, schemas
from mentionflow_console.errors import Conflict, Forbidden, InvalidInput, NotFound
from mentionflow_console.repository import Db, in_scope

DraftStatus = Literal["awaiting_approval", "approved", "rejected"]
MAX_COMMENT_CHARS = 1000

DRAFT_COLUMNS = ("d.id, d.item_id, d.brand_id, d.author, d.text, d.status, d.decided_by, d.decided_at, "
                 "d.sent_text, d.comment, d.reply_id, d.created_at")
# A draft with what the approver needs to judge it: the mention, its author, its SLA.
LISTED_COLUMNS = (f"{DRAFT_COLUMNS}, q.text AS mention_text, q.author_handle, q.sla_due_at, q.priority, "
                  f"{domain.ITEM_STATUS} AS item_status")
LISTED_FROM = f"{domain.ITEM_FROM} JOIN reply_drafts d ON d.item_id = q.id"


async def reply(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                item_id: uuid.UUID, text: str) -> schemas.ReplyOut | schemas.DraftOut:
    """The reply box: sent (actions.request_reply), or a draft when the user's replies need approval."""
    if user.replies_need_approval:
        draft = await submit(pool, user=user, item_id=item_id, text=text)
        return schemas.draft_out(await get(pool, user=user, draft_id=draft["id"]))
    return schemas.ReplyOut(**await actions.request_reply(pool, producer, kafka, user=user, item_id=item_id,
                                                          text=text))


async def submit(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID, text: str) -> asyncpg.Record:
    """Keep `text` as a draft of a reply to the item the user holds; the item awaits approval.
    One draft waits per item (Conflict for a second)."""
    text = actions.check_reply_text(text)
    async with transaction(pool) as conn:
        item = await actions.locked_item(conn, user, item_id)
        if item["status"] == ItemStatus.RESOLVED:
            raise Conflict("item is resolved: it takes no more replies")
        if item["status"] == ItemStatus.AWAITING_APPROVAL:
            raise Conflict(f"a reply by {item['assignee']} already awaits approval")
        if not actions.holds(item, user):
            who = f"it is claimed by {item['assignee']}" if item["assignee"] else "it is not claimed"
            raise Conflict(f"claim the item before replying: {who}")
        draft = await conn.fetchrow(
            "INSERT INTO reply_drafts AS d (item_id, brand_id, author, text) VALUES ($1, $2, $3, $4) "
            f"RETURNING {DRAFT_COLUMNS}",  # sql-ok: constant column list
            item_id, item["brand_id"], user.username, text)
        assert draft is not None
        row = await actions.update_item(conn, item_id, status=ItemStatus.AWAITING_APPROVAL, assignee=user.username)
        await actions.audit_item(conn, user, "reply.draft", item, row, detail=text)
        return draft


def _check_approver(user: User) -> None:
    if not user.at_least("lead"):
        raise Forbidden("approving and rejecting replies needs the lead role")


async def _locked_draft(conn: asyncpg.Connection, user: User, draft_id: uuid.UUID
                        ) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The draft and its item, the item's work row locked first and then the draft (the order
    submit takes them in), as of the locks. A draft of a brand outside the user's is NotFound
    (whatever their role: it does not exist for them), then only a lead may decide it."""
    seen = await get(conn, user=user, draft_id=draft_id)
    _check_approver(user)
    item = await actions.locked_item(conn, user, seen["item_id"])
    draft = await conn.fetchrow(f"SELECT {DRAFT_COLUMNS} FROM reply_drafts d WHERE d.id = $1 FOR UPDATE",
                                draft_id)  # sql-ok: constant column list
    assert draft is not None  # drafts are never deleted
    if draft["author"] == user.username:
        raise Forbidden("a draft is decided by another lead, never by its author")
    if user.replies_need_approval:
        raise Forbidden("your own replies need approval: you cannot decide on others'")
    return draft, item


async def _decide(conn: asyncpg.Connection, draft_id: uuid.UUID, status: DraftStatus, user: User, *,
                  sent_text: str | None = None, reply_id: str | None = None, comment: str = "") -> asyncpg.Record:
    decided = await conn.fetchrow(
        "UPDATE reply_drafts AS d SET status = $2, decided_by = $3, decided_at = now(), sent_text = $4, "
        f"reply_id = $5, comment = $6 WHERE d.id = $1 RETURNING {DRAFT_COLUMNS}",  # sql-ok: constant column list
        draft_id, status, user.username, sent_text, reply_id, comment)
    assert decided is not None
    return decided


async def approve(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                  draft_id: uuid.UUID, text: str | None = None) -> asyncpg.Record:
    """Approve a waiting draft, as drafted or with `text` instead: its reply is requested of
    publish (replies.requested, produced after the commit; the relay re-sends it should that
    fail). Approving an approved draft returns it and sends nothing (idempotent)."""
    edited = actions.check_reply_text(text) if text is not None else None
    async with transaction(pool) as conn:
        draft, item = await _locked_draft(conn, user, draft_id)
        if draft["status"] == "approved":
            return draft
        if draft["status"] == "rejected":
            raise Conflict(f"the draft was rejected by {draft['decided_by']}")
        final = edited if edited is not None else draft["text"]
        detail = final if final == draft["text"] else f"{final}\n(edited; drafted: {draft['text']})"
        request, _ = await actions.record_reply(conn, actor=user, item=item, text=final, author=draft["author"],
                                                audit_action="reply.approve", detail=detail)
        decided = await _decide(conn, draft_id, "approved", user, sent_text=final, reply_id=request.reply_id)
    await requests.produce(pool, producer, kafka, "replies.requested", request.reply_id, request)
    catalog.CONSOLE_REPLIES_REQUESTED.labels(brand=request.brand_id).inc()
    return decided


async def reject(pool: asyncpg.Pool, *, user: User, draft_id: uuid.UUID, comment: str) -> asyncpg.Record:
    """Reject a waiting draft, saying why: nothing is sent, and the item goes back to its holder
    (claimed) to write again. Rejecting a rejected draft returns it (idempotent)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput("comment", "say why the draft is rejected")
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput("comment", f"at most {MAX_COMMENT_CHARS} characters")
    async with transaction(pool) as conn:
        draft, item = await _locked_draft(conn, user, draft_id)
        if draft["status"] == "rejected":
            return draft
        if draft["status"] == "approved":
            raise Conflict(f"the draft was approved by {draft['decided_by']} and sent")
        decided = await _decide(conn, draft_id, "rejected", user, comment=comment)
        after = item
        if item["status"] == ItemStatus.AWAITING_APPROVAL:
            after = await actions.update_item(conn, item["id"], status=ItemStatus.CLAIMED, assignee=item["assignee"])
        await actions.audit_item(conn, user, "reply.reject", item, after, detail=comment)
        return decided


async def get(db: Db, *, user: User, draft_id: uuid.UUID) -> asyncpg.Record:
    """One draft with its mention, within the user's brands (else NotFound, as if missing)."""
    row = await db.fetchrow(
        f"SELECT {LISTED_COLUMNS} FROM {LISTED_FROM} WHERE d.id = $2 AND {in_scope('d.brand_id', 1)}",
        user.brand_scope, draft_id)  # sql-ok: constant columns + in_scope placeholders
    if row is None:
        raise NotFound(f"no reply draft {draft_id}")
    return row


async def listing(db: Db, *, user: User, brand: str | None = None, status: DraftStatus = "awaiting_approval",
                  limit: int = 200) -> list[asyncpg.Record]:
    """The approvers' list: drafts of the user's brands in `status`, waiting longest first
    (decided ones: latest first). Leads and admins only."""
    if not user.at_least("lead"):
        raise Forbidden("the approvals list is for leads")
    if brand is not None and not user.can_see(brand):
        raise NotFound(f"no brand {brand}")
    order = "d.created_at, d.id" if status == "awaiting_approval" else "d.decided_at DESC, d.id"
    return await db.fetch(
        f"SELECT {LISTED_COLUMNS} FROM {LISTED_FROM} WHERE {in_scope('d.brand_id', 1)} "
        f"AND ($2::text IS NULL OR d.brand_id = $2) AND d.status = $3 ORDER BY {order} LIMIT $4",
        user.brand_scope, brand, status, limit)  # sql-ok: constant columns, in_scope placeholders, literal order


async def item_drafts(db: Db, *, item_id: uuid.UUID) -> list[asyncpg.Record]:
    """An item's drafts, oldest first (the caller checked the item is in the user's brands)."""
    return await db.fetch(
        f"SELECT {LISTED_COLUMNS} FROM {LISTED_FROM} WHERE d.item_id = $1 ORDER BY d.created_at, d.id",
        item_id)  # sql-ok: constant columns
