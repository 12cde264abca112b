"""Publishing: posts and threads from a brand's own X accounts (post_drafts), composed, kept as
drafts, approved by a lead when the brand or the author needs it, and asked of publish by event
(posts.requested) — the console never posts, and never writes publish's `posts` table.

The brand config decides what may be composed: the brand's accounts with `can_post` (an API
request naming another account is InvalidInput on `account_handle`), its time zone (a schedule
given without an offset is wall-clock time there) and `posts_need_approval`. Approval follows
the reply rule too: someone whose replies need approval has their posts approved as well, and
a post is never decided by its author, nor by someone whose own words need approval.

Each change is one transaction that locks the post's row, checks its state, changes it and
appends the audit entry (`post.draft`, `post.edit`, `post.delete`, `post.submit`, `post.request`,
`post.approve`, `post.reject`, `post.cancel`). A request is recorded in console_requests in the
same transaction (request id = post_id; `<post_id>:cancel` for a cancel) and produced after the
commit; the relay re-sends it should the broker not answer (publish posts once per post_id).

Functions are keyword-only and raise errors.NotFound / Forbidden / Conflict / InvalidInput.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from aiokafka import AIOKafkaProducer
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import transaction
from mentionflow.brandconfig import AgencyConfig
from mentionflow.brandconfig.models import normalize_handle
from mentionflow.brandconfig.types import zone
from mentionflow.events.post_text import MAX_POST_WEIGHT, weighted_length
from mentionflow.events.posts_requested import MAX_THREAD_PARTS, PostRequested
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings

from mentionflow_console import requests
from mentionflow_console.errors import Conflict, Forbidden, InvalidInput, NotFound
from mentionflow_console.repository import Db, in_scope

PostStatus = Literal["draft", "awaiting_approval", "rejected", "requested", "cancelled"]
EDITABLE = ("draft", "rejected")
MAX_COMMENT_CHARS = 1000

COLUMNS = ("d.post_id, d.brand_id, d.account_handle, d.parts, d.scheduled_for, d.status, d.created_by, "
           "d.created_at, d.updated_by, d.updated_at, d.submitted_at, d.decided_by, d.decided_at, d.comment, "
           "d.requested_at, d.cancelled_by, d.cancelled_at")
# publish's row of the post (posts, publish's table: read only), whole, so the console reads the
# columns it knows (status, tweet_ids, conversation_id, error, engagement) and ignores the rest.
LISTED = f"{COLUMNS}, to_jsonb(p) AS published"
LISTED_FROM = "post_drafts d LEFT JOIN posts p ON p.post_id = d.post_id"


# --- what the brand config allows ----------------------------------------------------------------

@dataclass(frozen=True)
class BrandPublishing:
    """What composing for one brand may use."""

    brand_id: str
    name: str
    time_zone: str
    accounts: tuple[str, ...]
    needs_approval: bool


def brand_publishing(config: AgencyConfig | None, user: User, brand_id: str) -> BrandPublishing:
    """The brand's publishing settings; NotFound when the user does not see the brand, or the
    brand config does not know it (the same answer: nothing to publish from)."""
    brand = config.brands.get(brand_id) if config is not None else None
    if brand is None or not user.can_see(brand_id):
        raise NotFound(f"no brand {brand_id}")
    assert config is not None
    return BrandPublishing(brand_id, brand.name, brand.time_zone, config.posting_accounts(brand_id),
                           brand.posts_need_approval)


def publishing_brands(config: AgencyConfig | None, user: User) -> list[BrandPublishing]:
    """The brands the user sees that have an account to post from, by name."""
    if config is None:
        return []
    found = [brand_publishing(config, user, b) for b in config.brands if user.can_see(b)]
    return sorted((b for b in found if b.accounts), key=lambda b: b.name.lower())


def check_account(brand: BrandPublishing, handle: str) -> str:
    """The account as configured; InvalidInput on `account_handle` for any other."""
    for account in brand.accounts:
        if normalize_handle(account) == normalize_handle(handle):
            return account
    offered = ", ".join(f"@{a}" for a in brand.accounts) or "none"
    raise InvalidInput("account_handle", f"@{handle.lstrip('@')} is not an account {brand.brand_id} posts from "
                                         f"(its accounts: {offered})")


def check_parts(parts: Sequence[str]) -> list[str]:
    """The thread as it will be posted (each part stripped, empty trailing parts dropped);
    InvalidInput naming the part (`parts.N`, 0-based) that X would refuse."""
    cleaned = [p.strip() for p in parts]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if not cleaned:
        raise InvalidInput("parts", "write the post: it is empty")
    if len(cleaned) > MAX_THREAD_PARTS:
        raise InvalidInput("parts", f"a thread has at most {MAX_THREAD_PARTS} posts; this one has {len(cleaned)}")
    for index, text in enumerate(cleaned):
        if not text:
            raise InvalidInput(f"parts.{index}", f"part {index + 1} is empty: write it or remove it")
        if "\x00" in text:
            raise InvalidInput(f"parts.{index}", f"part {index + 1} contains a NUL character")
        weight = weighted_length(text)
        if weight > MAX_POST_WEIGHT:
            raise InvalidInput(f"parts.{index}", f"part {index + 1} is {weight} characters as X counts them; "
                                                 f"X allows {MAX_POST_WEIGHT}")
    return cleaned


def to_utc(brand: BrandPublishing, when: datetime) -> datetime:
    """A time without an offset is wall-clock time in the brand's zone."""
    return when if when.tzinfo is not None else when.replace(tzinfo=zone(brand.time_zone))


