"""SQL of the console's reads: the queue and incidents through the shared read models
(mentionflow.queue.domain), always filtered by the user's brands.

Every function takes `scope`: the brand ids the user may see, or None for every brand
(a '*' grant). A row outside the scope is indistinguishable from a missing one.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
import orjson
from mentionflow.queue import domain

Db: TypeAlias = "asyncpg.Pool | asyncpg.Connection"
Scope = list[str] | None

SUMMARY_COLUMNS = domain.ITEM_COLUMNS
DETAIL_COLUMNS = domain.ITEM_DETAIL_COLUMNS
ITEMS = domain.ITEM_FROM


def in_scope(column: str, param: int) -> str:
    """SQL predicate: `column` is one of the brands in parameter $param (NULL = every brand)."""
    return f"(${param}::text[] IS NULL OR {column} = ANY(${param}::text[]))"


def parse_json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


@dataclass(frozen=True)
class QueueFilters:
    brand: str | None = None
    queue: str | None = None
    category: str | None = None
    language: str | None = None
    status: str = "open"  # a status, "open" (every unresolved status) or "all"

    def statuses(self) -> tuple[str, ...]:
        if self.status == "open":
            return domain.UNRESOLVED
        if self.status == "all":
            return domain.ALL_STATUSES
        return (self.status,)

    def matches(self, row: asyncpg.Record) -> bool:
        """`where` for a row already read (live updates filter the shared poll in memory)."""
        return ((self.brand is None or row["brand_id"] == self.brand)
                and (self.queue is None or row["queue"] == self.queue)
                and (self.category is None or row["category"] == self.category)
                and (self.language is None or row["language"] == self.language))

    def where(self, first_param: int) -> tuple[str, list[Any]]:
        """Predicates for everything but status (live updates decide visibility themselves)."""
        clauses, args = [], []
        for column, value in (("q.brand_id", self.brand), ("q.queue", self.queue),
                              ("q.category", self.category), ("q.language", self.language)):
            if value is not None:
                args.append(value)
                clauses.append(f"{column} = ${first_param + len(args) - 1}")
        return (" AND ".join(clauses) or "TRUE"), args


async def list_items(db: Db, *, scope: Scope, filters: QueueFilters, limit: int) -> list[asyncpg.Record]:
    """The work order: priority first, then the SLA that runs out first."""
    where, args = filters.where(3)
    wanted = filters.statuses()
    others = [s for s in domain.ALL_STATUSES if s not in wanted]
    # PostgreSQL guesses "status = ANY(open statuses)" (a computed column) as rare and sorts every
    # row of the brands; said as "none of the others" it expects most rows to match and reads the
    # work-order index up to the limit: 1 ms instead of 50 on 60,000 rows.
    status = (f"{domain.ITEM_STATUS} <> ALL($2::text[])" if len(others) < len(wanted)
              else f"{domain.ITEM_STATUS} = ANY($2::text[])")
    return await db.fetch(
        f"SELECT {SUMMARY_COLUMNS} FROM {ITEMS} WHERE {in_scope('q.brand_id', 1)} AND {status} AND {where} "
        f"ORDER BY q.priority, q.sla_due_at, q.id LIMIT {int(limit)}",
        scope, others if len(others) < len(wanted) else list(wanted), *args)


# Both sides of an item can change it: the pipeline (queue_items) and the console (queue_work).
# One indexed range scan each, rather than an OR across the join that reads the whole queue.
CHANGED_SINCE = (
    f"SELECT q.id, {domain.ITEM_VERSION} AS version, {domain.ITEM_UPDATED_AT} AS updated_at "
    f"FROM {ITEMS} WHERE q.updated_at > $1 "
    "UNION "
    f"SELECT q.id, {domain.ITEM_VERSION}, {domain.ITEM_UPDATED_AT} FROM {ITEMS} WHERE w.updated_at > $1")


async def changed_versions(db: Db, *, since: datetime) -> list[asyncpg.Record]:
    """(id, version, updated_at) of every item changed after `since`, any brand: small rows,
    so a poll can tell which items are new to it before reading any summary."""
    return await db.fetch(CHANGED_SINCE, since)


async def items_by_id(db: Db, *, scope: Scope, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """Summaries of these items, those in scope only, in no particular order."""
    return await db.fetch(f"SELECT {SUMMARY_COLUMNS} FROM {ITEMS} WHERE q.id = ANY($2::uuid[]) "
                          f"AND {in_scope('q.brand_id', 1)}", scope, ids)


async def facets(db: Db, *, scope: Scope) -> dict[str, list[str]]:
    """Distinct brands, queues, categories and languages the user can filter by."""
    row = await db.fetchrow(
        "SELECT array_agg(DISTINCT brand_id) AS brands, array_agg(DISTINCT queue) AS queues, "
        "array_agg(DISTINCT category) AS categories, "
        "array_agg(DISTINCT language) FILTER (WHERE language IS NOT NULL) AS languages "
        f"FROM queue_items WHERE {in_scope('brand_id', 1)}", scope)
    return {k: sorted(row[k] or []) for k in ("brands", "queues", "categories", "languages")}


class FacetCache:
    """The filter choices per brand scope, read again after `ttl_s`: reading them scans the
    brands' whole queue (40 ms on 60,000 rows, at every queue page load) and they change only
    when a queue, category or language first appears."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[tuple[str, ...] | None, tuple[float, dict[str, list[str]]]] = {}

    async def get(self, db: Db, *, scope: Scope) -> dict[str, list[str]]:
        key = None if scope is None else tuple(scope)
        cached = self._entries.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        value = await facets(db, scope=scope)
        self._entries[key] = (time.monotonic(), value)
        return value


