"""Posting replies and reconciling them, with real tweepy over HTTP against the fake X API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    TransientXError,
    XClient,
    XCredentials,
    XSession,
    authenticated_user_id,
    find_posted_reply,
    post_reply,
    recent_tweets,
)
from mentionflow_tools.fakex import FakeXServer, Fault
from pydantic import SecretStr

from .conftest import BRAND, FAN, OAUTH2_USER_TOKEN, OTHER_BRAND, add_mentions

REPLY = "Bonjour Léa, désolé ! Nos équipes sont sur la panne à Lyon & reviennent vers vous."


async def test_reply_is_posted_once_as_the_brand(fake: FakeXServer, poster: XClient):
    [mention] = add_mentions(fake, ["@Hexafone plus de réseau"])

    tweet_id = await post_reply(poster, REPLY, mention)

    [call] = fake.state.calls("create_tweet")
    assert call.method == "POST" and call.status == 201
    assert call.body == {"text": REPLY, "reply": {"in_reply_to_tweet_id": mention}}
    assert call.auth_kind == "oauth1" and call.acting_user_id == BRAND.id
    [reply] = fake.state.replies
    assert (reply["id"], reply["in_reply_to_tweet_id"], reply["author_id"]) == (
        tweet_id, mention, BRAND.id)
    stored = fake.state.tweet(tweet_id)
    assert stored is not None and stored["conversation_id"] == mention
    assert stored["in_reply_to_user_id"] == FAN.id


async def test_duplicate_reply_is_permanent(fake: FakeXServer, poster: XClient):
    [mention] = add_mentions(fake, ["@Hexafone allô ?"])
    await post_reply(poster, REPLY, mention)

    with pytest.raises(PermanentXError) as caught:
        await post_reply(poster, REPLY, mention)

    assert caught.value.status == 403 and caught.value.is_duplicate
    assert "duplicate content" in caught.value.reason
    assert [c.status for c in fake.state.calls("create_tweet")] == [201, 403]
    assert len(fake.state.replies) == 1


async def test_same_text_to_another_mention_is_not_a_duplicate(fake: FakeXServer,
                                                               poster: XClient):
    first, second = add_mentions(fake, ["@Hexafone a", "@Hexafone b"])
    ids = {await post_reply(poster, REPLY, first), await post_reply(poster, REPLY, second)}
    assert len(ids) == 2


async def test_recent_tweets_find_the_posted_reply(fake: FakeXServer, poster: XClient):
    first, second = add_mentions(fake, ["@Hexafone a", "@Hexafone b"])
    before = datetime.now(UTC) - timedelta(minutes=5)
    posted = await post_reply(poster, REPLY, first)
    await post_reply(poster, "Autre réponse", second)
    me = await authenticated_user_id(poster)

    tweets = await recent_tweets(poster, me, since=before)
    found = await find_posted_reply(poster, me, in_reply_to_tweet_id=first, text=REPLY,
                                    since=before)

    assert me == BRAND.id
    assert {t.id for t in tweets} >= {posted}
    assert found is not None and found.id == posted
    assert await find_posted_reply(poster, me, in_reply_to_tweet_id=second, text=REPLY) is None
    assert await find_posted_reply(poster, me, in_reply_to_tweet_id=first, text="Autre") is None
    tweets_calls = fake.state.calls("users_tweets")
    assert tweets_calls[0].query["start_time"] == before.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_recent_tweets_pages(fake: FakeXServer, poster: XClient):
    mentions = add_mentions(fake, [f"@Hexafone n{i}" for i in range(7)])
    posted = [await post_reply(poster, f"réponse {i}", m) for i, m in enumerate(mentions)]
    tweets = await recent_tweets(poster, BRAND.id, page_size=5)
    assert [t.id for t in tweets] == list(reversed(posted))
    assert len(fake.state.calls("users_tweets")) == 2


async def test_accepted_post_with_lost_answer_is_found_by_reconciliation(fake: FakeXServer,
                                                                         poster: XClient):
    [mention] = add_mentions(fake, ["@Hexafone ça coupe"])
    fake.state.inject(Fault(endpoint="create_tweet", kind="error", status=503, after_effect=True))

    with pytest.raises(TransientXError):
        await post_reply(poster, REPLY, mention)

    found = await find_posted_reply(poster, BRAND.id, in_reply_to_tweet_id=mention, text=REPLY)
    assert found is not None and found.id == fake.state.replies[0]["id"]


async def test_rate_limited_post_is_not_posted(fake: FakeXServer, poster: XClient):
    [mention] = add_mentions(fake, ["@Hexafone ?"])
    fake.state.inject(Fault(endpoint="create_tweet", kind="rate_limit", reset_in_s=30))
    with pytest.raises(RateLimited):
        await post_reply(poster, REPLY, mention)
    assert fake.state.replies == []


async def test_unauthorized_post_is_permanent(fake: FakeXServer, poster: XClient):
    [mention] = add_mentions(fake, ["@Hexafone ?"])
    fake.state.inject(Fault(endpoint="create_tweet", kind="error", status=401))
    with pytest.raises(PermanentXError) as caught:
        await post_reply(poster, REPLY, mention)
    assert caught.value.status == 401 and not caught.value.is_duplicate


async def test_oauth2_user_token_posts_as_its_account(fake: FakeXServer, x_session: XSession):
    [mention] = add_mentions(fake, ["@SkylarkAir where is my bag"], mentioned=OTHER_BRAND)
    client = x_session.poster(XCredentials(user_access_token=SecretStr(OAUTH2_USER_TOKEN)))

    await post_reply(client, "We're on it, sorry!", mention)

    [call] = fake.state.calls("create_tweet")
    assert (call.auth_kind, call.acting_user_id) == ("bearer", OTHER_BRAND.id)