def check_schedule(brand: BrandPublishing, when: datetime | None, now: datetime) -> datetime | None:
    """The schedule as an aware instant (None: post at once); InvalidInput on `scheduled_for`
    when it has passed."""
    if when is None:
        return None
    instant = to_utc(brand, when)
    if instant <= now:
        local = instant.astimezone(zone(brand.time_zone)).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput("scheduled_for", f"{local} ({brand.time_zone}) has passed: pick a later time, "
                                            "or post now")
    return instant


def needs_approval(brand: BrandPublishing, user: User) -> bool:
    return brand.needs_approval or user.replies_need_approval


# --- reading ------------------------------------------------------------------------------------

async def get(db: Db, *, user: User, post_id: str) -> asyncpg.Record:
    """One post with publish's row (None until publish has it), within the user's brands."""
    row = await db.fetchrow(
        f"SELECT {LISTED} FROM {LISTED_FROM} WHERE d.post_id = $2 AND {in_scope('d.brand_id', 1)}",
        user.brand_scope, post_id)  # sql-ok: constant columns + in_scope placeholders
    if row is None:
        raise NotFound(f"no post {post_id}")
    return row


async def listing(db: Db, *, user: User, brand: str | None = None, statuses: Sequence[str] | None = None,
                  limit: int = 200) -> list[asyncpg.Record]:
    """The user's brands' posts in `statuses` (all when None), latest change first."""
    if brand is not None and not user.can_see(brand):
        raise NotFound(f"no brand {brand}")
    return await db.fetch(
        f"SELECT {LISTED} FROM {LISTED_FROM} WHERE {in_scope('d.brand_id', 1)} "
        "AND ($2::text IS NULL OR d.brand_id = $2) AND ($3::text[] IS NULL OR d.status = ANY($3::text[])) "
        "ORDER BY d.updated_at DESC, d.post_id LIMIT $4",
        user.brand_scope, brand, list(statuses) if statuses is not None else None, limit)  # sql-ok: constants


async def calendar(db: Db, *, user: User, brand: BrandPublishing, start: datetime, end: datetime
                   ) -> list[dict[str, Any]]:
    """The brand's posts due or posted in [start, end): the console's posts and publish's rows
    (a row of publish's without a console post is shown too), soonest first, each as
    {post_id, account_handle, parts, at, status, error, created_by}. publish's status wins once
    it has the post; before, the console's (draft, awaiting_approval, requested...)."""
    if not user.can_see(brand.brand_id):
        raise NotFound(f"no brand {brand.brand_id}")
    rows = await db.fetch(
        "SELECT coalesce(d.post_id, p.post_id) AS post_id, coalesce(p.account_handle, d.account_handle) AS account, "
        "CASE WHEN cardinality(p.parts) > 0 THEN p.parts ELSE d.parts END AS parts, "
        "d.status AS console_status, p.status AS publish_status, p.error, "
        "d.created_by, coalesce(p.scheduled_for, d.scheduled_for, d.requested_at, d.created_at) AS at "
        "FROM post_drafts d FULL JOIN posts p ON p.post_id = d.post_id "
        "WHERE coalesce(p.brand_id, d.brand_id) = $1 "
        "AND coalesce(p.scheduled_for, d.scheduled_for, d.requested_at, d.created_at) >= $2 "
        "AND coalesce(p.scheduled_for, d.scheduled_for, d.requested_at, d.created_at) < $3 "
        "AND coalesce(d.status, '') <> 'rejected' ORDER BY at, post_id",
        brand.brand_id, start, end)
    return [{"post_id": r["post_id"], "account_handle": r["account"], "parts": list(r["parts"] or []),
             "at": r["at"], "status": r["publish_status"] or r["console_status"], "error": r["error"],
             "created_by": r["created_by"]} for r in rows]


