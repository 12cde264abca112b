"""Read models shared by the API and the pages: one function per screen, scoped to the user."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
from mentionflow.accounts import User

from mentionflow_console import approvals, repository, schemas
from mentionflow_console.errors import NotFound


def now() -> datetime:
    return datetime.now(UTC)


def check_brand_visible(user: User, brand: str | None) -> None:
    """Filtering by a brand outside one's scope is the same 404 as an unknown brand."""
    if brand is not None and not user.can_see(brand):
        raise NotFound(f"no brand {brand}")


async def queue(pool: asyncpg.Pool, *, user: User, filters: repository.QueueFilters,
                limit: int) -> list[schemas.ItemSummary]:
    check_brand_visible(user, filters.brand)
    rows = await repository.list_items(pool, scope=user.brand_scope, filters=filters, limit=limit)
    moment = now()
    return [schemas.item_summary(r, moment) for r in rows]


async def item(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID) -> schemas.ItemDetail:
    scope = user.brand_scope
    row = await repository.get_item(pool, scope=scope, item_id=item_id)
    if row is None:
        raise NotFound(f"no queue item {item_id}")
    detail = schemas.item_detail(
        row, now(),
        conversation=await repository.conversation(pool, scope=scope, item=row),
        replies=await repository.replies(pool, item_id=item_id),
        history=await repository.item_history(pool, item_id=item_id))
    detail.drafts = [schemas.draft_out(d) for d in await approvals.item_drafts(pool, item_id=item_id)]
    return detail


async def replies(pool: asyncpg.Pool, *, user: User, item_id: uuid.UUID) -> list[schemas.ReplyOut]:
    if await repository.get_item(pool, scope=user.brand_scope, item_id=item_id) is None:
        raise NotFound(f"no queue item {item_id}")
    return [schemas.reply_out(r) for r in await repository.replies(pool, item_id=item_id)]


async def incidents(pool: asyncpg.Pool, *, user: User, brand: str | None = None,
                    include_closed: bool = False) -> list[schemas.IncidentOut]:
    check_brand_visible(user, brand)
    rows = await repository.list_incidents(pool, scope=user.brand_scope, brand=brand, include_closed=include_closed)
    return await _with_details(pool, user, rows)


async def incident(pool: asyncpg.Pool, *, user: User, incident_id: str) -> schemas.IncidentOut:
    row = await repository.get_incident(pool, scope=user.brand_scope, incident_id=incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    return (await _with_details(pool, user, [row]))[0]


async def _with_details(pool: asyncpg.Pool, user: User, rows: list[asyncpg.Record]) -> list[schemas.IncidentOut]:
    ids = [r["incident_id"] for r in rows]
    volume = await repository.incident_volume(pool, incident_ids=ids)
    linked = await repository.incident_mentions(pool, scope=user.brand_scope, incident_ids=ids)
    moment = now()
    return [schemas.incident_out(r, volume=volume[r["incident_id"]],
                                 mentions=[schemas.item_summary(m, moment) for m in linked[r["incident_id"]]])
            for r in rows]


async def audit(pool: asyncpg.Pool, *, user: User, query: repository.AuditQuery) -> list[schemas.AuditEntry]:
    check_brand_visible(user, query.brand)
    rows = await repository.search_audit(pool, scope=user.brand_scope, query=query)
    return [schemas.audit_entry(r) for r in rows]
