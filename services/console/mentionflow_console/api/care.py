"""Saved replies, internal notes and mentions, customer history: the CM's tools around an item."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from mentionflow_console import live, notes, reads, saved_replies
from mentionflow_console.api.items import CONFLICT, NOT_FOUND, Responses
from mentionflow_console.deps import CurrentUser, DbPool, Settings
from mentionflow_console.schemas import (
    AuthorNoteIn,
    AuthorNoteOut,
    CustomerOut,
    ExpandIn,
    ExpandOut,
    MentionOut,
    Name,
    NoteIn,
    NoteOut,
    Problem,
    SavedReplyIn,
    SavedReplyOut,
    customer_out,
    mention_out,
    note_out,
    saved_reply_out,
)

router = APIRouter(prefix="/api/v1", tags=["care"])
LEADS: Responses = {403: {"model": Problem, "description": "needs the lead role"}}


def _out(row) -> SavedReplyOut:  # noqa: ANN001 - a saved_replies row
    return saved_reply_out(row, saved_replies.prompt_fields(row["body"]))


@router.get("/saved-replies", summary="Saved replies of my brands", responses=NOT_FOUND)
async def list_saved_replies(
    user: CurrentUser, pool: DbPool,
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    item_id: Annotated[uuid.UUID | None, Query(description="suggest for this item: its brand only, its "
                                                           "language and category first")] = None,
) -> list[SavedReplyOut]:
    reads.check_brand_visible(user, brand)
    if item_id is not None:
        return [_out(r) for r in await saved_replies.suggestions(pool, user=user, item_id=item_id)]
    return [_out(r) for r in await saved_replies.list_for(pool, user=user, brand=brand)]


@router.post("/saved-replies", status_code=201, summary="Create a saved reply (leads)",
             responses={**NOT_FOUND, **LEADS})
async def create_saved_reply(body: SavedReplyIn, user: CurrentUser, pool: DbPool) -> SavedReplyOut:
    return _out(await saved_replies.save(pool, user=user, **body.model_dump(), reply_id=None))


@router.put("/saved-replies/{reply_id}", summary="Edit a saved reply (leads)", responses={**NOT_FOUND, **LEADS})
async def edit_saved_reply(reply_id: uuid.UUID, body: SavedReplyIn, user: CurrentUser, pool: DbPool
                           ) -> SavedReplyOut:
    return _out(await saved_replies.save(pool, user=user, **body.model_dump(), reply_id=reply_id))


@router.delete("/saved-replies/{reply_id}", status_code=204, summary="Delete a saved reply (leads)",
               responses={**NOT_FOUND, **LEADS})
async def delete_saved_reply(reply_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> None:
    await saved_replies.delete(pool, user=user, reply_id=reply_id)


@router.post("/items/{item_id}/saved-replies/{reply_id}/expand",
             summary="A saved reply filled in for this item (422 naming a missing field or the length)",
             responses=NOT_FOUND)
async def expand_saved_reply(item_id: uuid.UUID, reply_id: uuid.UUID, body: ExpandIn, user: CurrentUser,
                             pool: DbPool) -> ExpandOut:
    text = await saved_replies.expand_for_item(pool, user=user, item_id=item_id, reply_id=reply_id,
                                               fields=body.fields)
    return ExpandOut(text=text, length=len(text))


@router.get("/items/{item_id}/notes", summary="The item's internal notes, oldest first", responses=NOT_FOUND)
async def list_notes(item_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> list[NoteOut]:
    return [note_out(r) for r in await notes.item_notes(pool, user=user, item_id=item_id)]


@router.post("/items/{item_id}/notes", status_code=201,
             summary="Add an internal note (never sent to X); @username notifies a teammate of the brand",
             responses=NOT_FOUND)
async def add_note(item_id: uuid.UUID, body: NoteIn, user: CurrentUser, pool: DbPool) -> NoteOut:
    return note_out(await notes.add_note(pool, user=user, item_id=item_id, body=body.body))


@router.get("/mentions", summary="Notes that @mention me, newest first")
async def my_mentions(user: CurrentUser, pool: DbPool, limit: Annotated[int, Query(ge=1, le=500)] = 100
                      ) -> list[MentionOut]:
    return [mention_out(r) for r in await notes.mentions_of(pool, user=user, limit=limit)]


@router.get(
    "/mentions/stream", summary="Live notifications of notes that @mention me (server-sent events)", responses={
        200: {"content": {"text/event-stream": {}},
              "description": "`event: mention` per new note; `id` is the cursor"}},
    response_class=StreamingResponse)
async def stream_mentions(
    request: Request, user: CurrentUser, pool: DbPool, settings: Settings,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="cursor: a note id")] = None,
    last_event_id: Annotated[str | None, Header(max_length=20, pattern=r"^\d{1,18}$")] = None,
) -> StreamingResponse:
    cursor = int(last_event_id) if last_event_id else after
    options = settings.console
    events = live.mention_events(pool, user=user, after_id=cursor, poll_interval_s=options.live_poll_interval_s,
                                 keepalive_s=options.live_keepalive_s, is_disconnected=request.is_disconnected)
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/items/{item_id}/customer", summary="The author's earlier mentions of this brand, with outcomes, "
            "and the brand's note on them", responses=NOT_FOUND)
async def customer(item_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> CustomerOut:
    item, earlier, note = await notes.customer(pool, user=user, item_id=item_id)
    return customer_out(item, earlier, note, reads.now())


@router.put("/items/{item_id}/customer/note", summary="Set the brand's note on the item's author "
            "(\"VIP\", \"journalist\"…; empty clears it)", responses={**NOT_FOUND, **CONFLICT})
async def set_author_note(item_id: uuid.UUID, body: AuthorNoteIn, user: CurrentUser, pool: DbPool) -> AuthorNoteOut:
    handle, note, at = await notes.set_author_note(pool, user=user, item_id=item_id, note=body.note)
    return AuthorNoteOut(author_handle=handle, note=note, updated_by=user.username if note else None, updated_at=at)
