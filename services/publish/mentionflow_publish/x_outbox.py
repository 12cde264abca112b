"""One outbox engine for everything publish posts to X, exactly once: replies and brand posts.

An outbox item is one or more *parts*, each one POST /2/tweets (a reply has one part; a post
has one per tweet of its thread, each a reply to the previous part). The Kafka handler only
records items; this engine posts them. A store per kind (reply_store.ReplyOutbox,
post_store.PostOutbox) holds the rows and says what the next part is.

For one item, holding its advisory lock on one connection:
1. re-read the row; finished rows are left alone;
2. a part 'in flight' means an earlier attempt may have reached X (a crash, a timeout, a 5xx
   after the fact): look for it among the account's recent tweets first (same text, same
   in_reply_to); found → recorded with X's id, reconciled, and never posted again;
3. wait for the account's budget (configured limit, X's 429 reset) — by rescheduling, not
   sleeping;
4. commit 'in flight', post, record the tweet id — before the next part is posted; a 429
   clears 'in flight' (nothing was posted); a permanent refusal (401, 403 duplicate, suspended
   account) ends the item 'failed' with X's reason; other errors retry with backoff up to
   `reply_max_attempts`, then 'failed'.
Outcomes go to the kind's outcome topic (at least once; consumers key on the item id).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from mentionflow import db
from mentionflow.brandconfig import normalize_handle
from mentionflow.events import encode, key_for
from mentionflow.events.envelope import Envelope
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    TransientXError,
    XClient,
    XSession,
    authenticated_user_id,
    find_posted_reply,
    post_reply,
)
from mentionflow.xapi.quota import quota_observer
from mentionflow.xapi.replies import CREATE_TWEET_ENDPOINT

from mentionflow_publish.delivery_worker import backoff_s
from mentionflow_publish.ratelimit import PostingBudget
from mentionflow_publish.settings import PublishSettings, XAccount

log = logging.getLogger(__name__)

DUE_BATCH = 500
PUBLISH_BATCH = 500
# Posts appear in the account's timeline with X's clock; look a little before the attempt.
RECONCILE_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Part:
    """One POST /2/tweets of an item: its text, and the tweet it answers (None: a new post)."""

    index: int
    text: str
    in_reply_to: str | None


class OutboxItem(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def account_handle(self) -> str: ...
    @property
    def open(self) -> bool: ...  # parts left to post (or to reconcile)
    @property
    def in_flight(self) -> bool: ...  # a POST may have reached X without being recorded
    @property
    def reconcile_since(self) -> datetime: ...  # where to start looking on X
    @property
    def latency_from(self) -> datetime: ...  # the cause of the post (requested, or due)
    def next_part(self) -> Part | None: ...


class OutboxStore(Protocol):
    """The rows of one kind of outbox item. Every write is idempotent and guarded by status,
    so a stale caller changes nothing."""

    kind: str  # "reply" | "post": log lines, task names, the latency metric's label
    lock_class: int  # advisory lock key space
    outcome_topic: str  # replies.published | posts.published

    def count(self, outcome: str) -> None: ...  # outcome metric
    async def due(self, pool: asyncpg.Pool, *, limit: int) -> Sequence[OutboxItem]: ...
    async def current(self, conn: asyncpg.Connection, key: str) -> OutboxItem | None: ...
    async def mark_in_flight(self, conn: asyncpg.Connection, item: OutboxItem, part: Part) -> bool: ...
    async def mark_not_posted(self, conn: asyncpg.Connection, key: str) -> None: ...
    async def record_part(self, conn: asyncpg.Connection, item: OutboxItem, part: Part, tweet_id: str, *,
                          reconciled: bool) -> bool: ...  # True when that was the last part
    async def mark_failed(self, conn: asyncpg.Connection, key: str, reason: str) -> None: ...
    async def schedule(self, conn: asyncpg.Connection, key: str, at: datetime, *, error: str | None,
                       transient: bool) -> int: ...
    async def schedule_many(self, pool: asyncpg.Pool, keys: Sequence[str], at: datetime) -> None: ...
    async def outcome_events(self, pool: asyncpg.Pool, *, limit: int) -> list[tuple[str, Envelope[Any]]]: ...
    async def mark_published(self, pool: asyncpg.Pool, keys: Sequence[str]) -> None: ...


class _Account:
    def __init__(self, handle: str, config: XAccount, session: XSession) -> None:
        self.handle = handle
        self.config = config
        self.poster: XClient = session.poster(config.credentials, observer=quota_observer("publish", handle))
        self.user_id = config.user_id
        self.budget = PostingBudget(config.posts_per_window, config.window_s)

    async def own_user_id(self) -> str:
        if self.user_id is None:
            self.user_id = await authenticated_user_id(self.poster)
        return self.user_id


class XAccounts:
    """The accounts publish posts as, shared by every outbox: one posting budget per account
    whatever it posts (replies and brand posts draw on the same X limit)."""

    def __init__(self, settings: PublishSettings, session: XSession) -> None:
        self.settings = settings
        self.session = session
        self._accounts: dict[str, _Account] = {}
        self._posted_here = 0

    def get(self, handle: str) -> _Account | None:
        key = normalize_handle(handle)
        if key not in self._accounts:
            config = self.settings.accounts.get(key)
            if config is None:
                return None
            self._accounts[key] = _Account(key, config, self.session)
        return self._accounts[key]

    def after_post_accepted(self) -> None:
        """Fault injection for the crash tests: die between X's acceptance and our record."""
        self._posted_here += 1
        kill_after = self.settings.fault_kill_after_posts
        if kill_after and self._posted_here >= kill_after:
            log.error("fault injection: SIGKILL after %d accepted posts, before recording", self._posted_here)
            os.kill(os.getpid(), signal.SIGKILL)


