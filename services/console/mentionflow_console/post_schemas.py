"""Request and response models of the publishing API (posts, threads, their calendar and debate)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from mentionflow.brandconfig.types import zone
from mentionflow.events.post_text import MAX_POST_WEIGHT, weighted_length
from mentionflow.events.posts_requested import MAX_THREAD_PARTS
from pydantic import AfterValidator, BaseModel, Field

from mentionflow_console.repository import parse_json

# Raw text a person typed: the weighted limit is checked by the console (422 naming the part),
# this bound only keeps absurd bodies out.
PartText = Annotated[str, Field(max_length=5000)]
PostStatus = Literal["draft", "awaiting_approval", "rejected", "requested", "cancelled"]


def _reasonable(value: datetime | None) -> datetime | None:
    # Kept naive when naive (wall-clock time in the brand's zone); bounded like every instant.
    if value is not None and not 1970 <= value.year <= 2200:
        raise ValueError("must be between 1970 and 2200")
    return value


ScheduleTime = Annotated[datetime | None, AfterValidator(_reasonable)]


class PostIn(BaseModel):
    brand_id: str = Field(min_length=1, max_length=200)
    account_handle: str = Field(min_length=1, max_length=64, description="one of the brand's accounts that post")
    parts: list[PartText] = Field(min_length=1, max_length=MAX_THREAD_PARTS,
                                  description=f"the post, then each post of its thread; each at most "
                                              f"{MAX_POST_WEIGHT} characters as X counts them")
    scheduled_for: ScheduleTime = Field(default=None, description="when to post: without an offset, wall-clock "
                                                                  "time in the brand's time zone; null: at once")
    submit: bool = Field(default=False, description="submit at once (to approval or to publish) instead of "
                                                    "keeping a draft")


class PostEditIn(BaseModel):
    account_handle: str = Field(min_length=1, max_length=64)
    parts: list[PartText] = Field(min_length=1, max_length=MAX_THREAD_PARTS)
    scheduled_for: ScheduleTime = None


class PostApproveIn(BaseModel):
    parts: list[PartText] | None = Field(default=None, min_length=1, max_length=MAX_THREAD_PARTS,
                                         description="the thread as edited by the lead (else as written)")
    scheduled_for: ScheduleTime = Field(default=None, description="a new time (else the post's own)")


class PostRejectIn(BaseModel):
    comment: str = Field(min_length=1, max_length=1000)


class LengthIn(BaseModel):
    parts: list[PartText] = Field(min_length=1, max_length=MAX_THREAD_PARTS)


class PartLength(BaseModel):
    weighted_length: int = Field(description="characters as X counts them (URLs 23, CJK and emoji 2)")
    remaining: int = Field(description="negative when over")
    over: bool


class LengthOut(BaseModel):
    max: int = MAX_POST_WEIGHT
    parts: list[PartLength]


def lengths(parts: list[str]) -> LengthOut:
    weights = [weighted_length(p.strip()) for p in parts]
    return LengthOut(parts=[PartLength(weighted_length=w, remaining=MAX_POST_WEIGHT - w, over=w > MAX_POST_WEIGHT)
                            for w in weights])


class Engagement(BaseModel):
    likes: int = 0
    replies: int = 0
    reposts: int = 0
    quotes: int = 0
    impressions: int | None = None
    observed_at: datetime | None = None


class Publication(BaseModel):
    """publish's state of the post (its `posts` row)."""

    status: str = Field(description="scheduled, posting, published, failed or cancelled")
    tweet_ids: list[str] = Field(default_factory=list)
    conversation_id: str | None = None
    error: str | None = Field(default=None, description="X's reason, when failed")
    engagement: Engagement


