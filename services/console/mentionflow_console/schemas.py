"""Request and response models of the API (they are its OpenAPI documentation)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import asyncpg
from mentionflow.events.replies_requested import MAX_REPLY_CHARS
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from mentionflow_console.links import post_url
from mentionflow_console.repository import parse_json

Status = Literal["new", "claimed", "replied", "resolved", "escalated", "awaiting_approval"]
StatusFilter = Literal["open", "all", "new", "claimed", "replied", "resolved", "escalated", "awaiting_approval"]
Category = Literal["question", "complaint", "crisis", "praise", "other"]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
SearchText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


def _reasonable_instant(value: datetime) -> datetime:
    # PostgreSQL and Python disagree at the edges of their ranges; nobody searches there.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not 1970 <= value.year <= 2200:
        raise ValueError("must be between 1970 and 2200")
    return value.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_reasonable_instant)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


class ReplyIn(BaseModel):
    text: Annotated[str, AfterValidator(_no_nul)] = Field(
        min_length=1, max_length=MAX_REPLY_CHARS, description=f"the reply, at most {MAX_REPLY_CHARS} characters")


class ResolveIn(BaseModel):
    note: Annotated[str, AfterValidator(_no_nul)] = Field(default="", max_length=1000)


class TagsIn(BaseModel):
    add: list[Tag] = Field(default_factory=list, max_length=50)
    remove: list[Tag] = Field(default_factory=list, max_length=50)


class ReassignIn(BaseModel):
    assignee: Username


class Author(BaseModel):
    handle: str
    name: str | None = None
    followers: int
    verified: bool


class ItemSummary(BaseModel):
    id: uuid.UUID
    brand_id: str
    external_id: str = Field(description="the post's id on X")
    queue: str
    team: str | None
    priority: str
    sla_due_at: datetime
    sla_seconds_left: int = Field(description="negative once the SLA is breached")
    status: Status
    assignee: str | None = Field(description="who claimed it ('claimed by …')")
    category: str
    sentiment: str
    severity: float
    language: str | None
    incident_id: str | None
    tags: list[str]
    author: Author
    text: str
    conversation_id: str | None
    url: str | None = Field(description="the post on X, built by the safe-link rule (links.py): never a "
                                        "stored URL of another scheme or host")
    mention_created_at: datetime
    updated_at: datetime
    version: int


class Classification(BaseModel):
    category: str
    sentiment: str
    sentiment_score: float | None = None
    is_question: bool | None = None
    severity: float
    confidence: float | None = None
    reasons: list[str] = Field(default_factory=list)
    model_version: str | None = None


class Routing(BaseModel):
    queue: str
    team: str | None
    priority: str
    rule_id: str | None = None
    explanation: list[str] = Field(default_factory=list)
    escalate: bool = False
    config_version: str | None = None
    decided_at: datetime | None = None


class ReplyOut(BaseModel):
    reply_id: str
    text: str
    requested_by: str
    status: Literal["requested", "pending", "sent", "failed"]
    tweet_id: str | None
    error: str | None = Field(description="why X refused it, when failed")
    requested_at: datetime
    updated_at: datetime


DraftStatus = Literal["awaiting_approval", "approved", "rejected"]


class DraftOut(BaseModel):
    """A reply drafted by someone whose replies need approval."""

    id: uuid.UUID
    item_id: uuid.UUID
    brand_id: str
    author: str = Field(description="who drafted it")
    text: str = Field(description="as drafted")
    status: DraftStatus
    decided_by: str | None
    decided_at: datetime | None
    sent_text: str | None = Field(description="what was approved and sent (the lead may have edited it)")
    comment: str = Field(description="why it was rejected")
    reply_id: str | None = Field(description="the reply requested on approval (see the item's replies)")
    created_at: datetime
    mention_text: str
    author_handle: str = Field(description="the mention's author on X")
    priority: str
    sla_due_at: datetime
    sla_seconds_left: int = Field(description="the item's SLA keeps running while the draft waits")
    item_status: Status


class ApproveIn(BaseModel):
    text: Annotated[str, AfterValidator(_no_nul)] | None = Field(
        default=None, min_length=1, max_length=MAX_REPLY_CHARS,
        description="the text to send instead of the draft's (an edit); omitted: the draft as written")


class RejectIn(BaseModel):
    comment: Annotated[str, AfterValidator(_no_nul)] = Field(min_length=1, max_length=1000,
                                                             description="why, for the author")


class ApprovalFlagIn(BaseModel):
    replies_need_approval: bool


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    before: Any = None
    after: Any = None
    detail: str = ""


class ItemDetail(ItemSummary):
    account_handle: str | None
    classification: Classification
    routing: Routing
    conversation: list[ItemSummary]
    replies: list[ReplyOut]
    history: list[HistoryEntry]
    drafts: list[DraftOut] = Field(default_factory=list, description="replies drafted for approval, oldest first")


class VolumePoint(BaseModel):
    at: datetime
    rate_per_minute: float


class IncidentOut(BaseModel):
    incident_id: str
    brand_id: str
    status: str
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    negative_count: int
    crisis_count: int
    rate_per_minute: float
    baseline_per_minute: float
    summary: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    pending: list[str] = Field(default_factory=list,
                               description="actions requested here that publish has not applied yet")
    mention_count: int
    volume: list[VolumePoint] = Field(default_factory=list)
    mentions: list[ItemSummary] = Field(default_factory=list)


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    brand_id: str | None
    item_id: uuid.UUID | None
    incident_id: str | None
    target: str | None
    before: Any = None
    after: Any = None
    detail: str


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    brands: list[str] = Field(description="'*' means every brand")
    replies_need_approval: bool = Field(default=False, description="replies become drafts a lead approves")


class Problem(BaseModel):
    detail: str


def item_summary(row: asyncpg.Record, now: datetime) -> ItemSummary:
    return ItemSummary(
        id=row["id"], brand_id=row["brand_id"], external_id=row["external_id"], queue=row["queue"], team=row["team"],
        priority=row["priority"],
        sla_due_at=row["sla_due_at"], sla_seconds_left=int((row["sla_due_at"] - now).total_seconds()),
        status=row["status"], assignee=row["assignee"], category=row["category"], sentiment=row["sentiment"],
        severity=row["severity"], language=row["language"], incident_id=row["incident_id"], tags=list(row["tags"]),
        author=Author(handle=row["author_handle"], followers=row["author_followers"],
                      verified=row["author_verified"]),
        text=row["text"], conversation_id=row["conversation_id"],
        url=post_url(row["author_handle"], row["external_id"], row["url"]),
        mention_created_at=row["mention_created_at"], updated_at=row["updated_at"], version=row["version"])


def reply_out(row: asyncpg.Record) -> ReplyOut:
    return ReplyOut(**{k: row[k] for k in ReplyOut.model_fields})


def item_detail(row: asyncpg.Record, now: datetime, *, conversation: list[asyncpg.Record],
                replies: list[asyncpg.Record], history: list[asyncpg.Record]) -> ItemDetail:
    mention = parse_json(row["mention"]) or {}
    classification = parse_json(row["classification"]) or {}
    decision = parse_json(row["decision"]) or {}
    summary = item_summary(row, now)
    summary.author.name = (mention.get("author") or {}).get("name")
    return ItemDetail(
        **summary.model_dump(),
        account_handle=mention.get("account_handle"),
        classification=Classification(**{**classification, "category": row["category"],
                                         "sentiment": row["sentiment"], "severity": row["severity"]}),
        routing=Routing(**{**decision, "queue": row["queue"], "team": row["team"], "priority": row["priority"]}),
        conversation=[item_summary(r, now) for r in conversation],
        replies=[reply_out(r) for r in replies],
        history=[HistoryEntry(at=h["at"], actor=h["actor"], action=h["action"], before=parse_json(h["before"]),
                              after=parse_json(h["after"]), detail=h["detail"]) for h in history],
    )


def incident_out(row: asyncpg.Record, *, volume: list[tuple[datetime, float]] | None = None,
                 mentions: list[ItemSummary] | None = None) -> IncidentOut:
    return IncidentOut(**{k: row[k] for k in IncidentOut.model_fields if k not in ("volume", "mentions")},
                       volume=[VolumePoint(at=a, rate_per_minute=r) for a, r in volume or []],
                       mentions=mentions or [])


def draft_out(row: asyncpg.Record) -> DraftOut:
    left = int((row["sla_due_at"] - datetime.now(UTC)).total_seconds())
    return DraftOut(**{k: row[k] for k in DraftOut.model_fields if k != "sla_seconds_left"}, sla_seconds_left=left)


def audit_entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(**{**dict(row), "before": parse_json(row["before"]), "after": parse_json(row["after"])})


# --- saved replies, notes, customer history ------------------------------------------------

LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
FieldValue = Annotated[str, StringConstraints(max_length=280), AfterValidator(_no_nul)]


class SavedReplyIn(BaseModel):
    brand_id: Name
    language: LanguageCode
    name: Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^\x00\n]*\S[^\x00\n]*$")]
    category: Category | None = Field(default=None, description="suggested first for items of this category")
    body: Annotated[str, AfterValidator(_no_nul)] = Field(
        min_length=1, max_length=2000,
        description="the text, with {author_name} {author_handle} {brand} {agent_first_name} {case_ref} and "
                    "{?field} prompts the CM fills in")


class SavedReplyOut(BaseModel):
    id: uuid.UUID
    brand_id: str
    language: str
    name: str
    category: str | None
    body: str
    fields: list[str] = Field(description="the {?field} prompts, in order")
    updated_by: str
    updated_at: datetime


class ExpandIn(BaseModel):
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=20,
                                                description="values of the {?field} prompts")


class ExpandOut(BaseModel):
    text: str
    length: int = Field(description=f"characters, at most {MAX_REPLY_CHARS}")


class NoteIn(BaseModel):
    body: Annotated[str, AfterValidator(_no_nul)] = Field(min_length=1, max_length=2000,
                                                          description="@username mentions notify teammates")


class NoteOut(BaseModel):
    id: int
    item_id: uuid.UUID
    brand_id: str
    author: str
    body: str
    mentions: list[str]
    created_at: datetime


class MentionOut(NoteOut):
    author_handle: str = Field(description="the item's author on X")
    text: str = Field(description="the item's text")


class AuthorNoteIn(BaseModel):
    note: Annotated[str, AfterValidator(_no_nul)] = Field(max_length=500, description="empty clears it")


class AuthorNoteOut(BaseModel):
    author_handle: str
    note: str
    updated_by: str | None = None
    updated_at: datetime | None = None


class CustomerOut(BaseModel):
    author_handle: str
    brand_id: str
    note: AuthorNoteOut
    earlier: list[ItemSummary] = Field(description="the author's earlier mentions of this brand, newest first; "
                                                   "`status` is the outcome")


def saved_reply_out(row: asyncpg.Record, fields: list[str]) -> SavedReplyOut:
    return SavedReplyOut(**{k: row[k] for k in SavedReplyOut.model_fields if k != "fields"}, fields=fields)


def note_out(row: asyncpg.Record) -> NoteOut:
    return NoteOut(**{k: row[k] for k in NoteOut.model_fields})


def mention_out(row: asyncpg.Record) -> MentionOut:
    return MentionOut(**{k: row[k] for k in MentionOut.model_fields})


def customer_out(item: asyncpg.Record, earlier: list[asyncpg.Record], note: asyncpg.Record | None,
                 now: datetime) -> CustomerOut:
    handle = item["author_handle"]
    return CustomerOut(author_handle=handle, brand_id=item["brand_id"],
                       note=AuthorNoteOut(author_handle=handle, **dict(note)) if note else
                       AuthorNoteOut(author_handle=handle, note=""),
                       earlier=[item_summary(r, now) for r in earlier])
