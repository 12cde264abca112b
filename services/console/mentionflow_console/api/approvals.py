"""Reply approval: the drafts of those whose replies need approval, approved (edited if needed) or
rejected by a lead of the brand; and (admins) who needs approval."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from mentionflow.accounts.store import AccountError, set_replies_need_approval

from mentionflow_console import approvals
from mentionflow_console.api.items import CONFLICT, NOT_FOUND, Responses
from mentionflow_console.deps import AdminUser, CurrentUser, DbPool, Producer, Settings
from mentionflow_console.errors import NotFound
from mentionflow_console.schemas import (
    ApprovalFlagIn,
    ApproveIn,
    DraftOut,
    DraftStatus,
    Me,
    Name,
    Problem,
    RejectIn,
    Username,
    draft_out,
)

router = APIRouter(prefix="/api/v1", tags=["approvals"])
DECIDERS: Responses = {403: {"model": Problem, "description": "needs the lead role, and never one's own draft "
                                                              "(nor by someone whose own replies need approval)"}}


@router.get("/approvals", summary="Drafts of my brands awaiting approval, oldest first (leads)",
            responses={**NOT_FOUND, **DECIDERS})
async def list_drafts(
    user: CurrentUser, pool: DbPool,
    brand: Annotated[Name | None, Query(description="brand id")] = None,
    status: Annotated[DraftStatus, Query(description="decided ones come latest first")] = "awaiting_approval",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DraftOut]:
    return [draft_out(r) for r in await approvals.listing(pool, user=user, brand=brand, status=status, limit=limit)]


@router.get("/approvals/{draft_id}", summary="One draft, with its mention", responses=NOT_FOUND)
async def get_draft(draft_id: uuid.UUID, user: CurrentUser, pool: DbPool) -> DraftOut:
    return draft_out(await approvals.get(pool, user=user, draft_id=draft_id))


@router.post("/approvals/{draft_id}/approve",
             summary="Approve a draft, optionally with an edited text: exactly that text is sent to X, once "
                     "(approving again sends nothing more)", responses={**NOT_FOUND, **CONFLICT, **DECIDERS})
async def approve(draft_id: uuid.UUID, user: CurrentUser, pool: DbPool, producer: Producer, settings: Settings,
                  body: ApproveIn | None = None) -> DraftOut:
    await approvals.approve(pool, producer, settings.kafka, user=user, draft_id=draft_id,
                            text=body.text if body else None)
    return draft_out(await approvals.get(pool, user=user, draft_id=draft_id))


@router.post("/approvals/{draft_id}/reject", summary="Reject a draft with a comment: nothing is sent; the item "
             "goes back to its author", responses={**NOT_FOUND, **CONFLICT, **DECIDERS})
async def reject(draft_id: uuid.UUID, body: RejectIn, user: CurrentUser, pool: DbPool) -> DraftOut:
    await approvals.reject(pool, user=user, draft_id=draft_id, comment=body.comment)
    return draft_out(await approvals.get(pool, user=user, draft_id=draft_id))


@router.put("/users/{username}/replies-need-approval", tags=["users"],
            summary="Whether a user's replies become drafts a lead approves (admins)",
            responses={**NOT_FOUND, 403: {"model": Problem, "description": "needs the admin role"}})
async def set_approval(username: Annotated[Username, Path()], body: ApprovalFlagIn, user: AdminUser,
                       pool: DbPool) -> Me:
    try:
        changed = await set_replies_need_approval(pool, username=username, required=body.replies_need_approval,
                                                  actor=user.username)
    except AccountError as exc:  # the only refusal: no such (active) user
        raise NotFound(str(exc)) from None
    return Me(username=changed.username, display_name=changed.display_name, role=changed.role,
              brands=sorted(changed.brands), replies_need_approval=changed.replies_need_approval)
