"""SQL for the CM queue (queue_items) and incidents, written from routed mentions and incidents.

Idempotency: one queue row per (brand, platform, external id). A redelivered or replayed
decision is a no-op; a later decision (newer decided_at) updates the row and bumps
version/updated_at. What people do (claim, assignee, their status, tags) is the console's
queue_work, which publish never writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from mentionflow.events.envelope import EventModel
from mentionflow.events.incidents import Incident
from mentionflow.events.mentions_routed import MentionRouted
from mentionflow.queue.domain import ItemStatus

# The batch goes as one array per column (asyncpg's binary format), unnested into rows: the
# scalar columns arrive typed, with nothing for the server to parse, and the three documents as
# JSON text that their json columns keep as is. (A single jsonb parameter parsed into jsonb cost
# PostgreSQL twice the CPU a row.) RETURNING tells which rows were created, updated or left alone.
_ITEM_COLUMNS = (
    ("brand_id", "text"), ("platform", "text"), ("external_id", "text"), ("mention_id", "text"),
    ("queue", "text"), ("team", "text"), ("priority", "text"), ("sla_due_at", "timestamptz"),
    ("status", "text"), ("category", "text"), ("sentiment", "text"), ("severity", "real"),
    ("language", "text"), ("incident_id", "text"), ("tags", "json"), ("author_handle", "text"),
    ("author_followers", "integer"), ("author_verified", "boolean"), ("text", "text"),
    ("conversation_id", "text"), ("quoted_id", "text"), ("url", "text"), ("mention_created_at", "timestamptz"),
    ("received_at", "timestamptz"), ("mention", "json"), ("classification", "json"), ("decision", "json"),
    ("decided_at", "timestamptz"),
)
_NAMES = ", ".join(name for name, _ in _ITEM_COLUMNS)
_PARAMETERS = ", ".join(f"${n}::{type_}[]" for n, (_, type_) in enumerate(_ITEM_COLUMNS, 1))
# tags travel as a JSON array each (an array of arrays would have to be rectangular)
_SELECTED = ", ".join("ARRAY(SELECT json_array_elements_text(r.tags))" if name == "tags" else name
                      for name, _ in _ITEM_COLUMNS)
_UPSERT_ITEMS = f"""
INSERT INTO queue_items AS q ({_NAMES})
SELECT {_SELECTED}
FROM unnest({_PARAMETERS}) AS r({_NAMES})
ON CONFLICT (brand_id, platform, external_id) DO UPDATE SET
    mention_id = EXCLUDED.mention_id,
    queue = EXCLUDED.queue,
    team = EXCLUDED.team,
    priority = EXCLUDED.priority,
    sla_due_at = EXCLUDED.sla_due_at,
    -- the pipeline's status: once escalated, an item stays escalated
    status = CASE WHEN q.status = 'new' THEN EXCLUDED.status ELSE q.status END,
    category = EXCLUDED.category,
    sentiment = EXCLUDED.sentiment,
    severity = EXCLUDED.severity,
    language = EXCLUDED.language,
    incident_id = EXCLUDED.incident_id,
    -- every decision's tags, kept
    tags = ARRAY(SELECT DISTINCT t FROM unnest(q.tags || EXCLUDED.tags) AS t ORDER BY t),
    author_followers = EXCLUDED.author_followers,
    author_verified = EXCLUDED.author_verified,
    quoted_id = EXCLUDED.quoted_id,
    mention = EXCLUDED.mention,
    classification = EXCLUDED.classification,
    decision = EXCLUDED.decision,
    decided_at = EXCLUDED.decided_at,
    updated_at = now(),
    version = q.version + 1
WHERE EXCLUDED.decided_at > q.decided_at
RETURNING q.id, q.brand_id, q.platform, q.external_id, q.queue, q.priority, q.received_at,
          (q.xmax = 0) AS created
