"""Live queue updates as server-sent events, from one shared poll of PostgreSQL per console.

Polling instead of LISTEN/NOTIFY keeps every replica stateless and needs no extra connection
per stream. One `ItemFeed` per process polls for every brand and hands each open stream the
changes in its user's brands and filters: 200 CM sessions cost one poll, and each change is
read and serialised once, not once per session. A stream gets one `items` event per poll
(a batch), so a burst of 1,000 changes a second is a few writes per session, not 1,000.

A transaction that commits late carries an updated_at older than rows already sent, so each
poll also re-reads a short window behind its cursor (ids and versions only) and skips the
(id, version) pairs it has already sent. Rows outside a user's brands never reach their stream.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import asyncpg
import orjson
from mentionflow.accounts import User
from mentionflow.metrics import catalog

from mentionflow_console import notes, repository, schemas
from mentionflow_console.reads import now

log = logging.getLogger(__name__)

LATE_COMMIT_WINDOW = timedelta(seconds=5)
BATCH = 500
READ_CHUNK = 1_000  # summaries read per query
# A stream whose client stopped reading gets a `reset` (reload the queue) rather than an
# ever-growing buffer; a client reading normally is far below this.
MAX_PENDING_BYTES = 64 * 1024 * 1024
RESET = b"event: reset\ndata: {}\n\n"
# Catching up from a cursor older than this is a reload, not a replay of the history.
MAX_CATCH_UP = timedelta(minutes=15)
Render = Callable[[schemas.ItemSummary], str]


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


@dataclass(eq=False)
class Change:
    """One item's new version, serialised once for every stream that shows it."""

    row: asyncpg.Record
    item: schemas.ItemSummary
    render: Render | None

    @cached_property
    def item_json(self) -> bytes:
        return self.item.model_dump_json().encode()

    @cached_property
    def identity_json(self) -> bytes:
        """For the UI: the rendered row carries everything else."""
        item = self.item
        return orjson.dumps({"id": str(item.id), "brand_id": item.brand_id, "status": item.status,
                             "version": item.version})

    @cached_property
    def html_json(self) -> bytes:
        return orjson.dumps(self.render(self.item) if self.render is not None else None)

    def event_part(self, *, visible: bool, html: bool) -> bytes:
        # Built from the pre-serialised pieces: orjson would re-encode the same item per view.
        flag = b',"visible":true' if visible else b',"visible":false'
        if html:
            return b'{"item":' + self.identity_json + flag + b',"html":' + self.html_json + b"}"
        return b'{"item":' + self.item_json + flag + b"}"


def changes_of(rows: list[asyncpg.Record], render: Render | None) -> list[Change]:
    moment = now()
    ordered = sorted(rows, key=lambda r: (r["updated_at"], r["id"]))
    return [Change(r, schemas.item_summary(r, moment), render) for r in ordered]


@dataclass(frozen=True)
class View:
    """What a stream shows. Streams with the same view get the very same bytes, built once per
    poll: a team of CMs on the same brands costs one serialisation, not one each."""

    scope: tuple[str, ...] | None
    filters: repository.QueueFilters
    html: bool

    @classmethod
    def of(cls, user: User, filters: repository.QueueFilters, *, html: bool) -> View:
        scope = user.brand_scope
        return cls(None if scope is None else tuple(scope), filters, html)

    def batch(self, changes: list[Change]) -> bytes:
        """The view's part of `changes`, as the comma-separated members of an `items` array."""
        brands = None if self.scope is None else frozenset(self.scope)
        shown = frozenset(self.filters.statuses())
        return b",".join(
            change.event_part(visible=change.row["status"] in shown, html=self.html) for change in changes
            if (brands is None or change.row["brand_id"] in brands) and self.filters.matches(change.row))


@dataclass(eq=False)
class Subscription:
    """One open stream: its view, and the batches waiting for it to send."""

    view: View
    pending: list[bytes] = field(default_factory=list)
    pending_bytes: int = 0
    cursor: datetime | None = None
    overflowed: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, batch: bytes, cursor: datetime) -> None:
        self.cursor = cursor
        if not batch:
            return
        self.pending.append(batch)
        self.pending_bytes += len(batch)
        if self.pending_bytes > MAX_PENDING_BYTES:
            self.take()
            self.overflowed = True
        self.ready.set()

    def take(self) -> list[bytes]:
        taken, self.pending, self.pending_bytes = self.pending, [], 0
        self.ready.clear()
        return taken


