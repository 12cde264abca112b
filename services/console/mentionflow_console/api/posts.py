"""Publishing: posts and threads from the brand's own accounts — compose, drafts, submit,
approval (leads), cancel, the weighted length as X counts it, the calendar and the debate of a
published post. Brands outside the caller's answer 404, as if missing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from mentionflow_console import post_calendar, publishing, reads
from mentionflow_console.api.items import CONFLICT, NOT_FOUND, Responses
from mentionflow_console.deps import BrandConfig, CurrentUser, DbPool, Producer, Settings
from mentionflow_console.post_schemas import (
    CalendarEntry,
    CalendarOut,
    DebateOut,
    LengthIn,
    LengthOut,
    PostApproveIn,
    PostEditIn,
    PostIn,
    PostOut,
    PostRejectIn,
    PostStatus,
    debate_out,
    lengths,
    local_text,
    post_out,
)
from mentionflow_console.schemas import Name, Problem

router = APIRouter(prefix="/api/v1", tags=["publishing"])
INVALID: Responses = {422: {"description": "names the field: account_handle (not an account the brand posts "
                                           "from), scheduled_for (passed), parts.N (over 280 as X counts)"}}
DECIDERS: Responses = {403: {"model": Problem, "description": "needs the lead role, and never one's own post"}}
AUTHOR: Responses = {403: {"model": Problem, "description": "its author or a lead only"}}


def _zone(config: BrandConfig, brand_id: str) -> str:
    brand = config.brands.get(brand_id) if config is not None else None
    return brand.time_zone if brand is not None else "UTC"


class PublishingOut(BaseModel):
    brand_id: str
    name: str
    time_zone: str
    accounts: list[str]
    posts_need_approval: bool
    my_posts_need_approval: bool


@router.get("/publishing", summary="The brands I may publish for: their accounts, time zone, approval rule")
async def publishing_brands(user: CurrentUser, config: BrandConfig) -> list[PublishingOut]:
    return [PublishingOut(brand_id=b.brand_id, name=b.name, time_zone=b.time_zone, accounts=list(b.accounts),
                          posts_need_approval=b.needs_approval,
                          my_posts_need_approval=publishing.needs_approval(b, user))
            for b in publishing.publishing_brands(config, user)]


@router.get("/publishing/{brand}/calendar", summary="A brand's posts by day, in its time zone (month or week)",
            responses=NOT_FOUND)
async def calendar(brand: Name, user: CurrentUser, pool: DbPool, config: BrandConfig,
                   view: Annotated[post_calendar.View, Query()] = "month",
                   day: Annotated[date | None, Query(alias="date", description="a day of the period (brand's "
                                                                               "local date); today by default")]
                   = None) -> CalendarOut:
    settings = publishing.brand_publishing(config, user, brand)
    anchor = day or post_calendar.today(settings.time_zone, reads.now())
    if not 1971 <= anchor.year <= 2199:
        anchor = post_calendar.today(settings.time_zone, reads.now())
    grid = post_calendar.grid(view, anchor, settings.time_zone)
    entries = await publishing.calendar(pool, user=user, brand=settings, start=grid.start_utc, end=grid.end_utc)
    return CalendarOut(brand_id=brand, time_zone=settings.time_zone, view=view, start=grid.first.isoformat(),
                       end=grid.end.isoformat(),
                       entries=[CalendarEntry(**e, local=local_text(e["at"], settings.time_zone) or "")
                                for e in entries])


@router.post("/posts/length", summary="Each part's length as X counts it (URLs 23, CJK and emoji 2), for the "
             "composer's live count")
async def length(body: LengthIn, user: CurrentUser) -> LengthOut:
    return lengths(body.parts)


@router.get("/posts", summary="Posts of my brands (drafts, awaiting approval, requested...), latest change first",
            responses=NOT_FOUND)
async def list_posts(
    user: CurrentUser, pool: DbPool, config: BrandConfig,
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    status: Annotated[list[PostStatus] | None, Query(description="any of these (all when absent)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[PostOut]:
    rows = await publishing.listing(pool, user=user, brand=brand, statuses=status, limit=limit)
    return [post_out(r, _zone(config, r["brand_id"])) for r in rows]


@router.post("/posts", status_code=201, summary="Compose a post or a thread: kept as a draft, or submitted at once "
             "(to a lead when approval is needed, else to publish)", responses={**NOT_FOUND, **INVALID})
async def create(body: PostIn, user: CurrentUser, pool: DbPool, producer: Producer, settings: Settings,
                 config: BrandConfig) -> PostOut:
    row = await publishing.create(pool, config=config, user=user, brand_id=body.brand_id,
                                  account_handle=body.account_handle, parts=body.parts,
                                  scheduled_for=body.scheduled_for, now=reads.now())
    if body.submit:
        await publishing.submit(pool, producer, settings.kafka, config=config, user=user, post_id=row["post_id"],
                                now=reads.now())
    return post_out(await publishing.get(pool, user=user, post_id=row["post_id"]), _zone(config, row["brand_id"]))


@router.get("/posts/{post_id}", summary="One post, with publish's state once it has it", responses=NOT_FOUND)
async def get_post(post_id: uuid.UUID, user: CurrentUser, pool: DbPool, config: BrandConfig) -> PostOut:
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    return post_out(row, _zone(config, row["brand_id"]))


@router.put("/posts/{post_id}", summary="Edit a draft (a rejected post becomes a draft again)",
            responses={**NOT_FOUND, **CONFLICT, **INVALID, **AUTHOR})
async def edit(post_id: uuid.UUID, body: PostEditIn, user: CurrentUser, pool: DbPool,
               config: BrandConfig) -> PostOut:
    await publishing.update(pool, config=config, user=user, post_id=str(post_id), account_handle=body.account_handle,
                            parts=body.parts, scheduled_for=body.scheduled_for, now=reads.now())
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    return post_out(row, _zone(config, row["brand_id"]))


@router.delete("/posts/{post_id}", status_code=204, summary="Delete a post not requested yet",
               responses={**NOT_FOUND, **CONFLICT, **AUTHOR})
async def delete(post_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> Response:
    await publishing.delete(pool, user=user, post_id=str(post_id))
    return Response(status_code=204)


@router.post("/posts/{post_id}/submit", summary="Submit a draft: to a lead when approval is needed, else "
             "posts.requested to publish", responses={**NOT_FOUND, **CONFLICT, **INVALID, **AUTHOR})
async def submit(post_id: uuid.UUID, user: CurrentUser, pool: DbPool, producer: Producer, settings: Settings,
                 config: BrandConfig) -> PostOut:
    await publishing.submit(pool, producer, settings.kafka, config=config, user=user, post_id=str(post_id),
                            now=reads.now())
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    return post_out(row, _zone(config, row["brand_id"]))


@router.post("/posts/{post_id}/approve", summary="Approve a post (optionally edited, or at a new time): it is "
             "requested of publish once", responses={**NOT_FOUND, **CONFLICT, **INVALID, **DECIDERS})
async def approve(post_id: uuid.UUID, user: CurrentUser, pool: DbPool, producer: Producer, settings: Settings,
                  config: BrandConfig, body: PostApproveIn | None = None) -> PostOut:
    body = body or PostApproveIn()
    await publishing.approve(pool, producer, settings.kafka, config=config, user=user, post_id=str(post_id),
                             parts=body.parts, scheduled_for=body.scheduled_for, now=reads.now())
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    return post_out(row, _zone(config, row["brand_id"]))


@router.post("/posts/{post_id}/reject", summary="Reject a post with a reason: nothing is posted; its author may "
             "edit it", responses={**NOT_FOUND, **CONFLICT, **DECIDERS})
async def reject(post_id: uuid.UUID, body: PostRejectIn, user: CurrentUser, pool: DbPool,
                 config: BrandConfig) -> PostOut:
    await publishing.reject(pool, user=user, post_id=str(post_id), comment=body.comment)
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    return post_out(row, _zone(config, row["brand_id"]))


@router.post("/posts/{post_id}/cancel", summary="Cancel a requested post (posts.requested, action cancel)",
             responses={**NOT_FOUND, **CONFLICT, **AUTHOR})
async def cancel(post_id: uuid.UUID, user: CurrentUser, pool: DbPool, producer: Producer, settings: Settings,
                 config: BrandConfig) -> PostOut:
    await publishing.cancel(pool, producer, settings.kafka, user=user, post_id=str(post_id))
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    return post_out(row, _zone(config, row["brand_id"]))


@router.get("/posts/{post_id}/debate", summary="What came back about a published post: replies and quotes, "
            "their classification mix, and its engagement", responses=NOT_FOUND)
async def debate(post_id: uuid.UUID, user: CurrentUser, pool: DbPool, config: BrandConfig) -> DebateOut:
    row = await publishing.get(pool, user=user, post_id=str(post_id))
    post = post_out(row, _zone(config, row["brand_id"]))
    pub = post.publication
    items = await publishing.debate(pool, brand_id=post.brand_id, conversation_id=pub.conversation_id if pub else None,
                                    tweet_ids=pub.tweet_ids if pub else [])
    return debate_out(post, items)
