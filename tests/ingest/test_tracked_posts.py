"""The brand's own posts followed by ingest: posts.published in, posts.metrics and quote mentions
out, over the real Kafka and PostgreSQL and tweepy talking to the fake X on 127.0.0.1.

The first test runs the whole service by serve() (the real consumer of posts.published, the
tracker and the mention pollers as background tasks); the others drive the tracker's rounds
on an injected clock shared with the fake, so counts and retry times are exact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from mentionflow.brandconfig import load_config
from mentionflow.events import decode, encode, key_for, make_envelope
from mentionflow.events.posts_published import PostPublished
from mentionflow.ingestion import BrandResolver
from mentionflow.kafka.runner import IncomingMessage
from mentionflow.service import RunningService, serve
from mentionflow.settings import HttpSettings, KafkaSettings, PostgresSettings, RunnerSettings
from mentionflow.xapi import XApiSettings, XSession
from mentionflow_ingest import repository
from mentionflow_ingest.main import build_spec
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.settings import IngestSettings, SnapshotSettings, TrackedPostsSettings
from mentionflow_ingest.tracked_posts import PostTracker, PublishedPostsHandler
from mentionflow_tools.fakex import AddMentions, FakeXServer, FakeXState, Fault
from mentionflow_tools.fakex.models import AddEngagement, CrowdPost, RateLimitRule

from tests.helpers import end_offsets, eventually, read_all
from tests.ingest.conftest import ACME, CREDENTIALS, FAN, GLOBEX, STAR, polling_settings

INGEST_TOPICS = ("mentions.raw", "posts.published", "posts.metrics", "accounts.snapshots")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp()


def brand_post(fake: FakeXServer, text: str, in_reply_to: str | None = None) -> str:
    """A post of @AcmeHelp on the fake, as publish would make it (POST /2/tweets)."""
    body: dict[str, Any] = {"text": text}
    if in_reply_to is not None:
        body["reply"] = {"in_reply_to_tweet_id": in_reply_to}
    status, answer = fake.state.create_tweet(ACME.id, body, "oauth1")
    assert status == 201, answer
    return str(answer["data"]["id"])


def published(post_id: str, tweet_ids: list[str], *, at: datetime, status: str = "published") -> PostPublished:
    return PostPublished(post_id=post_id, brand_id="acme", account_handle=ACME.username, status=status,  # type: ignore[arg-type]
                         tweet_ids=tweet_ids, conversation_id=tweet_ids[0] if tweet_ids else None,
                         error=None if status == "published" else "X refused", finished_at=at)


async def send_published(producer: AIOKafkaProducer, kafka: KafkaSettings, event: PostPublished) -> None:
    envelope = make_envelope("posts.published", event, brand_id=event.brand_id, correlation_id=event.post_id,
                             occurred_at=event.finished_at)
    await producer.send_and_wait(kafka.physical("posts.published"), encode(envelope),
                                 key=key_for("posts.published", envelope))


async def read_events(kafka: KafkaSettings, topic: str, *, expect: int, timeout_s: float = 15.0) -> list[Any]:
    records = await read_all(kafka, kafka.physical(topic), expect=expect, timeout_s=timeout_s)
    return [decode(topic, r.value) for r in records]


async def count(kafka: KafkaSettings, topic: str) -> int:
    return sum((await end_offsets(kafka, topic)).values())


# ------------------------------------------------------------------------------------ the service


@pytest.fixture
async def steady_fake() -> AsyncIterator[FakeXServer]:
    """A fake on the wall clock whose counts are only what the test adds (no organic growth)."""
    async with FakeXServer(FakeXState(accounts=[ACME, GLOBEX], engagement_seed=None)) as server:
        server.state.add_mentions(AddMentions(users=[FAN, STAR]))
        yield server


async def engage(fake: FakeXServer, body: dict[str, Any]) -> dict[str, Any]:
    """POST /_fake/engagement over HTTP, as the console's browser test and the demo do."""
    async with aiohttp.ClientSession() as http, http.post(f"{fake.base_url}/_fake/engagement", json=body) as answer:
        assert answer.status == 200, await answer.text()
        return dict(await answer.json())


