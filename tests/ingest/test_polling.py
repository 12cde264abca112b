"""Polling with real tweepy against the fake X API, producing to the real Kafka."""

from __future__ import annotations

import asyncio

import asyncpg
from mentionflow.ingestion import BrandResolver
from mentionflow.metrics import catalog
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import XSession
from mentionflow_ingest import repository
from mentionflow_ingest.pipeline import Ingestor
from mentionflow_ingest.poller import MentionPoller
from mentionflow_tools.fakex import FakeXServer, Fault

from tests.helpers import eventually
from tests.ingest.conftest import ACME, CREDENTIALS, GLOBEX, STAR, add_tweets, polling_settings, raw_count, raw_events


def make_poller(account, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
                **settings) -> MentionPoller:  # noqa: ANN001
    return MentionPoller(handle=account.username, user_id=account.id, client=x_session.reader(CREDENTIALS),
                         ingestor=ingestor, pool=pool, resolver=resolver, settings=polling_settings(**settings))


async def test_polling_picks_up_new_mentions_across_pages_with_expanded_authors(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    ids = add_tweets(fake, [f"@AcmeHelp question {i} & more <3" for i in range(23)])
    add_tweets(fake, ["@AcmeHelp my order is late"], author=STAR)
    poller = make_poller(ACME, x_session, ingestor, pool, resolver)

    await poller.poll_once()

    calls = fake.state.calls("users_mentions")
    assert len(calls) == 3, "24 mentions at 10 per page"
    assert "pagination_token" in calls[1].query and "pagination_token" in calls[2].query
    events = await raw_events(kafka_settings, expect=24)
    assert len(events) == 24
    mentions = [e.payload.mention for e in events]
    assert {m.external_id for m in mentions} >= set(ids)
    assert {m.brand_id for m in mentions} == {"acme"} and all(m.source == "x_polling" for m in mentions)
    fans = [m for m in mentions if m.author.handle != "bigvoice"]
    assert all(m.text.endswith(" & more <3") for m in fans), "entities unescaped once"
    star = next(m for m in mentions if m.author.handle == "bigvoice")
    assert star.author.followers == 1_250_000 and star.author.verified
    async with pool.acquire() as conn:
        newest = max(ids + [star.external_id], key=int)
        assert await repository.load_checkpoint(conn, account_user_id=ACME.id) == newest


async def test_restart_resumes_from_the_checkpoint_nothing_lost_or_repeated(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    first = add_tweets(fake, [f"@AcmeHelp first batch {i}" for i in range(12)])
    await make_poller(ACME, x_session, ingestor, pool, resolver).poll_once()
    await eventually(lambda: _count_is(kafka_settings, 12), what="first 12 produced")
    second = add_tweets(fake, [f"@AcmeHelp after restart {i}" for i in range(7)])
    calls_before = len(fake.state.calls("users_mentions"))

    restarted = make_poller(ACME, x_session, ingestor, pool, resolver)  # fresh memory: only the database
    await restarted.poll_once()

    resumed_call = fake.state.calls("users_mentions")[calls_before]
    assert resumed_call.query["since_id"] == max(first, key=int)
    events = await raw_events(kafka_settings, expect=19)
    external_ids = [e.payload.mention.external_id for e in events]
    assert sorted(external_ids) == sorted(first + second), "each mention exactly once"


async def _count_is(kafka: KafkaSettings, n: int) -> bool:
    return await raw_count(kafka) == n


async def test_rate_limited_account_waits_for_its_reset_without_stalling_the_others(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    add_tweets(fake, ["@AcmeHelp hello"])
    add_tweets(fake, ["@GlobexCare bonjour"], mentioned=(GLOBEX,))
    fake.state.inject(Fault(endpoint="users_mentions", kind="rate_limit", user_id=ACME.id, reset_in_s=2))
    acme = make_poller(ACME, x_session, ingestor, pool, resolver)
    globex = make_poller(GLOBEX, x_session, ingestor, pool, resolver)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(acme.run(stop)), asyncio.create_task(globex.run(stop))]
    try:
        await eventually(lambda: _acme_polled(acme), timeout_s=15, what="acme polled after its reset")
    finally:
        stop.set()
        await asyncio.gather(*tasks)

    acme_calls = fake.state.calls("users_mentions")
    limited = next(c for c in acme_calls if c.path_user_id == ACME.id)
    assert limited.status == 429
    reset_at = int(limited.at + 2) + 0  # the fake announces ceil(now + 2): never earlier than at + 2
    retry = next(c for c in acme_calls if c.path_user_id == ACME.id and c.seq > limited.seq)
    assert retry.at >= reset_at - 0.01, "acme retried only once its window had reset"
    globex_during_wait = [c for c in acme_calls if c.path_user_id == GLOBEX.id and limited.at < c.at < retry.at]
    assert len(globex_during_wait) >= 3, "globex kept polling while acme waited"
    brands = sorted(e.payload.mention.brand_id for e in await raw_events(kafka_settings, expect=2))
    assert brands == ["acme", "globex"]


async def _acme_polled(poller: MentionPoller) -> bool:
    return poller.polls >= 1


async def test_server_errors_back_off_then_recover(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    add_tweets(fake, ["@AcmeHelp is anyone there"])
    fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=503, count=2, body="text"))
    fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=500, count=1))
    poller = make_poller(ACME, x_session, ingestor, pool, resolver, backoff_initial_s=0.3)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        await eventually(lambda: _acme_polled(poller), timeout_s=15, what="poll succeeds after the errors")
    finally:
        stop.set()
        await task

    calls = fake.state.calls("users_mentions")
    assert [c.status for c in calls[:4]] == [503, 503, 500, 200]
    gaps = [b.at - a.at for a, b in zip(calls, calls[1:4], strict=False)]
    assert gaps[0] >= 0.3 * 0.8 and gaps[1] >= 0.6 * 0.8 and gaps[2] >= 1.2 * 0.8, f"exponential backoff: {gaps}"
    assert gaps[2] > gaps[0]
    assert [e.payload.mention.text for e in await raw_events(kafka_settings, expect=1)] == ["@AcmeHelp is anyone there"]


