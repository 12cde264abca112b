"""The audit log, searchable by leads (within their brands)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from mentionflow_console import reads, repository
from mentionflow_console.deps import DbPool, LeadUser
from mentionflow_console.schemas import AuditEntry, Instant, Name, Problem, SearchText, Username

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", summary="Search the audit log (leads): who did what, when, before/after",
            responses={403: {"model": Problem, "description": "needs the lead role"}})
async def search(
    user: LeadUser, pool: DbPool,
    actor: Annotated[Username | None, Query()] = None,
    action: Annotated[Name | None, Query(description="e.g. item.claim, incident.acknowledge")] = None,
    brand: Annotated[Name | None, Query()] = None,
    item_id: Annotated[uuid.UUID | None, Query()] = None,
    incident_id: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
    q: Annotated[SearchText | None, Query(description="text in the detail, target or before/after")] = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntry]:
    query = repository.AuditQuery(actor=actor, action=action, brand=brand, item_id=item_id,
                                  incident_id=incident_id, text=q, since=since, until=until, limit=limit)
    return await reads.audit(pool, user=user, query=query)
