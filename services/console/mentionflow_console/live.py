"""Live queue updates as server-sent events, by polling PostgreSQL for changed rows.

Polling instead of LISTEN/NOTIFY keeps every replica stateless and needs no extra connection
per stream. A transaction that commits late carries an updated_at older than rows already
sent, so each poll also re-reads a short window behind the cursor and skips (id, version)
pairs it has already sent. Rows outside the user's brands are never read.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg
import orjson
from mentionflow.accounts import User
from mentionflow.metrics import catalog

from mentionflow_console import notes, repository, schemas
from mentionflow_console.reads import now

log = logging.getLogger(__name__)

LATE_COMMIT_WINDOW = timedelta(seconds=5)
BATCH = 500


def parse_cursor(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and 1970 <= parsed.year <= 2200 else None


def sse(event: str, data: object, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {orjson.dumps(data).decode()}\n\n"


class Keepalive:
    """When a quiet stream is due a comment line (so proxies do not close it as idle)."""

    def __init__(self, every_s: float) -> None:
        self._every_s = every_s
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()

    def sent(self) -> None:
        self._last = self._loop.time()

    def due(self) -> bool:
        """True (and counted as sent) when nothing went out for `every_s`."""
        if self._loop.time() - self._last <= self._every_s:
            return False
        self.sent()
        return True


async def item_events(
    pool: asyncpg.Pool, *, user: User, filters: repository.QueueFilters, since: datetime | None,
    poll_interval_s: float, keepalive_s: float, is_disconnected: Callable[[], Awaitable[bool]],
    render: Callable[[schemas.ItemSummary], str] | None = None,
) -> AsyncIterator[str]:
    """Yield one `item` event per changed item (with `visible`: does it still match the
    status filter) until the client goes away. `render` adds an HTML row for the UI."""
    cursor = since or await pool.fetchval("SELECT now()")
    sent: dict[uuid.UUID, tuple[int, datetime]] = {}
    wanted = set(filters.statuses())
    keepalive = Keepalive(keepalive_s)
    catalog.CONSOLE_LIVE_STREAMS.inc()
    try:
        yield "retry: 2000\n\n"
        while not await is_disconnected():
            fresh = await repository.changed_items(pool, scope=user.brand_scope, filters=filters,
                                                   since=cursor, limit=BATCH)
            late = await repository.changed_items(pool, scope=user.brand_scope, filters=filters,
                                                  since=cursor - LATE_COMMIT_WINDOW, limit=BATCH)
            moment = now()
            for row in sorted({r["id"]: r for r in [*late, *fresh]}.values(), key=lambda r: r["updated_at"]):
                if sent.get(row["id"], (None,))[0] == row["version"]:
                    continue
                sent[row["id"]] = (row["version"], row["updated_at"])
                cursor = max(cursor, row["updated_at"])
                item = schemas.item_summary(row, moment)
                data = {"item": item.model_dump(mode="json"), "visible": row["status"] in wanted}
                if render is not None:
                    data["html"] = render(item)
                yield sse("item", data, cursor.isoformat())
                keepalive.sent()
            horizon = cursor - LATE_COMMIT_WINDOW
            for key in [k for k, (_, at) in sent.items() if at < horizon]:
                del sent[key]
            if keepalive.due():
                yield ": keepalive\n\n"
            await asyncio.sleep(poll_interval_s)
    finally:
        catalog.CONSOLE_LIVE_STREAMS.dec()


async def mention_events(
    pool: asyncpg.Pool, *, user: User, after_id: int | None, poll_interval_s: float, keepalive_s: float,
    is_disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """Yield one `mention` event per new note mentioning the user (in their brands), oldest
    first, until the client goes away; `id` is the note id (the cursor)."""
    cursor = after_id if after_id is not None else await notes.latest_mention_id(pool, user=user)
    keepalive = Keepalive(keepalive_s)
    catalog.CONSOLE_LIVE_STREAMS.inc()
    try:
        yield "retry: 2000\n\n"
        while not await is_disconnected():
            for row in reversed(await notes.mentions_of(pool, user=user, after_id=cursor, limit=BATCH)):
                cursor = max(cursor, row["id"])
                yield sse("mention", schemas.mention_out(row).model_dump(mode="json"), str(row["id"]))
                keepalive.sent()
            if keepalive.due():
                yield ": keepalive\n\n"
            await asyncio.sleep(poll_interval_s)
    finally:
        catalog.CONSOLE_LIVE_STREAMS.dec()