async def test_garbage_items_are_counted_and_the_rest_of_the_page_is_kept(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    good = add_tweets(fake, [f"@AcmeHelp fine {i}" for i in range(4)])
    fake.state.inject(Fault(endpoint="users_mentions", kind="garbage", garbage_items=3))
    before = catalog.INGEST_REJECTED.labels("x_polling", "malformed_item")._value.get()

    await make_poller(ACME, x_session, ingestor, pool, resolver).poll_once()

    assert catalog.INGEST_REJECTED.labels("x_polling", "malformed_item")._value.get() - before == 3
    events = await raw_events(kafka_settings, expect=4)
    assert sorted(e.payload.mention.external_id for e in events) == sorted(good)


async def test_a_post_naming_two_client_brands_becomes_one_event_per_brand(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    [tweet_id] = add_tweets(fake, ["@AcmeHelp @GlobexCare which of you broke my parcel?"], mentioned=(ACME, GLOBEX))
    await make_poller(ACME, x_session, ingestor, pool, resolver).poll_once()
    await make_poller(GLOBEX, x_session, ingestor, pool, resolver).poll_once()

    events = await raw_events(kafka_settings, expect=2)
    assert sorted((e.payload.mention.external_id, e.brand_id) for e in events) == [
        (tweet_id, "acme"), (tweet_id, "globex")]
    assert await raw_count(kafka_settings) == 2, "the second account's poll found both already produced"


async def test_a_quote_mentioning_the_brand_keeps_the_quoted_post(
    fake: FakeXServer, x_session: XSession, ingestor: Ingestor, pool: asyncpg.Pool, resolver: BrandResolver,
    kafka_settings: KafkaSettings,
) -> None:
    [plain] = add_tweets(fake, ["@AcmeHelp just a mention"])
    [quote] = add_tweets(fake, ["@AcmeHelp look at this"], referenced_tweets=[{"type": "quoted", "id": "1777"}])
    await make_poller(ACME, x_session, ingestor, pool, resolver).poll_once()
    mentions = {e.payload.mention.external_id: e.payload.mention for e in await raw_events(kafka_settings, expect=2)}
    assert mentions[quote].quoted_id == "1777" and mentions[quote].in_reply_to is None
    assert mentions[plain].quoted_id is None