async def get_item(db: Db, *, scope: Scope, item_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"SELECT {DETAIL_COLUMNS} FROM {ITEMS} WHERE q.id = $2 AND {in_scope('q.brand_id', 1)}", scope, item_id)


async def conversation(db: Db, *, scope: Scope, item: asyncpg.Record) -> list[asyncpg.Record]:
    """Other mentions of the same conversation, oldest first, within the user's brands."""
    if not item["conversation_id"]:
        return []
    return await db.fetch(
        f"SELECT {SUMMARY_COLUMNS} FROM {ITEMS} WHERE q.conversation_id = $2 AND q.id <> $3 "
        f"AND {in_scope('q.brand_id', 1)} ORDER BY q.mention_created_at, q.id LIMIT 100",
        scope, item["conversation_id"], item["id"])


async def replies(db: Db, *, item_id: uuid.UUID) -> list[asyncpg.Record]:
    """The item's replies as publish recorded them, and the ones requested here that publish has
    not recorded yet (shown 'requested': read-your-writes)."""
    return await db.fetch(
        "SELECT reply_id, text, requested_by, status, tweet_id, error, requested_at, updated_at "
        "FROM reply_outbox WHERE queue_item_id = $1 "
        "UNION ALL "
        "SELECT r.request_id, r.payload->>'text', r.requested_by, 'requested', NULL, NULL, r.requested_at, "
        "r.requested_at FROM console_requests r WHERE r.item_id = $1 AND r.action = 'reply' "
        "AND NOT EXISTS (SELECT 1 FROM reply_outbox o WHERE o.reply_id = r.request_id) "
        "ORDER BY requested_at, reply_id", item_id)


async def item_history(db: Db, *, item_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT id, at, actor, action, before, after, detail FROM audit_log WHERE item_id = $1 ORDER BY at, id",
        item_id)


# --- incidents -----------------------------------------------------------------------------

# An incident as people see it: publish's row (incidents), with the console's requests not yet applied
# shown as done (and listed in `pending`), so a lead sees the effect of an action at once.
INCIDENTS = """
incidents i
LEFT JOIN console_requests ack ON ack.incident_id = i.incident_id AND ack.action = 'acknowledge'
LEFT JOIN console_requests res ON res.incident_id = i.incident_id AND res.action = 'resolve'
"""
INCIDENT_COLUMNS = """
    i.incident_id, i.brand_id,
    CASE WHEN res.request_id IS NOT NULL THEN 'closed' ELSE i.status END AS status,
    i.opened_at, i.updated_at, coalesce(i.closed_at, res.requested_at) AS closed_at, i.negative_count,
    i.crisis_count, i.rate_per_minute, i.baseline_per_minute, i.summary,
    coalesce(i.acknowledged_at, ack.requested_at, res.requested_at) AS acknowledged_at,
    coalesce(i.acknowledged_by, ack.requested_by, res.requested_by) AS acknowledged_by,
    coalesce(i.resolved_at, res.requested_at) AS resolved_at,
    coalesce(i.resolved_by, res.requested_by) AS resolved_by,
    array_remove(ARRAY[
        CASE WHEN ack.request_id IS NOT NULL AND i.acknowledged_at IS NULL THEN 'acknowledge' END,
        CASE WHEN res.request_id IS NOT NULL AND i.resolved_at IS NULL THEN 'resolve' END], NULL) AS pending,
    (SELECT count(*) FROM queue_items q WHERE q.incident_id = i.incident_id) AS mention_count
"""


