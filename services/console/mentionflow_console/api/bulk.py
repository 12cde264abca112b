"""Bulk actions on queue items: resolve, tag, assign or mark as spam a selection or a filter."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from mentionflow_console import bulk, repository
from mentionflow_console.deps import CurrentUser, DbPool
from mentionflow_console.errors import InvalidInput
from mentionflow_console.schemas import Category, Name, Problem, StatusFilter, Tag, Username

router = APIRouter(prefix="/api/v1/items", tags=["queue"])


class BulkFilter(BaseModel):
    """Every item the queue shows for these filters (your brands only)."""

    brand: Name | None = None
    queue: Name | None = None
    category: Category | None = None
    language: Name | None = None
    status: StatusFilter = Field(default="open", description="'open' = every unresolved status")


class BulkIn(BaseModel):
    action: bulk.BulkAction = Field(description="resolve | tag (`add`, `remove`) | assign (`assignee`, leads) | "
                                                "spam (resolved with the `spam` tag)")
    item_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=bulk.MAX_BULK_ITEMS,
                                             description="the selection; give this or `filter`")
    filter: BulkFilter | None = Field(default=None, description="every item matching it; give this or `item_ids`")
    add: list[Tag] = Field(default_factory=list, max_length=50, description="tag: tags to add")
    remove: list[Tag] = Field(default_factory=list, max_length=50, description="tag: tags to remove")
    assignee: Username | None = Field(default=None, description="assign: who gets the items")
    note: Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00]*$")] = Field(
        default="", description="resolve, spam: kept in each item's history")


class BulkDone(BaseModel):
    id: uuid.UUID
    status: str
    assignee: str | None
    tags: list[str]
    version: int


class BulkRefused(BaseModel):
    id: uuid.UUID
    reason: bulk.RefusalReason = Field(
        description="not_found: missing or outside your brands; conflict: the item's state (claimed by "
                    "someone else, resolved); forbidden: your role; invalid: the value for this item")
    detail: str


class BulkOut(BaseModel):
    action: str
    done: list[BulkDone]
    refused: list[BulkRefused]


@router.post(
    "/bulk", summary="Resolve, tag, assign or mark as spam many items; each done or refused on its own",
    description="Each item is acted on as by its single-item action (brand scope, claim lock, audit), in its own "
                "transaction: the response lists the items done and the ones refused, each with its reason. "
                f"At most {bulk.MAX_BULK_ITEMS} items; a filter matching more is refused (422).",
    responses={404: {"model": Problem, "description": "the filter's brand is not one of yours"},
               403: {"model": Problem, "description": "assign needs the lead role"}})
async def bulk_action(body: BulkIn, user: CurrentUser, pool: DbPool) -> BulkOut:
    if (body.item_ids is None) == (body.filter is None):
        raise InvalidInput("item_ids", "give either item_ids or filter")
    filters = repository.QueueFilters(**body.filter.model_dump()) if body.filter is not None else None
    outcome = await bulk.apply(pool, user=user, item_ids=body.item_ids or [], filters=filters, request=bulk.BulkRequest(
        body.action, add=body.add, remove=body.remove, assignee=body.assignee, note=body.note))
    return BulkOut(
        action=body.action,
        done=[BulkDone(id=r["id"], status=r["status"], assignee=r["assignee"], tags=list(r["tags"]),
                       version=r["version"]) for r in outcome.done],
        refused=[BulkRefused(id=i, reason=reason, detail=detail) for i, reason, detail in outcome.refused])
