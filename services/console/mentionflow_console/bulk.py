"""Bulk actions: resolve, tag, assign or mark as spam many queue items at once, chosen by id or
by a queue filter.

Each item goes through the very single-item action of `actions` (its own transaction, row lock,
brand scope, claim lock and audit entry), so an item is either wholly done or untouched, and
the rules are the ones of the item page. An item the user may not act on is refused with its
reason while the others are done; an item outside the user's brands is refused exactly like a
missing one. What no item could satisfy (an agent assigning, an unknown assignee, a filter
matching too many items) is refused as a whole before anything is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import asyncpg
from mentionflow.accounts import User
from mentionflow.accounts.store import get_user

from mentionflow_console import actions, reads, repository
from mentionflow_console.errors import ConsoleError, Forbidden, InvalidInput, NotFound

BulkAction = Literal["resolve", "tag", "assign", "spam"]
RefusalReason = Literal["not_found", "forbidden", "conflict", "invalid"]
MAX_BULK_ITEMS = 500
# Why an item was refused, by the error its single-item action raised (any other: conflict).
REFUSAL_REASONS: dict[type[ConsoleError], RefusalReason] = {
    NotFound: "not_found", Forbidden: "forbidden", InvalidInput: "invalid",
}


@dataclass(frozen=True)
class BulkRequest:
    action: BulkAction
    add: Sequence[str] = ()  # tag
    remove: Sequence[str] = ()  # tag
    assignee: str | None = None  # assign
    note: str = ""  # resolve, spam: the audit entry's detail


@dataclass
class BulkOutcome:
    done: list[asyncpg.Record] = field(default_factory=list)
    refused: list[tuple[uuid.UUID, RefusalReason, str]] = field(default_factory=list)  # (item id, reason, detail)


def _reason(error: ConsoleError) -> RefusalReason:
    return next((reason for kind, reason in REFUSAL_REASONS.items() if isinstance(error, kind)), "conflict")


async def _check_request(pool: asyncpg.Pool, user: User, request: BulkRequest) -> BulkRequest:
    """Refuse what would fail on every item, before anything is done; returns the cleaned request."""
    if request.action == "tag":
        add, remove = actions.check_tags(request.add, "add"), actions.check_tags(request.remove, "remove")
        if not add and not remove:
            raise InvalidInput("add", "name the tags to add or remove")
        return BulkRequest("tag", add=add, remove=remove)
    if request.action == "assign":
        actions.check_may_reassign(user)
        assignee = (request.assignee or "").strip().lower()
        if not assignee:
            raise InvalidInput("assignee", "name who gets the items")
        if await get_user(pool, username=assignee) is None:
            raise InvalidInput("assignee", f"no user {assignee!r}")
        return BulkRequest("assign", assignee=assignee)
    return request


async def select_by_filter(pool: asyncpg.Pool, *, user: User, filters: repository.QueueFilters) -> list[uuid.UUID]:
    """The ids of the items the queue shows for `filters` (the user's brands only), in queue
    order; more than MAX_BULK_ITEMS is refused as a whole (InvalidInput naming `filter`)."""
    reads.check_brand_visible(user, filters.brand)
    rows = await repository.list_items(pool, scope=user.brand_scope, filters=filters, limit=MAX_BULK_ITEMS + 1)
    if len(rows) > MAX_BULK_ITEMS:
        raise InvalidInput("filter", f"matches more than {MAX_BULK_ITEMS} items: narrow it down")
    return [row["id"] for row in rows]


async def _act(pool: asyncpg.Pool, user: User, request: BulkRequest, item_id: uuid.UUID) -> asyncpg.Record:
    if request.action == "resolve":
        return await actions.resolve(pool, user=user, item_id=item_id, note=request.note)
    if request.action == "spam":
        return await actions.mark_spam(pool, user=user, item_id=item_id, note=request.note)
    if request.action == "tag":
        return await actions.tag(pool, user=user, item_id=item_id, add=request.add, remove=request.remove,
                                 respect_claim=True)
    assert request.assignee is not None  # _check_request made sure
    return await actions.reassign(pool, user=user, item_id=item_id, assignee=request.assignee)


async def apply(pool: asyncpg.Pool, *, user: User, request: BulkRequest, item_ids: Sequence[uuid.UUID] = (),
                filters: repository.QueueFilters | None = None) -> BulkOutcome:
    """Apply `request` to each item of `item_ids`, or of `filters` when given (duplicates once;
    none is fine: a filter may match nothing), each in its own transaction. Returns the items
    done (their state after) and the ones refused with a reason (not_found, forbidden, conflict,
    invalid) and the single-item action's message. What concerns the whole request is checked
    first (role, assignee, tags, size), so such a refusal changes nothing."""
    request = await _check_request(pool, user, request)
    if filters is not None:
        item_ids = await select_by_filter(pool, user=user, filters=filters)
    elif len(item_ids) > MAX_BULK_ITEMS:
        raise InvalidInput("item_ids", f"at most {MAX_BULK_ITEMS} items at once")
    outcome = BulkOutcome()
    for item_id in dict.fromkeys(item_ids):
        try:
            outcome.done.append(await _act(pool, user, request, item_id))
        except ConsoleError as refusal:
            detail = refusal.reason if isinstance(refusal, InvalidInput) else refusal.message
            outcome.refused.append((item_id, _reason(refusal), detail))
    return outcome
