"""The queue page's bulk form: the checked rows, or every item of the current filter, resolved,
tagged, assigned or marked as spam by the same code as the API (`bulk`); the queue comes back
with what was done and what was refused, and why."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from mentionflow_console import bulk, repository
from mentionflow_console.api.bulk import BulkFilter
from mentionflow_console.deps import DbPool, UiSession
from mentionflow_console.errors import ConsoleError, InvalidInput
from mentionflow_console.web.pages import _check_csrf, render_queue

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
ACTIONS: dict[str, bulk.BulkAction] = {"resolve": "resolve", "tag": "tag", "assign": "assign", "spam": "spam"}


def _filters(**values: str) -> repository.QueueFilters:
    """The filters the page was showing (hidden fields; empty = none)."""
    try:
        chosen = BulkFilter.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        raise InvalidInput(str(exc.errors()[0]["loc"][0]), exc.errors()[0]["msg"]) from None
    return repository.QueueFilters(**chosen.model_dump())


def _tags(text: str) -> tuple[list[str], list[str]]:
    """'vip refund -spam': add vip and refund, remove spam."""
    words = text.replace(",", " ").split()
    return [w for w in words if not w.startswith("-")], [w[1:] for w in words if w.startswith("-") and w[1:]]


def _selected(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError:
        raise InvalidInput("item_id", "not an item id") from None


@router.post("/bulk")
async def bulk_form(
    request: Request, session: UiSession, pool: DbPool, csrf_token: Short = "", action: Short = "",
    target: Short = "selected", item_id: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    tags: Short = "", assignee: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=1000)] = "", brand: Short = "", queue: Short = "", category: Short = "",
    language: Short = "", status: Short = "",
) -> HTMLResponse:
    filters = repository.QueueFilters()
    try:
        _check_csrf(session, csrf_token)
        filters = _filters(brand=brand, queue=queue, category=category, language=language, status=status)
        if action not in ACTIONS:
            raise InvalidInput("action", "choose resolve, tag, assign or spam")
        chosen = _selected(item_id) if target != "filter" else []
        if target != "filter" and not chosen:
            raise InvalidInput("item_id", "select at least one item")
        add, remove = _tags(tags)
        outcome = await bulk.apply(
            pool, user=session.user, item_ids=chosen, filters=filters if target == "filter" else None,
            request=bulk.BulkRequest(ACTIONS[action], add=add, remove=remove, assignee=assignee or None,
                                     note=note.replace("\x00", "")))
    except ConsoleError as exc:
        return await render_queue(request, session, pool, filters, {"bulk_error": exc.message}, exc.status_code)
    return await render_queue(request, session, pool, filters, {"bulk": {
        "action": action, "done": len(outcome.done), "refused": outcome.refused}})