DEBATE_COLUMNS = ("q.id, q.brand_id, q.external_id, q.author_handle, q.author_followers, q.text, q.url, q.category, "
                  "q.sentiment, q.conversation_id, q.quoted_id, q.mention_created_at, w.assignee, "
                  "coalesce(w.status, CASE WHEN q.status = 'escalated' THEN 'escalated' ELSE 'new' END) AS status")


async def debate(db: Db, *, brand_id: str, conversation_id: str | None, tweet_ids: Sequence[str]
                 ) -> list[asyncpg.Record]:
    """What came back through the pipeline about a published post: replies in its conversation
    and quotes of any of its tweets (the thread's own tweets left out), oldest first. The caller
    checked the post is in the user's brands."""
    return await db.fetch(
        f"SELECT {DEBATE_COLUMNS} FROM queue_items q LEFT JOIN queue_work w ON w.item_id = q.id "
        "WHERE q.brand_id = $1 AND (($2::text IS NOT NULL AND q.conversation_id = $2) "
        "OR q.quoted_id = ANY($3::text[])) AND NOT (q.external_id = ANY($3::text[])) "
        "ORDER BY q.mention_created_at, q.id LIMIT 1000",
        brand_id, conversation_id, list(tweet_ids))  # sql-ok: constant columns


# --- changing ------------------------------------------------------------------------------------

def _snapshot(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"status": row["status"], "account_handle": row["account_handle"], "parts": list(row["parts"]),
            "scheduled_for": row["scheduled_for"].isoformat() if row["scheduled_for"] else None}


async def _audit(conn: asyncpg.Connection, user: User, action: str, before: asyncpg.Record | None,
                 after: asyncpg.Record | None, detail: str = "") -> None:
    post = after if after is not None else before
    assert post is not None
    await record_audit(conn, actor=user.username, action=action, brand_id=post["brand_id"], target=post["post_id"],
                       before=_snapshot(before), after=_snapshot(after), detail=detail)
    catalog.CONSOLE_ACTIONS.labels(action=action).inc()


async def _locked(conn: asyncpg.Connection, user: User, post_id: str) -> asyncpg.Record:
    seen = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM post_drafts d WHERE d.post_id = $2 AND {in_scope('d.brand_id', 1)} FOR UPDATE",
        user.brand_scope, post_id)  # sql-ok: constant columns + in_scope placeholders
    if seen is None:
        raise NotFound(f"no post {post_id}")
    return seen


# Columns a change may set (never from input: the names are this module's own).
_SETTABLE = ("account_handle", "parts", "scheduled_for", "status", "submitted_at", "decided_by", "decided_at",
             "comment", "requested_at", "cancelled_by", "cancelled_at")
NOW = object()  # a value meaning "the transaction's now()"


async def _change(conn: asyncpg.Connection, post_id: str, user: User, **values: Any) -> asyncpg.Record:
    """Set `values` on the (locked) post, stamped as updated by `user`; returns it."""
    assert set(values) <= set(_SETTABLE), set(values) - set(_SETTABLE)
    args: list[Any] = [post_id, user.username]
    sets = ["updated_by = $2", "updated_at = now()"]
    for column, value in values.items():
        if value is NOW:
            sets.append(f"{column} = now()")
        else:
            args.append(value)
            sets.append(f"{column} = ${len(args)}")
    row = await conn.fetchrow(
        f"UPDATE post_drafts AS d SET {', '.join(sets)} WHERE d.post_id = $1 RETURNING {COLUMNS}",  # sql-ok: names
        *args)  # from _SETTABLE, values as parameters
    assert row is not None  # the caller holds the row's lock
    return row


def _check_author_or_lead(post: asyncpg.Record, user: User, doing: str) -> None:
    if post["created_by"] != user.username and not user.at_least("lead"):
        raise Forbidden(f"only its author ({post['created_by']}) or a lead may {doing} this post")


