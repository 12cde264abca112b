"""Following the brand's own published posts: their engagement counts and their quote tweets.

`PublishedPostsHandler` consumes `posts.published`: each post published (status `published`)
is recorded in `ingest_tracked_posts`, due at once. `PostTracker` (a background task) polls
each followed post until a week after publishing (`x.posts.*` settings; more often while it
is young), in one round per due post:

1. counts: GET /2/tweets?ids=… with public_metrics (every part of the thread, up to 100 ids
   per request) → one `posts.metrics` event. The counts are the thread's: likes, reposts,
   quotes and impressions summed over its parts, replies summed minus the thread's own
   continuations (each later part is the brand's reply to the one before, which X counts);
   `tweet_id` is the root. A thread whose root X no longer shows gets no event.
2. quotes: GET /2/tweets/{root}/quote_tweets, newest first, down to the newest quote already
   handed on → each new quote is a `mentions.raw` mention of the post's brand with
   `quoted_id` set, through the one ingest path (dedup claim → produce → ack). Its mention id
   is the usual uuid5(x, quote id, brand), so a quote that also @mentions the brand (and so
   comes through mentions polling too) is one mention, and a re-poll produces nothing new.
   Quotes that do not @mention the brand would otherwise never reach the inbox.

Replies need nothing here: X shows a reply to the brand's post in the brand's mentions
timeline, so the mention poller brings it, with conversation_id = the post's root.

X refusing a round (429, 5xx, network, 4xx) produces nothing in its name, never a zero: the
post is retried after a backoff (never before a 429's reset). Quotas are per endpoint and
credentials (quote tweets: 75 requests per 15 minutes on X): once a response says its window
is spent (x-rate-limit-remaining 0) or X answers 429, the other posts read with the same
credentials are not asked about until the reset; they wait for it like the refused one. A round counts as done only
once Kafka acknowledged its events; a crash before the row is updated repeats the round,
which repeats a metrics snapshot (harmless: the latest wins) and no mention (dedup).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from mentionflow.events import encode, key_for, make_envelope
from mentionflow.events.mentions_raw import Mention
from mentionflow.events.posts_metrics import PostMetrics
from mentionflow.ingestion import BrandResolver, TextRejected, to_mentions
from mentionflow.kafka.runner import BatchResult, IncomingMessage
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    RateLimitStatus,
    XApiError,
    XClient,
    XTweet,
    XTweetMetrics,
    fetch_quotes_page,
    lookup_tweet_metrics,
)
from mentionflow.xapi.engagement import MAX_IDS_PER_TWEETS_LOOKUP, QUOTE_TWEETS_ENDPOINT, TWEETS_LOOKUP_ENDPOINT
from pydantic import ValidationError

from mentionflow_ingest import repository
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.poller import SOURCE, post_from_v2
from mentionflow_ingest.settings import TrackedPostsSettings

log = logging.getLogger(__name__)

PUBLISHED_TOPIC = "posts.published"
METRICS_TOPIC = "posts.metrics"

ReaderFor = Callable[[str], XClient | None]  # account handle -> the client reading for it


def _at(unix_s: float) -> datetime:
    return datetime.fromtimestamp(unix_s, UTC)


class PublishedPostsHandler:
    """Consumes posts.published. Idempotent: a post already followed is left as it is."""

    def __init__(self, *, pool: asyncpg.Pool, settings: TrackedPostsSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        result = BatchResult()
        now = _at(self._clock())
        async with self._pool.acquire() as conn:
            for message in messages:
                event = message.envelope.payload
                if event.status != "published":
                    continue  # failed or cancelled: nothing on X to follow
                if not event.tweet_ids:
                    result.rejected.append((message, "posts.published: status published without tweet_ids"))
                    continue
                track_until = event.finished_at + timedelta(seconds=self._settings.track_for_s)
                if track_until <= now:
                    log.info("post %s published %s: past the tracking window, not followed", event.post_id,
                             event.finished_at.isoformat())
                    continue
                added = await repository.track_post(
                    conn, post_id=event.post_id, brand_id=event.brand_id, account_handle=event.account_handle,
                    tweet_ids=event.tweet_ids, conversation_id=event.conversation_id or event.tweet_ids[0],
                    published_at=event.finished_at, track_until=track_until)
                if added:
                    log.info("following post %s of @%s (%d part(s), root %s) until %s", event.post_id,
                             event.account_handle, len(event.tweet_ids), event.tweet_ids[0], track_until.isoformat())
        return result


def thread_metrics(post: repository.TrackedPost, found: dict[str, XTweetMetrics],
                   observed_at: datetime) -> PostMetrics | None:
    """The thread's counts (see the module docstring), or None when X does not show its root."""
    root = found.get(post.tweet_ids[0])
    if root is None:
        return None
    parts = [found[t] for t in dict.fromkeys(post.tweet_ids) if t in found]
    impressions = [p.impressions for p in parts if p.impressions is not None]
    return PostMetrics(
        post_id=post.post_id, brand_id=post.brand_id, tweet_id=root.id,
        likes=sum(p.likes for p in parts),
        replies=max(0, sum(p.replies for p in parts) - (len(parts) - 1)),
        reposts=sum(p.reposts for p in parts),
        quotes=sum(p.quotes for p in parts),
        impressions=sum(impressions) if root.impressions is not None else None,
        observed_at=observed_at,
    )