async def test_a_published_post_is_followed_its_counts_quotes_and_replies_come_back(
        steady_fake: FakeXServer, config_path: Path, kafka_settings: KafkaSettings, fresh_database_dsn: str,
        runner_settings: RunnerSettings, producer: AIOKafkaProducer) -> None:
    fake = steady_fake
    root = brand_post(fake, "Which feature should we ship next? Tell us!")
    part = brand_post(fake, "2/ the best answer wins a hoodie", in_reply_to=root)
    made = await engage(fake, {"tweet_id": part, "likes": 25, "reposts": 4,
                               "replies": [{"text": "dark mode please", "author_id": FAN.id}]})
    quotes = await engage(fake, {"tweet_id": root, "likes": 10, "quotes": [
        {"text": "they asked, so: offline maps", "author_id": STAR.id},  # does not @mention the brand
        {"text": f"@{ACME.username} a better search, obviously", "author_id": FAN.id},
    ]})
    assert made["conversation_id"] == root
    silent_quote, mentioning_quote = quotes["quotes"]
    [reply] = made["replies"]

    settings = IngestSettings(
        kafka=kafka_settings, postgres=PostgresSettings(dsn=fresh_database_dsn), http=HttpSettings(port=0),
        runner=runner_settings, log_json=False, brand_config=config_path,
        x=polling_settings(api=XApiSettings(base_url=fake.base_url, timeout_s=5), accounts=[ACME.username],
                           snapshots=SnapshotSettings(enabled=False),
                           posts=TrackedPostsSettings(young_interval_s=0.3, check_interval_s=0.2, retry_initial_s=0.3)))
    await send_published(producer, kafka_settings, published("post-1", [], at=datetime.now(UTC), status="failed"))
    await send_published(producer, kafka_settings, published("post-2", [root, part], at=datetime.now(UTC)))

    async with serving(settings, config_path):
        metrics = await read_events(kafka_settings, "posts.metrics", expect=2, timeout_s=30)
        # Rounds go on while young; every quote and reply is one mention, however many rounds.
        await eventually(lambda: _calls_at_least(fake, "quote_tweets", 3), what="three rounds of quotes")
        mentions = [e.payload.mention for e in await read_events(kafka_settings, "mentions.raw", expect=3)]

    assert {e.payload.post_id for e in metrics} == {"post-2"}, "failed posts are not followed"
    first = metrics[0].payload
    assert (first.tweet_id, first.likes, first.reposts, first.quotes) == (root, 35, 4, 2)
    assert first.replies == 1, "the fan's reply; the thread's own second part is not counted"
    assert metrics[0].correlation_id == "post-2" and metrics[0].brand_id == "acme"
    shown = fake.state.public_metrics(fake.state.tweet(root))  # type: ignore[arg-type]
    assert (shown["like_count"], shown["quote_count"]) == (10, 2), "the root's own counts, before summing"

    by_id = {m.external_id: m for m in mentions}
    assert sorted(by_id) == sorted([reply, silent_quote, mentioning_quote]) and len(mentions) == 3
    assert by_id[reply].conversation_id == root and by_id[reply].in_reply_to == part
    assert by_id[reply].quoted_id is None
    assert by_id[silent_quote].quoted_id == by_id[mentioning_quote].quoted_id == root
    assert by_id[silent_quote].author.handle == STAR.username and by_id[silent_quote].brand_id == "acme"
    assert all(m.brand_id == "acme" and m.account_handle == ACME.username for m in mentions)


async def _calls_at_least(fake: FakeXServer, endpoint: str, n: int) -> bool:
    return len(fake.state.calls(endpoint)) >= n


