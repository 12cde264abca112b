"""Polling one brand account's X mentions timeline: since_id checkpoints, pages, rate limits.

One asyncio task per account. Every wait is an `await` on the shared loop, so an account that
is rate-limited or backing off never delays the others (they share nothing but the session).

Checkpoint rule: the next since_id is the newest id of the poll's FIRST page, saved only after
the LAST page's mentions were acknowledged by Kafka (mentionflow.xapi.mentions). A poll that
fails half-way resumes from the failed page's pagination token in memory; after a restart it
re-reads from the saved since_id and the dedup claims absorb what was already produced.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from aiokafka.errors import KafkaError
from mentionflow.events.mentions_raw import Author, Mention
from mentionflow.ingestion import BrandResolver, ObservedPost, TextRejected, to_mentions
from mentionflow.metrics import catalog
from mentionflow.xapi import (
    MentionsPage,
    PermanentXError,
    RateLimited,
    TransientXError,
    XClient,
    XTweet,
    XUser,
    fetch_mentions,
    lookup_user,
)
from mentionflow.xapi.mentions import MENTIONS_ENDPOINT
from pydantic import ValidationError

from mentionflow_ingest import repository
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.settings import XPollingSettings

log = logging.getLogger(__name__)

SOURCE = "x_polling"


class InFlightElsewhere(Exception):
    """A mention of the page is claimed by another attempt not yet acknowledged: retry later,
    so the checkpoint never passes a mention that is not in Kafka yet."""


def post_from_v2(tweet: XTweet, author: XUser | None, polled_user_id: str) -> ObservedPost:
    """A v2 tweet from `polled_user_id`'s mentions timeline, before brand resolution."""
    if author is not None:
        person = Author(id=author.id, handle=author.username, name=author.name,
                        followers=author.followers, verified=author.verified)
    else:  # X leaves suspended/protected authors out of `includes`: keep the mention anyway
        person = Author(id=tweet.author_id, handle=tweet.author_id)
    return ObservedPost(
        external_id=tweet.id,
        text=tweet.text,
        author=person,
        created_at=tweet.created_at,
        source=SOURCE,
        mentioned_handles=tweet.mentioned_usernames,
        addressed_user_ids=(polled_user_id,),
        lang=tweet.lang,
        conversation_id=tweet.conversation_id,
        in_reply_to=tweet.in_reply_to_tweet_id,
        quoted_id=tweet.quoted_id,
        url=f"https://x.com/{person.handle}/status/{tweet.id}",
    )


@dataclass
class _Resume:
    """An interrupted poll: where to continue and what the checkpoint will become."""

    token: str | None = None
    newest_id: str | None = None
    newest_at: datetime | None = None


