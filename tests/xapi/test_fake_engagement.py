"""The fake X serves a brand post's engagement as X API v2 does, over real HTTP to tweepy: the
tweets lookup with public_metrics and conversation ids, the quote tweets of a post, counts that
grow with the post's age (deterministic per seed), people replying to / quoting a post through
POST /_fake/engagement, and POST /2/tweets refusing duplicates and suspended accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    XApiSettings,
    XClient,
    XCredentials,
    XSession,
    fetch_mentions_page,
    fetch_quotes_page,
    lookup_tweet_metrics,
)
from mentionflow_tools.fakex import AddUsers, FakeXServer, FakeXState, Fault
from mentionflow_tools.fakex.engagement import organic_engagement
from pydantic import SecretStr

from tests.xapi.conftest import BRAND, FAN, OAUTH1_ACCESS_TOKEN, STAR

T0 = 1_780_000_000.0  # the fake's clock when the brand posts
HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def clocked() -> AsyncIterator[tuple[FakeXServer, Clock]]:
    clock = Clock()
    state = FakeXState(accounts=[BRAND], clock=clock, engagement_seed=11)
    state.add_users(AddUsers(users=[FAN, STAR], tokens={OAUTH1_ACCESS_TOKEN: BRAND.id}))
    async with FakeXServer(state) as server:
        yield server, clock


@pytest.fixture
async def clients(clocked: tuple[FakeXServer, Clock]) -> AsyncIterator[tuple[XClient, XClient]]:
    server, _clock = clocked
    async with XSession(XApiSettings(base_url=server.base_url, timeout_s=5)) as session:
        reader = session.reader(XCredentials(bearer_token=SecretStr("app-bearer-token")))
        poster = session.poster(XCredentials(
            consumer_key=SecretStr("ck"), consumer_secret=SecretStr("cs"),
            access_token=SecretStr(OAUTH1_ACCESS_TOKEN), access_token_secret=SecretStr("ats")))
        yield reader, poster


async def post(poster: XClient, text: str, in_reply_to: str | None = None) -> str:
    params: dict[str, Any] = {"text": text}
    if in_reply_to is not None:
        params["in_reply_to_tweet_id"] = in_reply_to
    response = await poster.call("create_tweet", poster.tweepy.create_tweet, **params)
    return str(response.body["data"]["id"])


async def control(server: FakeXServer, path: str, body: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(server.base_url + path, json=body) as response:
        return response.status, await response.json()


async def test_a_thread_is_one_conversation_and_its_counts_grow_with_age(
        clocked: tuple[FakeXServer, Clock], clients: tuple[XClient, XClient]) -> None:
    server, clock = clocked
    reader, poster = clients
    root = await post(poster, "What should we launch next? Tell us below")
    part = await post(poster, "2/ bonus: the best idea gets a prize", in_reply_to=root)

    at_start = await lookup_tweet_metrics(reader, [root, part])
    assert at_start.found[part].conversation_id == at_start.found[root].conversation_id == root
    assert at_start.found[root].likes == 0, "nobody has seen it yet"
    assert at_start.found[root].replies == 1, "the thread's own second part replies to it"

    seen = []
    for hours in (1, 3, 6, 24, 72, 168):
        clock.now = T0 + hours * HOUR
        seen.append((await lookup_tweet_metrics(reader, [root])).found[root])
    likes = [m.likes for m in seen]
    assert likes == sorted(likes) and likes[0] > 0 and likes[0] < likes[2], likes
    assert all(m.impressions is not None and m.impressions >= m.likes for m in seen)
    assert [m.reposts for m in seen] == sorted(m.reposts for m in seen)
    assert likes[-1] - likes[-2] < likes[1] - likes[0], "a post's engagement flattens with age"

    # Deterministic: the same seed, post and age give the same counts in any process.
    expected = organic_engagement(seed=11, tweet_id=root, author_followers=BRAND.followers, age_s=168 * HOUR)
    assert (seen[-1].likes, seen[-1].reposts, seen[-1].impressions) == (
        expected.likes, expected.reposts, expected.impressions)
    other_seed = organic_engagement(seed=12, tweet_id=root, author_followers=BRAND.followers, age_s=168 * HOUR)
    assert other_seed.likes != expected.likes


async def test_replies_and_quotes_made_through_the_control_endpoint(
        clocked: tuple[FakeXServer, Clock], clients: tuple[XClient, XClient]) -> None:
    server, clock = clocked
    reader, poster = clients
    root = await post(poster, "Debate: tea or coffee?")
    part = await post(poster, "2/ vote with a reply", in_reply_to=root)
    clock.now = T0 + 60

    status, made = await control(server, "/_fake/engagement", {
        "tweet_id": part,
        "replies": [{"text": "tea, obviously", "author_id": FAN.id}, {"text": "coffee!"}],
        "quotes": [{"text": f"@{BRAND.username} coffee wins this", "author_id": STAR.id},
                   {"text": "lol this brand asking", "author_id": FAN.id}],
        "likes": 40, "reposts": 3,
    })
    assert status == 200
    assert made["conversation_id"] == root and len(made["replies"]) == 2 and len(made["quotes"]) == 2

    # Replies come back in the brand's mentions with the thread's conversation id.
    page = await fetch_mentions_page(reader, BRAND.id)
    by_id = {t.id: t for t in page.tweets}
    for reply_id in made["replies"]:
        reply = by_id[reply_id]
        assert reply.conversation_id == root and reply.in_reply_to_tweet_id == part
        assert reply.text.startswith(f"@{BRAND.username} ")
    # A quote reaches the mentions only when it @mentions the brand, as on X.
    mentioning, silent = made["quotes"]
    assert by_id[mentioning].quoted_id == part and silent not in by_id

    quotes = await fetch_quotes_page(reader, part, max_results=10)
    assert [t.id for t in quotes.tweets] == [silent, mentioning], "newest first"
    assert all(t.quoted_id == part for t in quotes.tweets)
    assert quotes.author_of(quotes.tweets[1]).username == STAR.username  # type: ignore[union-attr]
    assert (await fetch_quotes_page(reader, root)).tweets == []

    metrics = (await lookup_tweet_metrics(reader, [part])).found[part]
    assert (metrics.replies, metrics.quotes) == (2, 2)
    assert metrics.likes >= 40 and metrics.reposts >= 3

    status, shown = await _get(server, f"/_fake/tweets/{made['replies'][0]}")
    assert status == 200 and shown["data"]["conversation_id"] == root
    assert (await control(server, "/_fake/engagement", {"tweet_id": "999", "replies": [{"text": "x"}]}))[0] == 404
    assert (await control(server, "/_fake/engagement", {"tweet_id": part, "replies": [
        {"text": "x", "author_id": "424242"}]}))[0] == 422


async def test_quote_tweets_page_and_refuse_bad_page_sizes(
        clocked: tuple[FakeXServer, Clock], clients: tuple[XClient, XClient]) -> None:
    server, _clock = clocked
    reader, poster = clients
    root = await post(poster, "Quote this")
    await control(server, "/_fake/engagement", {"tweet_id": root, "quotes": [{"text": f"q{i}"} for i in range(13)]})
    first = await fetch_quotes_page(reader, root, max_results=10)
    assert len(first.tweets) == 10 and first.next_token is not None
    second = await fetch_quotes_page(reader, root, pagination_token=first.next_token, max_results=10)
    assert len(second.tweets) == 3 and second.next_token is None
    assert not {t.id for t in first.tweets} & {t.id for t in second.tweets}
    status, body = await _get(server, f"/2/tweets/{root}/quote_tweets?max_results=5", auth=True)
    assert status == 400 and "max_results" in str(body)


async def test_lookup_of_unknown_tweets_is_a_partial_error_never_a_zero(
        clocked: tuple[FakeXServer, Clock], clients: tuple[XClient, XClient]) -> None:
    reader, poster = clients
    root = await post(poster, "Still here")
    result = await lookup_tweet_metrics(reader, [root, "12345"])
    assert set(result.found) == {root} and "12345" in result.refused
    result = await lookup_tweet_metrics(reader, ["12345"])
    assert result.found == {} and "Could not find tweet" in result.refused["12345"]


async def test_rate_limited_lookup_raises(clocked: tuple[FakeXServer, Clock], clients: tuple[XClient, XClient]) -> None:
    server, _clock = clocked
    reader, poster = clients
    root = await post(poster, "Busy")
    server.state.inject(Fault(endpoint="tweets_lookup", kind="rate_limit", reset_in_s=120))
    with pytest.raises(RateLimited) as caught:
        await lookup_tweet_metrics(reader, [root])
    assert caught.value.wait_seconds(T0) == pytest.approx(120, abs=1)
    server.state.inject(Fault(endpoint="quote_tweets", kind="error", status=503))
    with pytest.raises(Exception) as failed:
        await fetch_quotes_page(reader, root)
    assert getattr(failed.value, "status", None) == 503


async def test_a_post_repeating_the_brands_text_is_refused_as_duplicate(clients: tuple[XClient, XClient]) -> None:
    _reader, poster = clients
    await post(poster, "Big news tomorrow!")
    with pytest.raises(PermanentXError) as refused:
        await post(poster, "Big news tomorrow!")
    assert refused.value.status == 403 and refused.value.is_duplicate
    assert "duplicate content" in refused.value.reason


async def test_a_suspended_account_cannot_post(clocked: tuple[FakeXServer, Clock],
                                               clients: tuple[XClient, XClient]) -> None:
    server, _clock = clocked
    _reader, poster = clients
    server.state.add_users(AddUsers(users=[BRAND.model_copy(update={"suspended": True})]))
    with pytest.raises(PermanentXError) as refused:
        await post(poster, "Anyone there?")
    assert refused.value.status == 403 and "suspended" in refused.value.reason
    assert not refused.value.is_duplicate
    assert server.state.replies == [], "nothing was posted"


async def _get(server: FakeXServer, path: str, *, auth: bool = False) -> tuple[int, Any]:
    headers = {"Authorization": "Bearer app-bearer-token"} if auth else {}
    async with aiohttp.ClientSession() as http, http.get(server.base_url + path, headers=headers) as response:
        return response.status, await response.json()