@asynccontextmanager
async def serving(settings: IngestSettings, config_path: Path) -> AsyncIterator[RunningService]:
    """The ingest service started by serve(), as in production."""
    spec = replace(build_spec(settings, load_config(config_path)), topics=INGEST_TOPICS)
    stop = asyncio.Event()
    started: asyncio.Future[RunningService] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(serve(spec, settings, stop=stop, started=started.set_result))
    await asyncio.wait([started, running], return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        raise RuntimeError(f"ingest did not start: exit {running.result()}")
    try:
        yield started.result()
    finally:
        stop.set()
        assert await running == 0


# ------------------------------------------------------------------------------------ the rounds


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


TRACKING = TrackedPostsSettings(young_for_s=86400, young_interval_s=300, interval_s=3600, retry_initial_s=60,
                                retry_max_s=1800)


class Rig:
    def __init__(self, fake: FakeXServer, clock: Clock, handler: PublishedPostsHandler, tracker: PostTracker,
                 pool: asyncpg.Pool, kafka: KafkaSettings) -> None:
        self.fake, self.clock, self.handler, self.tracker, self.pool, self.kafka = (
            fake, clock, handler, tracker, pool, kafka)

    async def publish(self, event: PostPublished) -> None:
        envelope = make_envelope("posts.published", event, brand_id=event.brand_id, correlation_id=event.post_id)
        message = IncomingMessage(topic="posts.published", partition=0, offset=0, key=None, value=None, headers=(),
                                  timestamp_ms=0, envelope=envelope)
        result = await self.handler.handle([message])
        assert not result.rejected and not result.outputs

    async def row(self, post_id: str) -> asyncpg.Record:
        async with self.pool.acquire() as conn:
            return await conn.fetchrow("SELECT * FROM ingest_tracked_posts WHERE post_id = $1", post_id)


@pytest.fixture
async def rig(pool: asyncpg.Pool, producer: AIOKafkaProducer, kafka_settings: KafkaSettings,
              ingestor: Ingestor, resolver: BrandResolver) -> AsyncIterator[Rig]:
    clock = Clock()
    async with FakeXServer(FakeXState(accounts=[ACME, GLOBEX], clock=clock, engagement_seed=5)) as fake:
        fake.state.add_mentions(AddMentions(users=[FAN, STAR]))
        async with XSession(XApiSettings(base_url=fake.base_url, timeout_s=5)) as session:
            reader = session.reader(CREDENTIALS)
            tracker = PostTracker(pool=pool, producer=producer, kafka=kafka_settings, ingestor=ingestor,
                                  resolver=resolver, settings=TRACKING, clock=clock,
                                  reader_for=lambda handle: reader if handle == ACME.username else None)
            yield Rig(fake, clock, PublishedPostsHandler(pool=pool, settings=TRACKING, clock=clock), tracker,
                      pool, kafka_settings)


async def test_a_refused_round_produces_no_zeros_and_is_retried_after_the_reset(rig: Rig) -> None:
    fake, clock = rig.fake, rig.clock
    root = brand_post(fake, "Our autumn menu is out")
    await rig.publish(published("post-9", [root], at=datetime.fromtimestamp(T0, UTC)))
    await rig.publish(published("post-9", [root], at=datetime.fromtimestamp(T0, UTC)))  # redelivered: no-op

    clock.now = T0 + 600
    fake.state.inject(Fault(endpoint="tweets_lookup", kind="rate_limit", reset_in_s=120))
    assert await rig.tracker.poll_due() == pytest.approx(120, abs=2), "next look: the 429's reset"
    assert await count(rig.kafka, "posts.metrics") == 0, "a refused lookup is never a zero"
    row = await rig.row("post-9")
    assert row["failures"] == 1 and "rate limited" in row["last_error"] and row["last_polled_at"] is None

    clock.now = T0 + 660  # before the reset: nothing is due, X is not asked
    lookups = len(fake.state.calls("tweets_lookup"))
    await rig.tracker.poll_due()
    assert len(fake.state.calls("tweets_lookup")) == lookups

    clock.now = T0 + 725
    fake.state.inject(Fault(endpoint="tweets_lookup", kind="error", status=503))
    await rig.tracker.poll_due()
    assert await count(rig.kafka, "posts.metrics") == 0 and (await rig.row("post-9"))["failures"] == 2

    clock.now = T0 + 725 + 121  # past the second backoff (60 s doubled)
    await rig.tracker.poll_due()
    [event] = await read_events(rig.kafka, "posts.metrics", expect=1)
    counts = fake.state.public_metrics(fake.state.tweet(root))  # type: ignore[arg-type]
    got = event.payload
    assert (got.likes, got.replies, got.reposts, got.quotes, got.impressions) == (
        counts["like_count"], counts["reply_count"], counts["retweet_count"], counts["quote_count"],
        counts["impression_count"])
    assert got.likes > 0 and got.observed_at == datetime.fromtimestamp(clock.now, UTC)
    row = await rig.row("post-9")
    assert row["failures"] == 0 and row["last_error"] is None
    assert row["next_poll_at"] == datetime.fromtimestamp(clock.now + 300, UTC), "young: every 5 minutes"

    clock.now = T0 + 2 * 86400  # no longer young: hourly
    await rig.tracker.poll_due()
    later = (await read_events(rig.kafka, "posts.metrics", expect=2))[-1].payload
    assert later.likes > got.likes and later.impressions > got.impressions  # type: ignore[operator]
    assert (await rig.row("post-9"))["next_poll_at"] == datetime.fromtimestamp(clock.now + 3600, UTC)

    clock.now = T0 + 8 * 86400  # past the week: no longer followed
    lookups = len(fake.state.calls("tweets_lookup"))
    await rig.tracker.poll_due()
    assert len(fake.state.calls("tweets_lookup")) == lookups and await count(rig.kafka, "posts.metrics") == 2


async def test_quotes_become_mentions_once_and_a_failed_quote_read_is_retried(rig: Rig) -> None:
    fake, clock = rig.fake, rig.clock
    root = brand_post(fake, "Vote: pizza or pasta?")
    part = brand_post(fake, "2/ replies count too", in_reply_to=root)
    await rig.publish(published("post-7", [root, part], at=datetime.fromtimestamp(T0, UTC)))
    first = fake.state.add_engagement(AddEngagement(tweet_id=root, quotes=[
        CrowdPost(text=f"quote {i}", author_id=FAN.id) for i in range(12)]))
    assert first is not None

    clock.now = T0 + 60
    fake.state.inject(Fault(endpoint="quote_tweets", kind="error", status=503))
    await rig.tracker.poll_due()
    assert await count(rig.kafka, "mentions.raw") == 0
    assert await count(rig.kafka, "posts.metrics") == 1, "the counts X gave are still true"
    assert (await rig.row("post-7"))["newest_quote_id"] is None

    clock.now = T0 + 200
    await rig.tracker.poll_due()
    mentions = [e.payload.mention for e in await read_events(rig.kafka, "mentions.raw", expect=12)]
    assert sorted(m.external_id for m in mentions) == sorted(first["quotes"])
    assert all(m.quoted_id == root and m.brand_id == "acme" and m.source == "x_polling" for m in mentions)
    assert (await rig.row("post-7"))["newest_quote_id"] == max(first["quotes"], key=int)

    second = fake.state.add_engagement(AddEngagement(tweet_id=root, quotes=[CrowdPost(text="one more")]))
    assert second is not None
    clock.now = T0 + 600
    calls_before = len(fake.state.calls("quote_tweets"))
    await rig.tracker.poll_due()
    assert len(fake.state.calls("quote_tweets")) == calls_before + 1, "one page: it reaches the known quote"
    mentions = [e.payload.mention for e in await read_events(rig.kafka, "mentions.raw", expect=13)]
    assert len(mentions) == 13 and mentions[-1].external_id == second["quotes"][0]
    [event] = (await read_events(rig.kafka, "posts.metrics", expect=3))[-1:]
    assert event.payload.quotes == 13 and event.payload.replies == 0, "the thread's own part is not a reply"


async def test_a_post_whose_root_x_no_longer_shows_gets_no_metrics(rig: Rig) -> None:
    await rig.publish(published("post-gone", ["1234567"], at=datetime.fromtimestamp(T0, UTC)))
    rig.clock.now = T0 + 30
    await rig.tracker.poll_due()
    assert await count(rig.kafka, "posts.metrics") == 0
    row = await rig.row("post-gone")
    assert "does not show" in row["last_error"] and row["next_poll_at"] > datetime.fromtimestamp(rig.clock.now, UTC)


async def test_a_post_published_before_the_tracking_window_is_not_followed(rig: Rig) -> None:
    rig.clock.now = T0
    old = datetime.fromtimestamp(T0, UTC) - timedelta(days=8)
    await rig.publish(published("post-old", ["1234567"], at=old))
    assert await rig.row("post-old") is None
    async with rig.pool.acquire() as conn:
        assert await repository.count_tracked_posts(conn, now=datetime.fromtimestamp(T0, UTC)) == 0


async def test_a_spent_quota_window_is_waited_out_not_hammered(rig: Rig) -> None:
    fake, clock = rig.fake, rig.clock
    fake.state.rate_limits["quote_tweets"] = RateLimitRule(limit=1, window_s=900)
    first, second = brand_post(fake, "Post one"), brand_post(fake, "Post two")
    for post_id, root in (("post-a", first), ("post-b", second)):
        await rig.publish(published(post_id, [root], at=datetime.fromtimestamp(T0, UTC)))
    clock.now = T0 + 60
    await rig.tracker.poll_due()
    assert len(fake.state.calls("quote_tweets")) == 1, "the window said it was spent: the other post waits"
    assert await count(rig.kafka, "posts.metrics") == 2, "the counts have their own quota"
    rows = [await rig.row("post-a"), await rig.row("post-b")]
    [waiting] = [r for r in rows if r["failures"] == 1]
    assert "quota spent" in waiting["last_error"]
    assert waiting["next_poll_at"] >= datetime.fromtimestamp(T0 + 900, UTC), "not before the window resets"

    clock.now = T0 + 961
    await rig.tracker.poll_due()
    assert len(fake.state.calls("quote_tweets")) == 2
    assert (await rig.row(waiting["post_id"]))["failures"] == 0
