"""Append-only audit log of what people did: who, what, when, on what, before and after."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import orjson


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


async def record_audit(
    db: asyncpg.Pool | asyncpg.Connection,
    *,
    actor: str,
    action: str,
    brand_id: str | None = None,
    item_id: uuid.UUID | None = None,
    incident_id: str | None = None,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
) -> None:
    """Append one entry. Call it inside the transaction of the change it describes, so an
    action is never recorded without happening, nor happens without being recorded."""
    await db.execute(
        "INSERT INTO audit_log (actor, action, brand_id, item_id, incident_id, target, before, after, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)",
        actor, action, brand_id, item_id, incident_id, target, _json(before), _json(after), detail,
    )