class ItemFeed:
    """The process's one poll for queue changes, running while at least one stream is open."""

    def __init__(self, pool: asyncpg.Pool, *, poll_interval_s: float, render: Render | None) -> None:
        self._pool = pool
        self._poll_interval_s = poll_interval_s
        self._render = render
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._cursor: datetime | None = None
        self._sent: dict[uuid.UUID, tuple[int, datetime]] = {}  # id -> (version, updated_at), within the window

    def subscribe(self, subscription: Subscription) -> None:
        """Start handing `subscription` every change from the feed's next poll on."""
        self._subscribers.add(subscription)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="console-item-feed")

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def streams(self) -> int:
        return len(self._subscribers)

    async def _run(self) -> None:
        # Ends by itself once the last stream has gone: nothing to cancel at shutdown.
        self._cursor = None
        while self._subscribers:
            try:
                if self._cursor is None:
                    self._cursor = await self._pool.fetchval("SELECT now()")
                    self._sent.clear()
                self._hand_out(await self._poll(), self._cursor)
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("live updates: polling the queue failed (%s); trying again", exc)
            except Exception:  # a bug must not silence every stream of the process for good
                log.exception("live updates: a poll failed; trying again")
            await asyncio.sleep(self._poll_interval_s)

    def _hand_out(self, changes: list[Change], cursor: datetime) -> None:
        batches: dict[View, bytes] = {}
        for subscription in list(self._subscribers):
            view = subscription.view
            if view not in batches:
                batches[view] = view.batch(changes)
            subscription.offer(batches[view], cursor)

    async def _poll(self) -> list[Change]:
        assert self._cursor is not None
        horizon = self._cursor - LATE_COMMIT_WINDOW
        versions = await repository.changed_versions(self._pool, since=horizon)
        new = [r["id"] for r in versions if self._sent.get(r["id"], (None,))[0] != r["version"]]
        rows = await self._summaries(None, new)
        for row in rows:
            self._sent[row["id"]] = (row["version"], row["updated_at"])
        self._cursor = max([self._cursor, *(r["updated_at"] for r in versions)])
        horizon = self._cursor - LATE_COMMIT_WINDOW
        for key in [k for k, (_, at) in self._sent.items() if at < horizon]:
            del self._sent[key]
        return changes_of(rows, self._render)

    async def _summaries(self, scope: repository.Scope, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
        return [row for start in range(0, len(ids), READ_CHUNK)
                for row in await repository.items_by_id(self._pool, scope=scope, ids=ids[start:start + READ_CHUNK])]

    async def catch_up(self, subscription: Subscription, since: datetime) -> None:
        """Put the changes a stream missed since its cursor (and the late-commit window before
        it) ahead of what the feed hands it from now on; a row shown twice is harmless."""
        versions = await repository.changed_versions(self._pool, since=since - LATE_COMMIT_WINDOW)
        scope = subscription.view.scope
        rows = await self._summaries(None if scope is None else list(scope), [r["id"] for r in versions])
        from_feed = subscription.take()
        cursor = subscription.cursor or max([since, *(r["updated_at"] for r in rows)])
        subscription.offer(subscription.view.batch(changes_of(rows, self._render)), cursor)
        for batch in from_feed:
            subscription.offer(batch, subscription.cursor or cursor)


def items_event(batches: list[bytes], cursor: datetime) -> bytes:
    return (f"id: {cursor.isoformat()}\nevent: items\ndata: ".encode() + b'{"items":[' + b",".join(batches)
            + b"]}\n\n")


async def item_events(
    feed: ItemFeed, *, user: User, filters: repository.QueueFilters, since: datetime | None, html: bool,
    keepalive_s: float, is_disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """Yield an `items` event per poll that changed items of the stream: `{items: [{item,
    visible}]}` (`visible`: does it still match the status filter), oldest first, until the
    client goes away; `reset`: reload the queue. With `html` (the UI), each also has `html`,
    the rendered row, and `item` is only id, brand_id, status, version: half the bytes."""
    subscription = Subscription(View.of(user, filters, html=html))
    catalog.CONSOLE_LIVE_STREAMS.inc()
    feed.subscribe(subscription)
    try:
        yield b"retry: 2000\n\n"
        if since is not None and now() - since > MAX_CATCH_UP:
            yield RESET
        elif since is not None:
            await feed.catch_up(subscription, since)
        while not await is_disconnected():
            try:
                await asyncio.wait_for(subscription.ready.wait(), keepalive_s)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            overflowed, subscription.overflowed = subscription.overflowed, False
            batches = subscription.take()
            if overflowed:
                yield RESET
            elif batches and subscription.cursor is not None:
                yield items_event(batches, subscription.cursor)
    finally:
        feed.unsubscribe(subscription)
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