class PostOut(BaseModel):
    post_id: uuid.UUID
    brand_id: str
    account_handle: str
    parts: list[str]
    weighted_lengths: list[int]
    scheduled_for: datetime | None = Field(description="UTC; null: as soon as requested")
    scheduled_local: str | None = Field(description="the same in the brand's time zone, YYYY-MM-DD HH:MM")
    time_zone: str
    status: PostStatus = Field(description="the console's: draft, awaiting approval, rejected, requested, cancelled")
    state: str = Field(description="what to show: publish's status once it has the post, else the console's")
    created_by: str
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str = Field(description="why it was rejected")
    requested_at: datetime | None
    cancelled_by: str | None
    publication: Publication | None


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def publication(value: Any) -> Publication | None:
    row = parse_json(value)
    if not row:
        return None
    observed = row.get("metrics_observed_at")
    return Publication(
        status=row.get("status") or "scheduled", tweet_ids=list(row.get("tweet_ids") or []),
        conversation_id=row.get("conversation_id"), error=row.get("error"),
        engagement=Engagement(likes=_int(row.get("likes")), replies=_int(row.get("replies")),
                              reposts=_int(row.get("reposts")), quotes=_int(row.get("quotes")),
                              impressions=row.get("impressions"),
                              observed_at=datetime.fromisoformat(observed) if observed else None))


def local_text(when: datetime | None, time_zone: str) -> str | None:
    return when.astimezone(zone(time_zone)).strftime("%Y-%m-%d %H:%M") if when is not None else None


def post_out(row: asyncpg.Record, time_zone: str) -> PostOut:
    published = publication(row["published"]) if "published" in row else None
    return PostOut(
        post_id=row["post_id"], brand_id=row["brand_id"], account_handle=row["account_handle"],
        parts=list(row["parts"]), weighted_lengths=[weighted_length(p) for p in row["parts"]],
        scheduled_for=row["scheduled_for"], scheduled_local=local_text(row["scheduled_for"], time_zone),
        time_zone=time_zone, status=row["status"], state=published.status if published else row["status"],
        created_by=row["created_by"], created_at=row["created_at"], updated_at=row["updated_at"],
        decided_by=row["decided_by"], decided_at=row["decided_at"], comment=row["comment"],
        requested_at=row["requested_at"], cancelled_by=row["cancelled_by"], publication=published)


class CalendarEntry(BaseModel):
    post_id: str
    account_handle: str
    parts: list[str]
    at: datetime = Field(description="when it is due (or was requested), UTC")
    local: str = Field(description="the same in the brand's time zone, YYYY-MM-DD HH:MM")
    status: str
    error: str | None = None
    created_by: str | None = None


class CalendarOut(BaseModel):
    brand_id: str
    time_zone: str
    view: Literal["month", "week"]
    start: str = Field(description="first day shown (brand's local date)")
    end: str = Field(description="day after the last day shown")
    entries: list[CalendarEntry]


class DebateItem(BaseModel):
    item_id: uuid.UUID
    kind: Literal["reply", "quote"]
    author_handle: str
    text: str
    url: str | None
    category: str
    sentiment: str
    status: str
    assignee: str | None
    created_at: datetime


class DebateOut(BaseModel):
    post: PostOut
    total: int
    replies: int
    quotes: int
    categories: dict[str, int] = Field(description="question, complaint, crisis, praise, other")
    sentiments: dict[str, int] = Field(description="positive, neutral, negative")
    items: list[DebateItem]


CATEGORIES = ("question", "complaint", "crisis", "praise", "other")
SENTIMENTS = ("positive", "neutral", "negative")


def debate_out(post: PostOut, rows: list[asyncpg.Record]) -> DebateOut:
    conversation = post.publication.conversation_id if post.publication else None
    items = [DebateItem(item_id=r["id"], kind="reply" if conversation and r["conversation_id"] == conversation
                        else "quote", author_handle=r["author_handle"], text=r["text"], url=r["url"],
                        category=r["category"], sentiment=r["sentiment"], status=r["status"], assignee=r["assignee"],
                        created_at=r["mention_created_at"]) for r in rows]
    categories = dict.fromkeys(CATEGORIES, 0)
    sentiments = dict.fromkeys(SENTIMENTS, 0)
    for item in items:
        categories[item.category if item.category in categories else "other"] += 1
        if item.sentiment in sentiments:
            sentiments[item.sentiment] += 1
    return DebateOut(post=post, total=len(items), replies=sum(i.kind == "reply" for i in items),
                     quotes=sum(i.kind == "quote" for i in items), categories=categories, sentiments=sentiments,
                     items=items)