async def create(pool: asyncpg.Pool, *, config: AgencyConfig | None, user: User, brand_id: str,
                 account_handle: str, parts: Sequence[str], scheduled_for: datetime | None,
                 now: datetime) -> asyncpg.Record:
    """Keep a new post as a draft (nothing is asked of publish yet)."""
    brand = brand_publishing(config, user, brand_id)
    account = check_account(brand, account_handle)
    cleaned = check_parts(parts)
    when = check_schedule(brand, scheduled_for, now)
    async with transaction(pool) as conn:
        row = await conn.fetchrow(
            "INSERT INTO post_drafts AS d (post_id, brand_id, account_handle, parts, scheduled_for, created_by, "
            f"updated_by) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}",  # sql-ok: constant columns
            str(uuid.uuid4()), brand.brand_id, account, cleaned, when, user.username)
        assert row is not None
        await _audit(conn, user, "post.draft", None, row)
        return row


async def update(pool: asyncpg.Pool, *, config: AgencyConfig | None, user: User, post_id: str,
                 account_handle: str, parts: Sequence[str], scheduled_for: datetime | None,
                 now: datetime) -> asyncpg.Record:
    """Edit a draft (or a rejected post, which becomes a draft again): its author or a lead."""
    async with transaction(pool) as conn:
        post = await _locked(conn, user, post_id)
        _check_author_or_lead(post, user, "edit")
        if post["status"] not in EDITABLE:
            raise Conflict(f"the post is {post['status'].replace('_', ' ')}: only drafts are edited"
                           + (" (a lead edits it on approval)" if post["status"] == "awaiting_approval" else ""))
        brand = brand_publishing(config, user, post["brand_id"])
        account = check_account(brand, account_handle)
        cleaned = check_parts(parts)
        when = check_schedule(brand, scheduled_for, now)
        row = await _change(conn, post_id, user, account_handle=account, parts=cleaned, scheduled_for=when,
                            status="draft")
        await _audit(conn, user, "post.edit", post, row)
        return row


async def delete(pool: asyncpg.Pool, *, user: User, post_id: str) -> None:
    """Delete a post not yet requested (a draft, a rejected one, or one withdrawn from approval)."""
    async with transaction(pool) as conn:
        post = await _locked(conn, user, post_id)
        _check_author_or_lead(post, user, "delete")
        if post["status"] in ("requested", "cancelled"):
            raise Conflict("the post was requested of X: cancel it instead")
        await conn.execute("DELETE FROM post_drafts WHERE post_id = $1", post_id)
        await _audit(conn, user, "post.delete", post, None, detail="\n".join(post["parts"]))


def _request(post: asyncpg.Record, *, parts: Sequence[str], scheduled_for: datetime | None,
             approved_by: str | None) -> PostRequested:
    return PostRequested(post_id=post["post_id"], brand_id=post["brand_id"], action="schedule",
                         account_handle=post["account_handle"], parts=list(parts), scheduled_for=scheduled_for,
                         requested_by=post["created_by"], approved_by=approved_by)


async def _record_request(conn: asyncpg.Connection, request: PostRequested, request_id: str) -> None:
    recorded = await requests.record(conn, request_id=request_id, topic="posts.requested",
                                     action="post" if request.action == "schedule" else "cancel", payload=request)
    if recorded is None:  # the post's row lock makes this unreachable unless the row was tampered with
        raise Conflict(f"post {request.post_id} was already requested")


async def _produce(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, request_id: str,
                   request: PostRequested) -> None:
    await requests.produce(pool, producer, kafka, "posts.requested", request_id, request)


async def submit(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *,
                 config: AgencyConfig | None, user: User, post_id: str, now: datetime) -> asyncpg.Record:
    """Send a draft on: to the leads when the brand or the author needs approval, else to publish
    (posts.requested). Submitting a post already submitted returns it (idempotent)."""
    request: PostRequested | None = None
    async with transaction(pool) as conn:
        post = await _locked(conn, user, post_id)
        _check_author_or_lead(post, user, "submit")
        if post["status"] not in EDITABLE:
            return post
        if post["status"] == "rejected":
            raise Conflict(f"the post was rejected by {post['decided_by']}: edit it, then submit it again")
        brand = brand_publishing(config, user, post["brand_id"])
        check_account(brand, post["account_handle"])  # the config may have changed since the draft
        when = check_schedule(brand, post["scheduled_for"], now)
        if needs_approval(brand, user):
            row = await _change(conn, post_id, user, status="awaiting_approval", submitted_at=NOW)
            await _audit(conn, user, "post.submit", post, row, detail="awaits a lead's approval")
            return row
        request = _request(post, parts=post["parts"], scheduled_for=when, approved_by=None)
        await _record_request(conn, request, post_id)
        row = await _change(conn, post_id, user, status="requested", submitted_at=NOW, requested_at=NOW)
        await _audit(conn, user, "post.request", post, row)
    await _produce(pool, producer, kafka, post_id, request)
    return row