async def list_incidents(db: Db, *, scope: Scope, brand: str | None, include_closed: bool) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {INCIDENT_COLUMNS} FROM {INCIDENTS} WHERE {in_scope('i.brand_id', 1)} "
        "AND ($2::text IS NULL OR i.brand_id = $2) "
        "AND ($3 OR (i.status = 'open' AND i.resolved_at IS NULL AND res.request_id IS NULL)) "
        "ORDER BY i.brand_id, i.opened_at DESC LIMIT 200",
        scope, brand, include_closed)


async def get_incident(db: Db, *, scope: Scope, incident_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"SELECT {INCIDENT_COLUMNS} FROM {INCIDENTS} WHERE i.incident_id = $2 AND {in_scope('i.brand_id', 1)}",
        scope, incident_id)


async def incident_volume(db: Db, *, incident_ids: list[str]) -> dict[str, list[tuple[datetime, float]]]:
    rows = await db.fetch(
        "SELECT incident_id, at, rate_per_minute FROM incident_volume WHERE incident_id = ANY($1::text[]) "
        "ORDER BY incident_id, at", incident_ids)
    series: dict[str, list[tuple[datetime, float]]] = {i: [] for i in incident_ids}
    for row in rows:
        series[row["incident_id"]].append((row["at"], float(row["rate_per_minute"])))
    return series


async def incident_mentions(db: Db, *, scope: Scope, incident_ids: list[str], per_incident: int = 20
                            ) -> dict[str, list[asyncpg.Record]]:
    rows = await db.fetch(
        f"SELECT * FROM (SELECT {SUMMARY_COLUMNS}, row_number() OVER (PARTITION BY q.incident_id "
        f"ORDER BY q.priority, q.severity DESC, q.mention_created_at DESC) AS rank FROM {ITEMS} "
        f"WHERE q.incident_id = ANY($2::text[]) AND {in_scope('q.brand_id', 1)}) ranked "
        "WHERE rank <= $3 ORDER BY incident_id, rank", scope, incident_ids, per_incident)
    linked: dict[str, list[asyncpg.Record]] = {i: [] for i in incident_ids}
    for row in rows:
        linked[row["incident_id"]].append(row)
    return linked


# --- audit search --------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    brand: str | None = None
    item_id: uuid.UUID | None = None
    incident_id: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


async def search_audit(db: Db, *, scope: Scope, query: AuditQuery) -> list[asyncpg.Record]:
    """Entries about the user's brands (user management entries have no brand: admins only,
    which the caller enforces by passing scope=None only for '*' grants)."""
    pattern = f"%{query.text}%" if query.text else None
    return await db.fetch(
        "SELECT id, at, actor, action, brand_id, item_id, incident_id, target, before, after, detail "
        "FROM audit_log WHERE ($1::text[] IS NULL OR brand_id = ANY($1::text[])) "
        "AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3) "
        "AND ($4::text IS NULL OR brand_id = $4) AND ($5::uuid IS NULL OR item_id = $5) "
        "AND ($6::text IS NULL OR incident_id = $6) "
        "AND ($7::text IS NULL OR detail ILIKE $7 OR target ILIKE $7 OR before::text ILIKE $7 "
        "     OR after::text ILIKE $7) "
        "AND ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9) "
        "ORDER BY at DESC, id DESC LIMIT $10",
        scope, query.actor, query.action, query.brand, query.item_id, query.incident_id, pattern,
        query.since, query.until, query.limit)