class MentionPoller:
    def __init__(
        self,
        *,
        handle: str,
        user_id: str | None,
        client: XClient,
        ingestor: Ingestor,
        pool: asyncpg.Pool,
        resolver: BrandResolver,
        settings: XPollingSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.handle = handle
        self.user_id = user_id
        self._client = client
        self._ingestor = ingestor
        self._pool = pool
        self._resolver = resolver
        self._settings = settings
        self._clock = clock
        self._since_id: str | None = None
        self._loaded = False
        self._newest_at: datetime | None = None
        self._resume = _Resume()
        self.polls = 0

    # ------------------------------------------------------------------ one poll

    async def poll_once(self) -> float:
        """Fetch and ingest every page newer than the checkpoint; returns seconds to wait
        before the next poll. Raises RateLimited / TransientXError / PermanentXError /
        InFlightElsewhere, or Kafka/PostgreSQL errors (the resume point is kept)."""
        user_id = await self._user_id()
        if not self._loaded:
            async with self._pool.acquire() as conn:
                self._since_id = await repository.load_checkpoint(conn, account_user_id=user_id)
            self._loaded = True
        resume = self._resume
        wait = self._settings.poll_interval_s
        async for page in fetch_mentions(self._client, user_id, self._since_id, pagination_token=resume.token,
                                         max_results=self._settings.max_results):
            if page.pagination_token is None and page.newest_id is not None:
                resume.newest_id = page.newest_id
                resume.newest_at = max((t.created_at for t in page.tweets), default=None)
            await self._ingest_page(page, user_id)
            resume.token = page.next_token
            if page.rate_limit is not None:
                catalog.INGEST_X_RATE_LIMIT_REMAINING.labels(MENTIONS_ENDPOINT, self.handle).set(
                    page.rate_limit.remaining)
                if page.rate_limit.remaining <= 0:
                    # The window is spent: wait for its reset instead of earning a 429.
                    wait = max(wait, page.rate_limit.reset_at.timestamp() - self._clock())
                    if page.next_token is not None:
                        return wait  # resume from next_token after the reset
        if resume.newest_id is not None:
            async with self._pool.acquire() as conn:
                await repository.save_checkpoint(conn, account_user_id=user_id, account_handle=self.handle,
                                                 since_id=resume.newest_id, newest_at=resume.newest_at)
            self._since_id = resume.newest_id
            if resume.newest_at is not None:
                self._newest_at = max(self._newest_at or resume.newest_at, resume.newest_at)
        self._resume = _Resume()
        self.polls += 1
        if self._newest_at is not None:
            catalog.INGEST_POLL_LAG_SECONDS.labels(self.handle).set(
                max(0.0, self._clock() - self._newest_at.timestamp()))
        return wait

    async def _ingest_page(self, page: MentionsPage, user_id: str) -> None:
        if page.garbage:
            catalog.INGEST_REJECTED.labels(SOURCE, "malformed_item").inc(page.garbage)
        now = datetime.now(UTC)
        mentions: list[Mention] = []
        for tweet in page.tweets:
            try:
                mentions.extend(to_mentions(post_from_v2(tweet, page.author_of(tweet), user_id), self._resolver,
                                            now=now))
            except (TextRejected, ValidationError) as exc:
                catalog.INGEST_REJECTED.labels(SOURCE, "invalid_mention").inc()
                log.warning("@%s: dropping tweet %s: %s", self.handle, tweet.id, exc)
        outcomes = await self._ingestor.ingest(mentions, source=SOURCE)
        if any(o.status == "in_flight" for o in outcomes):
            raise InFlightElsewhere(f"@{self.handle}: a mention of this page is being produced by another attempt")

    async def _user_id(self) -> str:
        if self.user_id is None:
            user = await lookup_user(self._client, self.handle)
            if user is None:
                raise PermanentXError(f"X has no account @{self.handle}", endpoint="user_by_username",
                                      status=404, reason="unknown account")
            self.user_id = user.id
            log.info("@%s is X user %s", self.handle, user.id)
        return self.user_id

    # ------------------------------------------------------------------ the loop

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; never raises (every failure becomes a wait)."""
        backoff = self._settings.backoff_initial_s
        while not stop.is_set():
            try:
                delay = await self.poll_once()
                backoff = self._settings.backoff_initial_s
                catalog.INGEST_POLLS.labels(self.handle, "ok").inc()
            except RateLimited as exc:
                delay = exc.wait_seconds(self._clock()) + random.uniform(0.0, 0.25)
                catalog.INGEST_POLLS.labels(self.handle, "rate_limited").inc()
                log.warning("@%s: rate limited; next poll in %.1fs", self.handle, delay)
            except (TransientXError, InFlightElsewhere, KafkaError, asyncpg.PostgresError, OSError) as exc:
                delay = backoff * random.uniform(0.8, 1.2)
                backoff = min(backoff * 2, self._settings.backoff_max_s)
                catalog.INGEST_POLLS.labels(self.handle, "transient_error").inc()
                log.warning("@%s: %s; retrying in %.1fs", self.handle, exc, delay)
            except PermanentXError as exc:
                delay = self._settings.permanent_error_wait_s
                catalog.INGEST_POLLS.labels(self.handle, "permanent_error").inc()
                log.error("@%s: %s; next try in %.0fs", self.handle, exc, delay)
            except Exception:  # a bug must not end this account's polling for good
                delay = backoff
                backoff = min(backoff * 2, self._settings.backoff_max_s)
                catalog.INGEST_POLLS.labels(self.handle, "transient_error").inc()
                log.exception("@%s: unexpected error while polling; retrying in %.1fs", self.handle, delay)
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, delay))
            except TimeoutError:
                pass