def _utc(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


class XOutbox:
    """Posts one kind of outbox item to X and reports the outcomes."""

    def __init__(self, pool: asyncpg.Pool, settings: PublishSettings, accounts: XAccounts, store: OutboxStore,
                 producer: AIOKafkaProducer, kafka: KafkaSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.accounts = accounts
        self.store = store
        self.producer = producer
        self.kafka = kafka
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(settings.reply_concurrency)
        self._wakeup = asyncio.Event()
        self._outcomes_ready = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()
        self._outcomes_ready.set()

    # ---- the loops -----------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        """Post due items and report outcomes until `stopping`; two loops, so a slow broker
        never holds back posting (nor a slow X the reporting)."""
        kind = self.store.kind
        await asyncio.gather(self._loop(stopping, self._wakeup, self._post_due, f"{kind} loop"),
                             self._loop(stopping, self._outcomes_ready, self.publish_outcomes,
                                        f"{kind} outcome loop"))

    async def _loop(self, stopping: asyncio.Event, wakeup: asyncio.Event,
                    step: Callable[[], Awaitable[object]], name: str) -> None:
        while not stopping.is_set():
            wakeup.clear()
            try:
                await step()
            except (*db.TRANSIENT_ERRORS, KafkaError) as exc:
                log.warning("%s: %s: %s; retrying", name, type(exc).__name__, exc)
            waits = [asyncio.ensure_future(wakeup.wait()), asyncio.ensure_future(stopping.wait())]
            await asyncio.wait(waits, timeout=self.settings.reply_poll_s, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()

    async def _post_due(self) -> None:
        await self._dispatch(await self.store.due(self.pool, limit=DUE_BATCH))

    async def drain(self, timeout_s: float) -> None:
        """Let in-flight posts finish (a cancelled one stays in flight and is reconciled later)."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _dispatch(self, items: Sequence[OutboxItem]) -> None:
        by_account: dict[str, list[OutboxItem]] = defaultdict(list)
        for item in items:
            by_account[normalize_handle(item.account_handle)].append(item)
        now = time.time()
        for handle, batch in by_account.items():
            running = self._tasks.get(handle)
            if running is not None and not running.done():
                continue
            account = self.accounts.get(handle)
            if account is not None and account.budget.next_free_at(now) > now:
                await self.store.schedule_many(self.pool, [i.key for i in batch],
                                               _utc(account.budget.next_free_at(now)))
                continue
            self._tasks[handle] = asyncio.create_task(self._work_account(handle, batch),
                                                      name=f"{self.store.kind}s:{handle}")

    async def _work_account(self, handle: str, items: list[OutboxItem]) -> None:
        async with self._slots:
            try:
                for index, item in enumerate(items):
                    if not await self._process(item):
                        account = self.accounts.get(handle)
                        rest = [i.key for i in items[index + 1:]]
                        if account is not None and rest:
                            await self.store.schedule_many(
                                self.pool, rest, _utc(account.budget.next_free_at(time.time())))
                        break
            except Exception:
                # Rows keep their state (in-flight parts are reconciled): nothing is lost.
                log.exception("%ss of @%s: stopped on an unexpected error", self.store.kind, handle)
            finally:
                self.wake()

    # ---- one item ------------------------------------------------------------------------
    async def _process(self, item: OutboxItem) -> bool:
        """Handle one item; False when its account must wait (rate limit)."""
        async with self.pool.acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext($2))",
                                       self.store.lock_class, item.key):
                return True  # another replica (or task) holds it
            try:
                return await self._process_locked(conn, item.key)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1, hashtext($2))", self.store.lock_class, item.key)

    async def _process_locked(self, conn: asyncpg.Connection, key: str) -> bool:
        kind = self.store.kind
        item = await self.store.current(conn, key)
        if item is None or not item.open:
            return True
        account = self.accounts.get(item.account_handle)
        if account is None:
            await self._fail(conn, item, f"no X credentials configured for account @{item.account_handle}")
            return True
        reconciled = False
        try:
            while (part := item.next_part()) is not None:
                if item.in_flight and await self._reconcile(conn, account, item, part):
                    reconciled = True
                else:
                    now = time.time()
                    free_at = account.budget.next_free_at(now)
                    if free_at > now:
                        await self.store.schedule(conn, key, _utc(free_at), error=None, transient=False)
                        return False
                    if not await self.store.mark_in_flight(conn, item, part):
                        return True  # cancelled meanwhile (or finished by someone else)
                    account.budget.record_post(now)
                    tweet_id = await post_reply(account.poster, part.text, part.in_reply_to)
                    self.accounts.after_post_accepted()
                    if await self.store.record_part(conn, item, part, tweet_id, reconciled=reconciled):
                        self._finished(item, "reconciled" if reconciled else "posted")
                    log.info("%s %s part %d posted as tweet %s by @%s", kind, key, part.index + 1, tweet_id,
                             account.handle)
                latest = await self.store.current(conn, key)
                if latest is None or not latest.open:
                    return True
                item = latest
            return True
        except RateLimited as exc:
            account.budget.block_until(exc.reset_at.timestamp())
            if exc.endpoint == CREATE_TWEET_ENDPOINT:
                await self.store.mark_not_posted(conn, key)  # a 429 posts nothing
            await self.store.schedule(conn, key, exc.reset_at, error=str(exc), transient=False)
            self.store.count("rate_limited")
            log.warning("%s %s: @%s rate limited until %s", kind, key, account.handle, exc.reset_at.isoformat())
            return False
        except PermanentXError as exc:
            await self._fail(conn, item, f"X refused ({exc.status}): {exc.reason}")
            return True
        except TransientXError as exc:
            failures = await self.store.schedule(conn, key, datetime.now(UTC), error=str(exc), transient=True)
            if failures >= self.settings.reply_max_attempts:
                # Still in flight if a post may have gone out: one last look before giving up.
                latest = await self.store.current(conn, key)
                part = latest.next_part() if latest is not None else None
                if latest is not None and part is not None and latest.in_flight and await self._reconcile_quietly(
                        conn, account, latest, part):
                    return True  # the next round posts the remaining parts, if any
                await self._fail(conn, item, f"gave up after {failures} transient errors: {exc}")
                return True
            delay = backoff_s(failures, self.settings.reply_backoff_initial_s, self.settings.reply_backoff_max_s)
            await self.store.schedule(conn, key, datetime.now(UTC) + timedelta(seconds=delay), error=None,
                                      transient=False)
            self.store.count("retried")
            log.warning("%s %s: %s; retrying in %.1fs", kind, key, exc, delay)
            return True

    async def _reconcile(self, conn: asyncpg.Connection, account: _Account, item: OutboxItem, part: Part) -> bool:
        """True when X already holds the part (recorded with X's id, reconciled)."""
        found = await find_posted_reply(
            account.poster, await account.own_user_id(), in_reply_to_tweet_id=part.in_reply_to,
            text=part.text, since=item.reconcile_since - RECONCILE_MARGIN)
        if found is None:
            log.info("%s %s part %d was in flight but is not on X: posting it", self.store.kind, item.key,
                     part.index + 1)
            return False
        if await self.store.record_part(conn, item, part, found.id, reconciled=True):
            self._finished(item, "reconciled")
        log.info("%s %s part %d found on X as tweet %s after a crash: not posted again", self.store.kind, item.key,
                 part.index + 1, found.id)
        return True

    async def _reconcile_quietly(self, conn: asyncpg.Connection, account: _Account, item: OutboxItem,
                                 part: Part) -> bool:
        try:
            return await self._reconcile(conn, account, item, part)
        except (RateLimited, TransientXError, PermanentXError) as exc:
            log.warning("%s %s: could not reconcile before giving up: %s", self.store.kind, item.key, exc)
            return False

    async def _fail(self, conn: asyncpg.Connection, item: OutboxItem, reason: str) -> None:
        await self.store.mark_failed(conn, item.key, reason)
        self._finished(item, "failed")
        log.warning("%s %s failed: %s", self.store.kind, item.key, reason)

    def _finished(self, item: OutboxItem, outcome: str) -> None:
        self.store.count(outcome)
        m.PUBLISH_DELIVERY_LATENCY_SECONDS.labels(self.store.kind).observe(
            max(0.0, (datetime.now(UTC) - item.latency_from).total_seconds()))
        self.wake()

    # ---- outcomes → the kind's outcome topic ---------------------------------------------
    async def publish_outcomes(self) -> int:
        events = await self.store.outcome_events(self.pool, limit=PUBLISH_BATCH)
        if not events:
            return 0
        topic = self.store.outcome_topic
        futures = []
        for _, envelope in events:
            futures.append(await self.producer.send(self.kafka.physical(topic), encode(envelope),
                                                    key=key_for(topic, envelope)))
        await asyncio.gather(*futures)
        await self.store.mark_published(self.pool, [key for key, _ in events])
        return len(events)
