"""The daily follower snapshots: every brand account's public counts, once per UTC day.

One background task looks up the accounts due (not yet snapshotted today, retry time come)
with GET /2/users (up to 100 ids a request, per set of reading credentials) and produces
one `accounts.snapshots` event per account and attempt; publish keeps them in PostgreSQL.

A lookup X refuses (429, 5xx, a network failure: every account of the request; a suspended
or unknown account: that one) is produced as `missing` with the reason — never as a zero —
and retried the same day after a backoff (at least until a 429's reset); a later success
that day is produced as `ok` and replaces it. Once an account is `ok` it is left alone until
the next UTC day: the accounts whose `ok` Kafka acknowledged are recorded in
`ingest_snapshot_days`, so a restarted or second ingest does not look them up again that day.
A crash between the acknowledgement and that record costs one more lookup, which publish
absorbs (the day's first `ok` is kept): one row per account and day, its counts taken once.

An account configured without `x_user_id` is first resolved by handle; until that works its
snapshots cannot be keyed and are not produced (logged, retried with the same backoff).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from mentionflow.events import encode, key_for, make_envelope
from mentionflow.events.accounts_snapshots import AccountSnapshot
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    XAccountCounts,
    XApiError,
    XClient,
    lookup_account_counts,
    lookup_user,
)
from mentionflow.xapi.users import MAX_IDS_PER_LOOKUP

from mentionflow_ingest import repository
from mentionflow_ingest.settings import SnapshotSettings

log = logging.getLogger(__name__)

TOPIC = "accounts.snapshots"


@dataclass(frozen=True, slots=True)
class SnapshotAccount:
    """A configured brand account and the client that reads it."""

    brand_id: str
    handle: str
    user_id: str | None
    client: XClient


@dataclass
class _Today:
    """One account's progress on one UTC day."""

    day: date
    attempts: int = 0
    done: bool = False
    next_at: float = 0.0  # unix time of the next attempt


@dataclass
class _Attempt:
    account: SnapshotAccount
    user_id: str
    counts: XAccountCounts | None = None
    reason: str | None = None
    retry_at: float | None = field(default=None)  # a 429's reset: not before