@dataclass
class _Round:
    """One due post's round: what X said, or why it refused."""

    post: repository.TrackedPost
    client: XClient | None
    metrics: PostMetrics | None = None
    quotes: list[Mention] = field(default_factory=list)
    newest_quote_id: str | None = None
    error: str | None = None
    outcome: str = "ok"  # or rate_limited, transient_error, permanent_error (the metric's label)
    retry_at: float = 0.0  # not before (a 429's reset)

    def refuse(self, exc: XApiError | str, *, outcome: str = "transient_error") -> None:
        if isinstance(exc, str):
            self.error, self.outcome = exc, outcome
            return
        self.error = f"{exc.endpoint}: {exc}"[:500]
        if isinstance(exc, RateLimited):
            self.outcome = "rate_limited"
            self.retry_at = max(self.retry_at, exc.reset_at.timestamp())
        else:
            self.outcome = "permanent_error" if isinstance(exc, PermanentXError) else "transient_error"


class PostTracker:
    """Polls the due tracked posts; `poll_due()` is one round, `run()` the background task.
    `clock` (unix seconds) is injectable for tests."""

    def __init__(self, *, pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka: KafkaSettings, ingestor: Ingestor,
                 resolver: BrandResolver, settings: TrackedPostsSettings, reader_for: ReaderFor,
                 clock: Callable[[], float] = time.time) -> None:
        self._pool = pool
        self._producer = producer
        self._kafka = kafka
        self._ingestor = ingestor
        self._resolver = resolver
        self._settings = settings
        self._reader_for = reader_for
        self._clock = clock
        # (client, endpoint) -> unix time its quota window resets, once X said it is spent.
        self._spent_until: dict[tuple[int, str], float] = {}

    def _spent(self, one: _Round, endpoint: str) -> bool:
        """True (and the round refused until the reset) when `endpoint`'s window is spent for
        the round's credentials: asking anyway would only earn a 429."""
        reset = self._spent_until.get((id(one.client), endpoint), 0.0)
        if reset <= self._clock():
            return False
        one.refuse(f"{endpoint}: quota spent until {_at(reset).isoformat()}", outcome="rate_limited")
        one.retry_at = max(one.retry_at, reset)
        return True

    def _note_quota(self, client: XClient, endpoint: str, status: RateLimitStatus | None,
                    exc: XApiError | None = None) -> None:
        if isinstance(exc, RateLimited):
            self._spent_until[(id(client), endpoint)] = exc.reset_at.timestamp()
        elif status is not None and status.remaining <= 0:
            self._spent_until[(id(client), endpoint)] = status.reset_at.timestamp()

    async def poll_due(self) -> float:
        """Poll every due post (up to `batch`); returns seconds until the next one is due.

        Raises KafkaError / PostgreSQL errors: then no row of the round is updated, so the
        same posts are due again (their events may repeat; see the module docstring).
        """
        now = self._clock()
        at = _at(now)
        async with self._pool.acquire() as conn:
            due = await repository.due_tracked_posts(conn, now=at, limit=self._settings.batch)
        rounds = [_Round(post, self._reader_for(post.account_handle)) for post in due]
        for one in rounds:
            if one.client is None:
                one.refuse(f"no X credentials to read @{one.post.account_handle}", outcome="permanent_error")
        await self._look_up([r for r in rounds if r.client is not None], at)
        for one in rounds:
            if one.error is None:
                await self._read_quotes(one)
        await self._produce(rounds, at)
        async with self._pool.acquire() as conn:
            for one in rounds:
                await self._record(conn, one, now)
            next_at = await repository.next_tracked_poll_at(conn, now=at)
            catalog.INGEST_TRACKED_POSTS.set(await repository.count_tracked_posts(conn, now=at))
        return max(0.0, next_at.timestamp() - now) if next_at is not None else self._settings.check_interval_s

    async def _look_up(self, rounds: list[_Round], observed_at: datetime) -> None:
        """Fill each round's metrics (or its refusal), batching posts read by the same client."""
        by_client: dict[int, list[_Round]] = {}
        for one in rounds:
            by_client.setdefault(id(one.client), []).append(one)
        for group in by_client.values():
            batch: list[_Round] = []
            for one in group:
                if batch and sum(len(r.post.tweet_ids) for r in batch) + len(one.post.tweet_ids) > \
                        MAX_IDS_PER_TWEETS_LOOKUP:
                    await self._look_up_batch(batch, observed_at)
                    batch = []
                batch.append(one)
            if batch:
                await self._look_up_batch(batch, observed_at)

    async def _look_up_batch(self, batch: list[_Round], observed_at: datetime) -> None:
        client = batch[0].client
        assert client is not None
        if any([self._spent(one, TWEETS_LOOKUP_ENDPOINT) for one in batch]):
            return
        ids = [t for one in batch for t in one.post.tweet_ids][:MAX_IDS_PER_TWEETS_LOOKUP]
        try:
            result = await lookup_tweet_metrics(client, ids)
        except XApiError as exc:
            self._note_quota(client, TWEETS_LOOKUP_ENDPOINT, None, exc)
            for one in batch:
                one.refuse(exc)
            log.warning("tweets lookup of %d post(s) refused: %s", len(batch), exc)
            return
        self._note_quota(client, TWEETS_LOOKUP_ENDPOINT, result.rate_limit)
        for one in batch:
            one.metrics = thread_metrics(one.post, result.found, observed_at)
            if one.metrics is None:
                reason = result.refused.get(one.post.tweet_ids[0], "left out")
                one.refuse(f"X does not show the post's root {one.post.tweet_ids[0]}: {reason}",
                           outcome="permanent_error")

    async def _read_quotes(self, one: _Round) -> None:
        """New quote tweets of the root, as mentions of the post's brand (newest first, down to
        the newest already handed on; at most max_quote_pages pages a round)."""
        assert one.client is not None
        root = one.post.tweet_ids[0]
        known = int(one.post.newest_quote_id) if one.post.newest_quote_id else 0
        token: str | None = None
        fresh: list[tuple[XTweet, Mention]] = []
        try:
            for _page in range(self._settings.max_quote_pages):
                if self._spent(one, QUOTE_TWEETS_ENDPOINT):
                    return
                page = await fetch_quotes_page(one.client, root, pagination_token=token)
                self._note_quota(one.client, QUOTE_TWEETS_ENDPOINT, page.rate_limit)
                newer = [t for t in page.tweets if int(t.id) > known]
                for tweet in newer:
                    fresh.extend((tweet, m) for m in self._as_mentions(one.post, tweet, page.author_of(tweet)))
                if len(newer) < len(page.tweets) or page.next_token is None:
                    break
                token = page.next_token
        except XApiError as exc:
            self._note_quota(one.client, QUOTE_TWEETS_ENDPOINT, None, exc)
            one.refuse(exc)
            return
        one.quotes = [m for _tweet, m in fresh]
        if fresh:
            one.newest_quote_id = str(max(int(tweet.id) for tweet, _m in fresh))

    def _as_mentions(self, post: repository.TrackedPost, tweet: XTweet, author: object) -> list[Mention]:
        # The quote addresses the post's account whether or not it names it.
        observed = replace(post_from_v2(tweet, author, ""),  # type: ignore[arg-type]
                           mentioned_handles=(post.account_handle,), addressed_user_ids=(),
                           quoted_id=tweet.quoted_id or post.tweet_ids[0])
        try:
            mentions = to_mentions(observed, self._resolver)
        except (TextRejected, ValidationError) as exc:
            catalog.INGEST_REJECTED.labels(SOURCE, "invalid_mention").inc()
            log.warning("post %s: dropping quote %s: %s", post.post_id, tweet.id, exc)
            return []
        # The post's brand; an account missing from the brand config resolves to no client
        # brand and stays an unrouted mention, which a person sees.
        return [m for m in mentions if m.brand_id == post.brand_id] or mentions

    async def _produce(self, rounds: list[_Round], at: datetime) -> None:
        """Every round's metrics and new quotes, acknowledged by Kafka before returning."""
        topic = self._kafka.physical(METRICS_TOPIC)
        futures = []
        for one in rounds:
            if one.metrics is not None:
                envelope = make_envelope(METRICS_TOPIC, one.metrics, brand_id=one.post.brand_id,
                                         correlation_id=one.post.post_id, occurred_at=at)
                futures.append(await self._producer.send(topic, encode(envelope), key=key_for(METRICS_TOPIC, envelope)))
        await asyncio.gather(*futures)
        quotes = [m for one in rounds for m in one.quotes]
        if quotes:
            outcomes = await self._ingestor.ingest(quotes, source=SOURCE)
            in_flight = {o.mention.external_id for o in outcomes if o.status == "in_flight"}
            for one in rounds:
                if any(m.external_id in in_flight for m in one.quotes):
                    # Another attempt holds a claim: keep newest_quote_id back until it is in Kafka.
                    one.newest_quote_id = None
                    one.refuse("a quote of this post is being produced by another attempt")

    async def _record(self, conn: asyncpg.Connection, one: _Round, now: float) -> None:
        catalog.INGEST_POST_POLLS.labels(one.post.account_handle, one.outcome).inc()
        if one.error is None:
            age = now - one.post.published_at.timestamp()
            await repository.tracked_post_polled(
                conn, post_id=one.post.post_id, polled_at=_at(now),
                next_poll_at=_at(now + self._settings.interval_for(age)), newest_quote_id=one.newest_quote_id)
            return
        backoff = min(self._settings.retry_initial_s * 2 ** one.post.failures, self._settings.retry_max_s)
        retry = max(now + backoff, one.retry_at)
        log.warning("post %s (@%s): %s; retry in %.0fs", one.post.post_id, one.post.account_handle, one.error,
                    retry - now)
        await repository.tracked_post_failed(conn, post_id=one.post.post_id, next_poll_at=_at(retry),
                                             error=one.error)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; never raises (a failed round is retried)."""
        failures = 0
        while not stop.is_set():
            try:
                wait = await self.poll_due()
                failures = 0
            except (KafkaError, asyncpg.PostgresError, OSError) as exc:
                failures += 1
                wait = min(self._settings.retry_initial_s * 2 ** (failures - 1), self._settings.retry_max_s)
                log.warning("tracked posts: %s: %s; next round in %.0fs", type(exc).__name__, exc, wait)
            except Exception:  # a bug must not end the tracking for good
                failures += 1
                wait = min(self._settings.retry_initial_s * 2 ** (failures - 1), self._settings.retry_max_s)
                log.exception("tracked posts: unexpected error; next round in %.0fs", wait)
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(wait, self._settings.check_interval_s))
            except TimeoutError:
                pass

