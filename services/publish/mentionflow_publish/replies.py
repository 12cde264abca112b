"""Posts replies to X from the outbox, exactly once per reply id, and reports outcomes.

The Kafka handler only records requests (reply_outbox + schedule); this loop does the posting,
so an account waiting for its rate-limit window holds back nobody else and no Kafka batch.

For one reply, holding its advisory lock on one connection:
1. re-read the row; finished rows are left alone;
2. 'pending' means an earlier attempt may have reached X (a crash, a timeout, a 5xx after
   the fact): look for it among the account's recent tweets first; found → sent, reconciled;
3. wait for the account's budget (configured limit, X's 429 reset) — by rescheduling, not
   sleeping;
4. commit 'pending', post, record 'sent' with the tweet id; a 429 returns it to 'requested'
   (nothing was posted); a permanent refusal (401, 403 duplicate, ...) ends it 'failed' with
   the reason; other errors retry with backoff up to `reply_max_attempts`, then 'failed'.
Outcomes go to replies.published (at least once; consumers key on reply_id).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from mentionflow import db
from mentionflow.brandconfig import normalize_handle
from mentionflow.events import encode, key_for, make_envelope
from mentionflow.events.replies_published import ReplyPublished
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

from mentionflow_publish import reply_store
from mentionflow_publish.delivery_worker import backoff_s
from mentionflow_publish.ratelimit import PostingBudget
from mentionflow_publish.reply_store import OutboxRow
from mentionflow_publish.settings import PublishSettings, XAccount

log = logging.getLogger(__name__)

DUE_BATCH = 500
PUBLISH_BATCH = 500
# Posts appear in the account's timeline with X's clock; look a little before the request.
RECONCILE_MARGIN = timedelta(minutes=2)


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


def _utc(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


class ReplyDispatcher:
    def __init__(self, pool: asyncpg.Pool, settings: PublishSettings, session: XSession,
                 producer: AIOKafkaProducer, kafka: KafkaSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.session = session
        self.producer = producer
        self.kafka = kafka
        self._accounts: dict[str, _Account] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(settings.reply_concurrency)
        self._wakeup = asyncio.Event()
        self._outcomes_ready = asyncio.Event()
        self._posted_here = 0

    def wake(self) -> None:
        self._wakeup.set()
        self._outcomes_ready.set()

    def _account(self, handle: str) -> _Account | None:
        key = normalize_handle(handle)
        if key not in self._accounts:
            config = self.settings.accounts.get(key)
            if config is None:
                return None
            self._accounts[key] = _Account(key, config, self.session)
        return self._accounts[key]

    # ---- the loops -----------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        """Post due replies and report outcomes until `stopping`; two loops, so a slow broker
        never holds back posting (nor a slow X the reporting)."""
        await asyncio.gather(self._loop(stopping, self._wakeup, self._post_due, "reply loop"),
                             self._loop(stopping, self._outcomes_ready, self.publish_outcomes, "outcome loop"))

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
        await self._dispatch(await reply_store.due(self.pool, limit=DUE_BATCH))

    async def drain(self, timeout_s: float) -> None:
        """Let in-flight posts finish (a cancelled one stays 'pending' and is reconciled later)."""
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _dispatch(self, rows: list[OutboxRow]) -> None:
        by_account: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            by_account[normalize_handle(row.account_handle)].append(row)
        now = time.time()
        for handle, items in by_account.items():
            running = self._tasks.get(handle)
            if running is not None and not running.done():
                continue
            account = self._account(handle)
            if account is not None and account.budget.next_free_at(now) > now:
                await reply_store.schedule_many(self.pool, [r.reply_id for r in items],
                                                _utc(account.budget.next_free_at(now)))
                continue
            self._tasks[handle] = asyncio.create_task(self._work_account(handle, items), name=f"replies:{handle}")

    async def _work_account(self, handle: str, rows: list[OutboxRow]) -> None:
        async with self._slots:
            try:
                for index, row in enumerate(rows):
                    if not await self._process(row):
                        account = self._account(handle)
                        rest = [r.reply_id for r in rows[index + 1:]]
                        if account is not None and rest:
                            await reply_store.schedule_many(
                                self.pool, rest, _utc(account.budget.next_free_at(time.time())))
                        break
            except Exception:
                # Rows keep their state ('pending' ones are reconciled): nothing is lost.
                log.exception("replies of @%s: stopped on an unexpected error", handle)
            finally:
                self.wake()

    # ---- one reply -----------------------------------------------------------------------
    async def _process(self, row: OutboxRow) -> bool:
        """Handle one reply; False when its account must wait (rate limit)."""
        async with self.pool.acquire() as conn:
            if not await reply_store.try_lock(conn, row.reply_id):
                return True  # another replica (or task) holds it
            try:
                return await self._process_locked(conn, row.reply_id)
            finally:
                await reply_store.unlock(conn, row.reply_id)

    async def _process_locked(self, conn: asyncpg.Connection, reply_id: str) -> bool:
        row = await reply_store.current(conn, reply_id)
        if row is None or row.status not in ("requested", "pending"):
            return True
        account = self._account(row.account_handle)
        if account is None:
            await self._fail(conn, row, f"no X credentials configured for account @{row.account_handle}")
            return True
        try:
            if row.status == "pending" and await self._reconcile(conn, account, row):
                return True
            now = time.time()
            free_at = account.budget.next_free_at(now)
            if free_at > now:
                await reply_store.schedule(conn, row.reply_id, _utc(free_at), error=None, transient=False)
                return False
            await reply_store.mark_pending(conn, row.reply_id)
            account.budget.record_post(now)
            tweet_id = await post_reply(account.poster, row.text, row.in_reply_to_external_id)
            self._after_post_accepted()
            await reply_store.mark_sent(conn, row.reply_id, tweet_id, reconciled=False)
            self._finished(row, "posted")
            log.info("reply %s posted as tweet %s by @%s", row.reply_id, tweet_id, account.handle)
            return True
        except RateLimited as exc:
            account.budget.block_until(exc.reset_at.timestamp())
            if exc.endpoint == CREATE_TWEET_ENDPOINT:
                await reply_store.mark_not_posted(conn, row.reply_id)  # a 429 posts nothing
            await reply_store.schedule(conn, row.reply_id, exc.reset_at, error=str(exc), transient=False)
            m.PUBLISH_REPLIES.labels("rate_limited").inc()
            log.warning("reply %s: @%s rate limited until %s", row.reply_id, account.handle,
                        exc.reset_at.isoformat())
            return False
        except PermanentXError as exc:
            await self._fail(conn, row, f"X refused ({exc.status}): {exc.reason}")
            return True
        except TransientXError as exc:
            failures = await reply_store.schedule(conn, row.reply_id, datetime.now(UTC), error=str(exc),
                                                  transient=True)
            if failures >= self.settings.reply_max_attempts:
                # Still 'pending' if a post may have gone out: one last look before giving up.
                latest = await reply_store.current(conn, row.reply_id)
                if latest is not None and latest.status == "pending" and await self._reconcile_quietly(
                        conn, account, latest):
                    return True
                await self._fail(conn, row, f"gave up after {failures} transient errors: {exc}")
                return True
            delay = backoff_s(failures, self.settings.reply_backoff_initial_s, self.settings.reply_backoff_max_s)
            await reply_store.schedule(conn, row.reply_id, datetime.now(UTC) + timedelta(seconds=delay),
                                       error=None, transient=False)
            m.PUBLISH_REPLIES.labels("retried").inc()
            log.warning("reply %s: %s; retrying in %.1fs", row.reply_id, exc, delay)
            return True

    async def _reconcile(self, conn: asyncpg.Connection, account: _Account, row: OutboxRow) -> bool:
        """True when X already holds the reply (recorded as sent, reconciled)."""
        found = await find_posted_reply(
            account.poster, await account.own_user_id(), in_reply_to_tweet_id=row.in_reply_to_external_id,
            text=row.text, since=row.requested_at - RECONCILE_MARGIN)
        if found is None:
            log.info("reply %s was pending but is not on X: posting it", row.reply_id)
            return False
        await reply_store.mark_sent(conn, row.reply_id, found.id, reconciled=True)
        self._finished(row, "reconciled")
        log.info("reply %s found on X as tweet %s after a crash: not posted again", row.reply_id, found.id)
        return True

    async def _reconcile_quietly(self, conn: asyncpg.Connection, account: _Account, row: OutboxRow) -> bool:
        try:
            return await self._reconcile(conn, account, row)
        except (RateLimited, TransientXError, PermanentXError) as exc:
            log.warning("reply %s: could not reconcile before giving up: %s", row.reply_id, exc)
            return False

    async def _fail(self, conn: asyncpg.Connection, row: OutboxRow, reason: str) -> None:
        await reply_store.mark_failed(conn, row.reply_id, reason)
        self._finished(row, "failed")
        log.warning("reply %s failed: %s", row.reply_id, reason)

    def _finished(self, row: OutboxRow, outcome: str) -> None:
        m.PUBLISH_REPLIES.labels(outcome).inc()
        m.PUBLISH_DELIVERY_LATENCY_SECONDS.labels("reply").observe(
            max(0.0, (datetime.now(UTC) - row.requested_at).total_seconds()))
        self.wake()

    def _after_post_accepted(self) -> None:
        """Fault injection for the crash tests: die between X's acceptance and our record."""
        self._posted_here += 1
        if self.settings.fault_kill_after_posts and self._posted_here >= self.settings.fault_kill_after_posts:
            log.error("fault injection: SIGKILL after %d accepted posts, before recording", self._posted_here)
            os.kill(os.getpid(), signal.SIGKILL)

    # ---- outcomes → replies.published ------------------------------------------------
    async def publish_outcomes(self) -> int:
        outcomes = await reply_store.unpublished_outcomes(self.pool, limit=PUBLISH_BATCH)
        if not outcomes:
            return 0
        futures = []
        for outcome in outcomes:
            payload = ReplyPublished(
                reply_id=outcome.reply_id, brand_id=outcome.brand_id, mention_id=outcome.mention_id,
                status=outcome.status, tweet_id=outcome.tweet_id,
                error=outcome.error[:2000] if outcome.error else None, reconciled=outcome.reconciled,
                finished_at=outcome.finished_at)
            envelope = make_envelope("replies.published", payload, brand_id=outcome.brand_id,
                                     correlation_id=outcome.mention_id)
            futures.append(await self.producer.send(self.kafka.physical("replies.published"), encode(envelope),
                                                    key=key_for("replies.published", envelope)))
        await asyncio.gather(*futures)
        await reply_store.mark_published(self.pool, [o.reply_id for o in outcomes])
        return len(outcomes)