"""


@dataclass(frozen=True, slots=True)
class ItemChange:
    item_id: str
    brand_id: str
    platform: str
    external_id: str
    queue: str
    priority: str
    received_at: datetime
    created: bool


def initial_status(routed: MentionRouted) -> ItemStatus:
    """A crisis (or anything routing escalates) enters the queue already 'escalated'."""
    if routed.classification.category == "crisis" or routed.decision.escalate:
        return ItemStatus.ESCALATED
    return ItemStatus.NEW


def _json(model: EventModel) -> str:
    """The model as JSON, serialised by pydantic-core (the same JSON as model_dump_json)."""
    return type(model).__pydantic_serializer__.to_json(model).decode()


def item_row(routed: MentionRouted, documents: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The row of one routed mention. `documents`: the mention, classification and decision as
    the event carried them (`mentionflow.events.payload_documents`), stored as they are instead
    of encoding the models again."""
    mention, classification, decision = routed.mention, routed.classification, routed.decision
    if documents is None:
        mention_json, classification_json, decision_json = _json(mention), _json(classification), _json(decision)
    else:
        mention_json, classification_json, decision_json = (
            bytes(documents[name]).decode() for name in ("mention", "classification", "decision"))
    return {
        "brand_id": mention.brand_id,
        "platform": mention.platform,
        "external_id": mention.external_id,
        "mention_id": mention.id,
        "queue": decision.queue,
        "team": decision.team,
        "priority": decision.priority,
        "sla_due_at": decision.sla_due_at,
        "status": initial_status(routed),
        "category": classification.category,
        "sentiment": classification.sentiment,
        "severity": classification.severity,
        "language": classification.language or mention.lang,
        "incident_id": classification.incident_id,
        "tags": orjson.dumps(decision.tags).decode(),
        "author_handle": mention.author.handle,
        "author_followers": mention.author.followers,
        "author_verified": mention.author.verified,
        "text": mention.text,
        "conversation_id": mention.conversation_id,
        "quoted_id": mention.quoted_id,
        "url": mention.url,
        "mention_created_at": mention.created_at,
        "received_at": mention.received_at,
        "mention": mention_json,
        "classification": classification_json,
        "decision": decision_json,
        "decided_at": decision.decided_at,
    }


def newest_per_item(batch: Sequence[MentionRouted]) -> list[int]:
    """The positions in `batch` of one decision per queue row, the newest (ties: the later in
    the batch). A single INSERT … ON CONFLICT may not touch the same row twice."""
    chosen: dict[tuple[str, str, str], int] = {}
    for position, routed in enumerate(batch):
        key = (routed.mention.brand_id, routed.mention.platform, routed.mention.external_id)
        current = chosen.get(key)
        if current is None or routed.decision.decided_at >= batch[current].decision.decided_at:
            chosen[key] = position
    return list(chosen.values())


async def upsert_items(conn: asyncpg.Connection, batch: Sequence[MentionRouted],
                       documents: Sequence[Mapping[str, Any]] | None = None) -> list[ItemChange]:
    """Apply the batch; returns the rows created or updated (stale decisions are absent).
    `documents`, one per routed mention: see `item_row`."""
    rows = [item_row(batch[i], None if documents is None else documents[i]) for i in newest_per_item(batch)]
    if not rows:
        return []
    columns = ([row[name] for row in rows] for name, _ in _ITEM_COLUMNS)
    records = await conn.fetch(_UPSERT_ITEMS, *columns)  # sql-ok: names and types from _ITEM_COLUMNS
    return [ItemChange(str(r["id"]), r["brand_id"], r["platform"], r["external_id"], r["queue"],
                       r["priority"], r["received_at"], r["created"]) for r in records]


_UPSERT_INCIDENT = """
INSERT INTO incidents AS i (incident_id, brand_id, status, opened_at, updated_at, closed_at,
                            negative_count, crisis_count, rate_per_minute, baseline_per_minute, summary)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (incident_id) DO UPDATE SET
    status = EXCLUDED.status,
    updated_at = EXCLUDED.updated_at,
    closed_at = EXCLUDED.closed_at,
    negative_count = EXCLUDED.negative_count,
    crisis_count = EXCLUDED.crisis_count,
    rate_per_minute = EXCLUDED.rate_per_minute,
    baseline_per_minute = EXCLUDED.baseline_per_minute,
    summary = CASE WHEN EXCLUDED.summary = '' THEN i.summary ELSE EXCLUDED.summary END
-- events of one brand arrive in order; a replayed older one must not reopen a closed incident
WHERE EXCLUDED.updated_at >= i.updated_at AND NOT (i.status = 'closed' AND EXCLUDED.status = 'open')
"""

_UPSERT_VOLUME = """
INSERT INTO incident_volume (incident_id, at, rate_per_minute, negative_count)
VALUES ($1, $2, $3, $4)
ON CONFLICT (incident_id, at) DO UPDATE SET
    rate_per_minute = EXCLUDED.rate_per_minute, negative_count = EXCLUDED.negative_count
"""


async def upsert_incidents(conn: asyncpg.Connection, batch: Sequence[Incident]) -> None:
    """Incidents for the crisis board (people's acknowledged/resolved fields untouched) and
    one volume point per event window for its chart. Idempotent."""
    for incident in batch:
        closed = incident.status == "closed"
        await conn.execute(
            _UPSERT_INCIDENT, incident.incident_id, incident.brand_id, "closed" if closed else "open",
            incident.opened_at, incident.window_end, incident.window_end if closed else None,
            incident.negative_count, incident.crisis_count, incident.rate_per_minute,
            incident.baseline_per_minute, incident.summary,
        )
        await conn.execute(_UPSERT_VOLUME, incident.incident_id, incident.window_end,
                           incident.rate_per_minute, incident.negative_count)
