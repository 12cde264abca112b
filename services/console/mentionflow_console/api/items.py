"""Queue items: the work order, one mention's detail, live updates, and the actions on it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from mentionflow_console import actions, approvals, live, reads, repository
from mentionflow_console.deps import CurrentUser, DbPool, Producer, Settings
from mentionflow_console.schemas import (
    Category,
    DraftOut,
    ItemDetail,
    ItemSummary,
    Name,
    Problem,
    ReassignIn,
    ReplyIn,
    ReplyOut,
    ResolveIn,
    StatusFilter,
    TagsIn,
)

Responses = dict[int | str, dict[str, Any]]
router = APIRouter(prefix="/api/v1/items", tags=["queue"])

NOT_FOUND: Responses = {404: {"model": Problem, "description": "no such item in your brands"}}
CONFLICT: Responses = {409: {"model": Problem, "description": "the item's state forbids it; the reason says why"}}


def queue_filters(
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    queue: Annotated[Name | None, Query(description="queue id")] = None,
    category: Annotated[Category | None, Query()] = None,
    language: Annotated[Name | None, Query(description="language code, e.g. fr")] = None,
    status: Annotated[StatusFilter, Query(description="'open' = every unresolved status")] = "open",
) -> repository.QueueFilters:
    return repository.QueueFilters(brand=brand, queue=queue, category=category, language=language, status=status)




@router.get("", summary="My brands' queue, by priority then SLA due", responses=NOT_FOUND)
async def list_items(
    user: CurrentUser, pool: DbPool,
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    queue: Annotated[Name | None, Query(description="queue id")] = None,
    category: Annotated[Category | None, Query()] = None,
    language: Annotated[Name | None, Query(description="language code, e.g. fr")] = None,
    status: Annotated[StatusFilter, Query(description="'open' = every unresolved status")] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ItemSummary]:
    filters = queue_filters(brand, queue, category, language, status)
    return await reads.queue(pool, user=user, filters=filters, limit=limit)


@router.get(
    "/stream", summary="Live updates of my brands' queue (server-sent events)", responses={
        200: {"content": {"text/event-stream": {}},
              "description": "`event: items` with `{items: [{item, visible}]}` per batch of changes, oldest "
                             "first; `id` is the cursor (send it back as `since` or Last-Event-ID); "
                             "`event: reset`: too far behind, list the queue again"}, **NOT_FOUND},
    response_class=StreamingResponse)
async def stream_items(
    request: Request, user: CurrentUser, settings: Settings,
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    queue: Annotated[Name | None, Query(description="queue id")] = None,
    category: Annotated[Category | None, Query()] = None,
    language: Annotated[Name | None, Query(description="language code, e.g. fr")] = None,
    status: Annotated[StatusFilter, Query(description="'open' = every unresolved status")] = "open",
    since: Annotated[str | None, Query(max_length=64, description="cursor: an ISO timestamp")] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    filters = queue_filters(brand, queue, category, language, status)
    reads.check_brand_visible(user, filters.brand)
    cursor = live.parse_cursor(last_event_id) or live.parse_cursor(since)
    events = live.item_events(
        request.app.state.item_feed, user=user, filters=filters, since=cursor,
        html=bool(request.query_params.get("html")), keepalive_s=settings.console.live_keepalive_s,
        is_disconnected=request.is_disconnected)
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/{item_id}", summary="One mention: text, author, classification, routing, "
            "conversation, replies, history", responses=NOT_FOUND)
async def get_item(item_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> ItemDetail:
    return await reads.item(pool, user=user, item_id=item_id)


@router.get("/{item_id}/replies", summary="Replies to this mention and their state", responses=NOT_FOUND)
async def list_replies(item_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> list[ReplyOut]:
    return await reads.replies(pool, user=user, item_id=item_id)


@router.post("/{item_id}/claim", summary="Claim exclusively (409 'claimed by …' if someone else holds it)",
             responses={**NOT_FOUND, **CONFLICT})
async def claim(item_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> ItemDetail:
    await actions.claim(pool, user=user, item_id=item_id)
    return await reads.item(pool, user=user, item_id=item_id)


@router.post("/{item_id}/release", summary="Give a claimed item back to the queue",
             responses={**NOT_FOUND, **CONFLICT})
async def release(item_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> ItemDetail:
    await actions.release(pool, user=user, item_id=item_id)
    return await reads.item(pool, user=user, item_id=item_id)


@router.post("/{item_id}/reply", status_code=202,
             summary="Reply on X (needs the claim; ≤ 280 characters); the outcome shows in /replies. When "
                     "your replies need approval, a draft (status awaiting_approval) a lead approves",
             responses={**NOT_FOUND, **CONFLICT})
async def reply(item_id: uuid.UUID, body: ReplyIn, user: CurrentUser, pool: DbPool, producer: Producer,
                settings: Settings) -> ReplyOut | DraftOut:
    return await approvals.reply(pool, producer, settings.kafka, user=user, item_id=item_id, text=body.text)


@router.post("/{item_id}/resolve", summary="Close the item", responses={**NOT_FOUND, **CONFLICT})
async def resolve(item_id: uuid.UUID, user: CurrentUser, pool: DbPool, body: ResolveIn | None = None) -> ItemDetail:
    await actions.resolve(pool, user=user, item_id=item_id, note=body.note if body else "")
    return await reads.item(pool, user=user, item_id=item_id)


@router.post("/{item_id}/tags", summary="Add and remove tags", responses=NOT_FOUND)
async def tag(item_id: uuid.UUID, body: TagsIn, user: CurrentUser, pool: DbPool) -> ItemDetail:
    await actions.tag(pool, user=user, item_id=item_id, add=body.add, remove=body.remove)
    return await reads.item(pool, user=user, item_id=item_id)


@router.post("/{item_id}/reassign", summary="Hand the item to someone else (leads)",
             responses={**NOT_FOUND, **CONFLICT, 403: {"model": Problem, "description": "needs the lead role"}})
async def reassign(item_id: uuid.UUID, body: ReassignIn, user: CurrentUser, pool: DbPool) -> ItemDetail:
    await actions.reassign(pool, user=user, item_id=item_id, assignee=body.assignee)
    return await reads.item(pool, user=user, item_id=item_id)