def _utc_day(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


def _next_midnight(now: float) -> float:
    day = _utc_day(now) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def refusal_reason(exc: XApiError) -> str:
    """What a refused lookup says in the snapshot's `reason`."""
    if isinstance(exc, RateLimited):
        return f"rate limited by X (429); retry after {exc.reset_at.isoformat()}"
    if isinstance(exc, PermanentXError):
        return f"refused by X ({exc.status}): {exc.reason}"[:500]
    status = f" ({exc.status})" if exc.status else ""
    return f"X unavailable{status}: {exc}"[:500]


class AccountSnapshotter:
    """Snapshots `accounts` once a UTC day. `clock` (unix seconds) is injectable for tests;
    `snapshot_due()` is one round, `run()` the service's background task."""

    def __init__(self, *, accounts: Sequence[SnapshotAccount], producer: AIOKafkaProducer,
                 pool: asyncpg.Pool, kafka: KafkaSettings, settings: SnapshotSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self._accounts = list(accounts)
        self._producer = producer
        self._pool = pool
        self._kafka = kafka
        self._settings = settings
        self._clock = clock
        self._today: dict[str, _Today] = {}
        self._resolved: dict[str, str] = {a.handle.lower(): a.user_id for a in accounts if a.user_id}

    def _progress(self, account: SnapshotAccount, day: date) -> _Today:
        key = account.handle.lower()
        progress = self._today.get(key)
        if progress is None or progress.day != day:
            progress = self._today[key] = _Today(day=day)
        return progress

    def _backoff(self, attempts: int) -> float:
        return min(self._settings.retry_initial_s * 2 ** max(0, attempts - 1), self._settings.retry_max_s)

    async def snapshot_due(self) -> float:
        """Look up and produce every account due now; returns seconds until the next is due.

        Returns once every event of the round is acknowledged by Kafka. Raises KafkaError
        when producing fails: nothing of the round is then counted as done, so the next
        round looks the same accounts up again.
        """
        now = self._clock()
        day = _utc_day(now)
        due = [a for a in self._accounts if not self._progress(a, day).done and self._progress(a, day).next_at <= now]
        done_elsewhere = await self._done_before(day) if due else set()
        attempts: list[_Attempt] = []
        for account in due:
            user_id = await self._user_id(account)
            if user_id in done_elsewhere:
                self._progress(account, day).done = True
                log.info("@%s %s: snapshot already taken (an earlier run); not looked up again", account.handle, day)
            elif user_id is None:
                progress = self._progress(account, day)
                progress.attempts += 1
                progress.next_at = now + self._backoff(progress.attempts)
            else:
                attempts.append(_Attempt(account, user_id))
        by_client: dict[int, list[_Attempt]] = {}
        for attempt in attempts:
            by_client.setdefault(id(attempt.account.client), []).append(attempt)
        for group in by_client.values():
            for start in range(0, len(group), MAX_IDS_PER_LOOKUP):
                await self._look_up(group[start:start + MAX_IDS_PER_LOOKUP])
        await self._produce(attempts, day, now)
        return self._seconds_to_next(now)

    async def _done_before(self, day: date) -> set[str]:
        """The accounts whose `ok` of `day` an earlier run (or another replica) recorded. The
        database being unreachable must not stop the snapshots: then none, at worst a lookup
        more that publish absorbs."""
        try:
            async with self._pool.acquire() as conn:
                return await repository.snapshotted_accounts(conn, day=day)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("account snapshots: the day's progress not read (%s); looking every due account up", exc)
            return set()

    async def _record_done(self, day: date, account_user_ids: list[str]) -> None:
        try:
            async with self._pool.acquire() as conn:
                await repository.mark_snapshotted(conn, day=day, account_user_ids=account_user_ids)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("account snapshots: the day's progress not recorded (%s); a restart today "
                        "looks these accounts up again", exc)

    async def _user_id(self, account: SnapshotAccount) -> str | None:
        key = account.handle.lower()
        if key in self._resolved:
            return self._resolved[key]
        try:
            user = await lookup_user(account.client, account.handle)
        except XApiError as exc:
            log.warning("@%s: X user id not resolved (%s); no snapshot until it is", account.handle, exc)
            return None
        if user is None:
            log.warning("@%s: X shows no such account; no snapshot until it does", account.handle)
            return None
        self._resolved[key] = user.id
        return user.id

    async def _look_up(self, batch: list[_Attempt]) -> None:
        """Fill each attempt's counts or reason; never raises an X error (it is the reason)."""
        try:
            result = await lookup_account_counts(batch[0].account.client, [a.user_id for a in batch])
        except XApiError as exc:
            reason = refusal_reason(exc)
            retry_at = exc.reset_at.timestamp() if isinstance(exc, RateLimited) else None
            for attempt in batch:
                attempt.reason, attempt.retry_at = reason, retry_at
            log.warning("users lookup of %d account(s) refused: %s", len(batch), reason)
            return
        for attempt in batch:
            attempt.counts = result.found.get(attempt.user_id)
            if attempt.counts is None:
                attempt.reason = f"X left the account out: {result.refused.get(attempt.user_id, 'no reason given')}"

    async def _produce(self, attempts: list[_Attempt], day: date, now: float) -> None:
        fetched_at = datetime.fromtimestamp(now, UTC)
        records: list[tuple[_Attempt, AccountSnapshot]] = []
        for attempt in attempts:
            progress = self._progress(attempt.account, day)
            snapshot = AccountSnapshot(
                brand_id=attempt.account.brand_id, account_id=attempt.user_id,
                handle=attempt.account.handle.lstrip("@"), day=day,
                status="ok" if attempt.counts is not None else "missing",
                followers=attempt.counts.followers if attempt.counts else None,
                following=attempt.counts.following if attempt.counts else None,
                posts=attempt.counts.posts if attempt.counts else None,
                reason=attempt.reason if attempt.counts is None else None,
                attempt=progress.attempts + 1, fetched_at=fetched_at)
            records.append((attempt, snapshot))
        topic = self._kafka.physical(TOPIC)
        futures = []
        for _attempt, snapshot in records:
            envelope = make_envelope(TOPIC, snapshot, brand_id=snapshot.brand_id,
                                     correlation_id=f"{snapshot.account_id}:{day.isoformat()}", occurred_at=fetched_at)
            futures.append(await self._producer.send(topic, encode(envelope), key=key_for(TOPIC, envelope)))
        await asyncio.gather(*futures)
        # Only what Kafka acknowledged counts as done (or as an attempt of the day).
        for attempt, snapshot in records:
            progress = self._progress(attempt.account, day)
            progress.attempts = snapshot.attempt
            catalog.INGEST_ACCOUNT_SNAPSHOTS.labels(snapshot.handle, snapshot.status).inc()
            if snapshot.status == "ok":
                progress.done = True
                log.info("@%s %s: %d followers, %d following, %d posts", snapshot.handle, day,
                         snapshot.followers, snapshot.following, snapshot.posts)
            else:
                progress.next_at = max(now + self._backoff(progress.attempts), attempt.retry_at or 0.0)
                log.warning("@%s %s: snapshot missing (attempt %d): %s; retry in %.0fs", snapshot.handle, day,
                            snapshot.attempt, snapshot.reason, progress.next_at - now)
        done = [snapshot.account_id for _attempt, snapshot in records if snapshot.status == "ok"]
        if done:
            await self._record_done(day, done)

    def _seconds_to_next(self, now: float) -> float:
        day = _utc_day(now)
        pending = [p.next_at for a in self._accounts if not (p := self._progress(a, day)).done]
        next_at = min(pending) if pending else _next_midnight(now)
        return max(0.0, next_at - now)

    async def run(self, stop: asyncio.Event) -> None:
        """Snapshot until `stop` is set; never raises (a failed round is retried)."""
        failures = 0
        while not stop.is_set():
            try:
                wait = await self.snapshot_due()
                failures = 0
            except (KafkaError, OSError) as exc:
                failures += 1
                wait = self._backoff(failures)
                log.warning("account snapshots: %s: %s; next round in %.0fs", type(exc).__name__, exc, wait)
            except Exception:  # a bug must not end the snapshots for good
                failures += 1
                wait = self._backoff(failures)
                log.exception("account snapshots: unexpected error; next round in %.0fs", wait)
            # Never sleep past check_interval_s: the wall clock may jump (suspend, NTP).
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(wait, self._settings.check_interval_s))
            except TimeoutError:
                pass