def _check_approver(post: asyncpg.Record, user: User) -> None:
    if not user.at_least("lead"):
        raise Forbidden("approving and rejecting posts needs the lead role")
    if post["created_by"] == user.username:
        raise Forbidden("a post is decided by another lead, never by its author")
    if user.replies_need_approval:
        raise Forbidden("your own words need approval: you cannot decide on others'")


async def approve(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *,
                  config: AgencyConfig | None, user: User, post_id: str, parts: Sequence[str] | None = None,
                  scheduled_for: datetime | None = None, keep_schedule: bool = True,
                  now: datetime) -> asyncpg.Record:
    """Approve a post awaiting approval, as written or with `parts` instead, at its time or at
    `scheduled_for` (keep_schedule False with None: at once): it is requested of publish with
    the lead as approver. Approving an approved post returns it and sends nothing (idempotent)."""
    async with transaction(pool) as conn:
        post = await _locked(conn, user, post_id)
        _check_approver(post, user)
        if post["status"] in ("requested", "cancelled") and post["decided_by"] is not None:
            return post
        if post["status"] != "awaiting_approval":
            raise Conflict(f"the post is {post['status'].replace('_', ' ')}, not awaiting approval")
        brand = brand_publishing(config, user, post["brand_id"])
        check_account(brand, post["account_handle"])
        final = check_parts(parts) if parts is not None else list(post["parts"])
        wanted = scheduled_for if scheduled_for is not None or not keep_schedule else post["scheduled_for"]
        when = check_schedule(brand, wanted, now)
        request = _request(post, parts=final, scheduled_for=when, approved_by=user.username)
        await _record_request(conn, request, post_id)
        row = await _change(conn, post_id, user, status="requested", parts=final, scheduled_for=when,
                            decided_by=user.username, decided_at=NOW, requested_at=NOW)
        edited = final != list(post["parts"]) or when != post["scheduled_for"]
        await _audit(conn, user, "post.approve", post, row, detail="edited on approval" if edited else "")
    await _produce(pool, producer, kafka, post_id, request)
    return row


async def reject(pool: asyncpg.Pool, *, user: User, post_id: str, comment: str) -> asyncpg.Record:
    """Reject a post awaiting approval, saying why: nothing is sent; its author may edit it and
    submit again. Rejecting a rejected post returns it (idempotent)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput("comment", "say why the post is rejected")
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput("comment", f"at most {MAX_COMMENT_CHARS} characters")
    async with transaction(pool) as conn:
        post = await _locked(conn, user, post_id)
        _check_approver(post, user)
        if post["status"] == "rejected":
            return post
        if post["status"] != "awaiting_approval":
            raise Conflict(f"the post is {post['status'].replace('_', ' ')}, not awaiting approval")
        row = await _change(conn, post_id, user, status="rejected", decided_by=user.username, decided_at=NOW,
                            comment=comment)
        await _audit(conn, user, "post.reject", post, row, detail=comment)
        return row


FINAL_PUBLISH_STATUSES = ("published", "failed", "cancelled")


async def cancel(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, *, user: User,
                 post_id: str) -> asyncpg.Record:
    """Withdraw a requested post (posts.requested, action cancel): its author or a lead. publish
    answers with the post's real outcome should the cancel come too late. Cancelling twice
    returns the post (idempotent)."""
    async with transaction(pool) as conn:
        post = await _locked(conn, user, post_id)
        _check_author_or_lead(post, user, "cancel")
        if post["status"] == "cancelled":
            return post
        if post["status"] != "requested":
            raise Conflict(f"the post is {post['status'].replace('_', ' ')}: delete it instead, nothing was requested")
        published = await conn.fetchval("SELECT status FROM posts WHERE post_id = $1", post_id)
        if published in FINAL_PUBLISH_STATUSES:
            raise Conflict(f"the post is already {published}")
        request = PostRequested(post_id=post_id, brand_id=post["brand_id"], action="cancel",
                                account_handle=post["account_handle"], requested_by=user.username)
        request_id = f"{post_id}:cancel"
        await _record_request(conn, request, request_id)
        row = await _change(conn, post_id, user, status="cancelled", cancelled_by=user.username, cancelled_at=NOW)
        await _audit(conn, user, "post.cancel", post, row)
    await _produce(pool, producer, kafka, request_id, request)
    return row
