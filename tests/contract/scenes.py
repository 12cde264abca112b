"""Our real clients (mentionflow.xapi over tweepy) driving the fake X API through every
endpoint the project calls, on its normal and fault paths, each step in a named scene.

A few requests are made by hand (no credentials, out-of-range parameters) only to get X's
error answers; they are marked `ours=False`. The fake's deliberate non-X faults (garbage
items, plain-text bodies, dropped connections) imitate what sits in front of X, not X, and
are not driven here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    TransientXError,
    XClient,
    authenticated_user_id,
    fetch_mentions,
    fetch_mentions_page,
    fetch_quotes_page,
    find_posted_reply,
    lookup_account_counts,
    lookup_tweet_metrics,
    lookup_user,
    post_reply,
    recent_tweets,
)
from mentionflow_tools.fakex import AddMentions, AddUsers, FakeTweet, FakeUser, FakeXServer, Fault
from mentionflow_tools.fakex.models import DEFAULT_RATE_LIMITS, AddEngagement, CrowdPost, RateLimitRule

from .conftest import BRAND, FAN, OTHER_BRAND, STAR, SUSPENDED, ExchangeRecorder

Clients = dict[str, XClient]


def add_mentions(fake: FakeXServer, author: FakeUser | str, count: int, *,
              mentioned: FakeUser = BRAND) -> list[str]:
    """`count` tweets by `author` mentioning `mentioned` (an id: an author unknown to X)."""
    author_id = author if isinstance(author, str) else author.id
    return fake.state.add_mentions(AddMentions(tweets=[
        FakeTweet(text=f"@{mentioned.username} question {i} & more", author_id=author_id,
                  lang="fr", mentioned_user_ids=[mentioned.id])
        for i in range(count)]))


async def mentions_timeline(fake: FakeXServer, clients: Clients, rec: ExchangeRecorder) -> None:
    add_mentions(fake, FAN, 11)
    add_mentions(fake, STAR, 1)
    add_mentions(fake, SUSPENDED, 1)
    add_mentions(fake, "999999", 1)  # an author X cannot show at all
    with rec.scene("mentions: pages of 5 following next_token"):
        pages = [p async for p in fetch_mentions(clients["bearer"], BRAND.id, None,
                                                 max_results=5)]
    assert [len(p.tweets) for p in pages] == [5, 5, 4]
    assert pages[0].next_token and pages[1].next_token and pages[2].next_token is None
    with rec.scene("mentions: one page of 100 with partial errors"):
        full = await fetch_mentions_page(clients["bearer"], BRAND.id)
    assert len(full.tweets) == 14 and len(full.errors) == 2
    assert full.author_of(full.tweets[0]) is None  # the unknown author, newest
    with rec.scene("mentions: since_id of the newest, nothing new"):
        empty = await fetch_mentions_page(clients["bearer"], BRAND.id, since_id=full.newest_id)
    assert empty.result_count == 0 and not empty.tweets
    with rec.scene("mentions: read with OAuth 1.0a user context"):
        signed = await fetch_mentions_page(clients["oauth1"], BRAND.id, max_results=5)
    assert len(signed.tweets) == 5
    with rec.scene("mentions: of a suspended account"):
        gone = await fetch_mentions_page(clients["bearer"], SUSPENDED.id)
    assert not gone.tweets and gone.errors


async def user_lookups(fake: FakeXServer, clients: Clients, rec: ExchangeRecorder) -> None:
    with rec.scene("users by username: found, unknown, suspended"):
        found = await lookup_user(clients["bearer"], "@hexafone")
        unknown = await lookup_user(clients["bearer"], "nobody_here")
        suspended = await lookup_user(clients["bearer"], SUSPENDED.username)
    assert found is not None and found.id == BRAND.id and found.followers == BRAND.followers
    assert unknown is None and suspended is None
    with rec.scene("users by ids: public counts, a suspended and an unknown account"):
        counts = await lookup_account_counts(clients["bearer"], [BRAND.id, OTHER_BRAND.id, SUSPENDED.id, "999999"])
        none_shown = await lookup_account_counts(clients["oauth1"], [SUSPENDED.id])
    assert counts.found[BRAND.id].followers == BRAND.followers
    assert counts.found[OTHER_BRAND.id].followers == OTHER_BRAND.followers
    assert set(counts.refused) == {SUSPENDED.id, "999999"} and "suspended" in counts.refused[SUSPENDED.id]
    assert not none_shown.found and set(none_shown.refused) == {SUSPENDED.id}
    with rec.scene("users/me: OAuth 1.0a and OAuth 2.0 user context"):
        assert await authenticated_user_id(clients["oauth1"]) == BRAND.id
        assert await authenticated_user_id(clients["oauth2"]) == OTHER_BRAND.id


async def replies(fake: FakeXServer, clients: Clients, rec: ExchangeRecorder) -> None:
    mention_ids = add_mentions(fake, FAN, 7)
    since = datetime.now(UTC) - timedelta(minutes=1)
    with rec.scene("create post: replies with both user contexts"):
        posted = [await post_reply(clients["oauth1"], f"Merci <3 & à bientôt #{i}", mention_id)
                  for i, mention_id in enumerate(mention_ids)]
        await post_reply(clients["oauth2"], "On regarde ça", mention_ids[0])
    with rec.scene("create post: duplicate and too long (403)"):
        with pytest.raises(PermanentXError) as duplicate:
            await post_reply(clients["oauth1"], "Merci <3 & à bientôt #0", mention_ids[0])
        with pytest.raises(PermanentXError) as too_long:
            await post_reply(clients["oauth1"], "x" * 281, mention_ids[1])
    assert duplicate.value.is_duplicate and too_long.value.status == 403
    with rec.scene("own posts: reconcile a reply (start_time, pages of 5)"):
        found = await find_posted_reply(clients["oauth1"], BRAND.id,
                                        in_reply_to_tweet_id=mention_ids[6],
                                        text="Merci <3 & à bientôt #6", since=since)
        paged = await recent_tweets(clients["oauth1"], BRAND.id, since_id=mention_ids[0],
                                    page_size=5)
    assert found is not None and found.id == posted[6]
    assert {t.id for t in paged} == set(posted)


async def engagement(fake: FakeXServer, clients: Clients, rec: ExchangeRecorder) -> None:
    """A brand post's counts and quotes, as ingest's tracked posts read them."""
    post_id = await post_reply(clients["oauth1"], "Thread part two", add_mentions(fake, FAN, 1)[0])
    fake.state.add_engagement(AddEngagement(
        tweet_id=post_id, replies=[CrowdPost(text="agreed")], likes=12,
        quotes=[CrowdPost(text=f"@{BRAND.username} quoting {i}", author_id=STAR.id) for i in range(12)]))
    with rec.scene("tweets by ids: public_metrics, and an unknown tweet"):
        looked_up = await lookup_tweet_metrics(clients["bearer"], [post_id, "12345"])
        unknown_only = await lookup_tweet_metrics(clients["bearer"], ["12345"])
    assert looked_up.found[post_id].likes >= 12 and looked_up.found[post_id].quotes == 12
    assert "12345" in looked_up.refused and not unknown_only.found
    with rec.scene("quote tweets: pages of 10 following next_token, and none"):
        first = await fetch_quotes_page(clients["bearer"], post_id, max_results=10)
        rest = await fetch_quotes_page(clients["oauth1"], post_id, pagination_token=first.next_token)
        none = await fetch_quotes_page(clients["bearer"], "12345")
    assert len(first.tweets) == 10 and len(rest.tweets) == 2 and not none.tweets
    with rec.scene("create post: a suspended account (403)"):
        fake.state.add_users(AddUsers(users=[BRAND.model_copy(update={"suspended": True})]))
        with pytest.raises(PermanentXError) as suspended:
            await post_reply(clients["oauth1"], "anyone?", post_id)
        fake.state.add_users(AddUsers(users=[BRAND]))
    assert suspended.value.status == 403


async def faults(fake: FakeXServer, clients: Clients, rec: ExchangeRecorder) -> None:
    add_mentions(fake, FAN, 2)
    reader, poster = clients["bearer"], clients["oauth1"]
    with rec.scene("429: the window spent, and an injected one"):
        fake.state.rate_limits["users_mentions"] = RateLimitRule(limit=1)
        fresh = clients["oauth2"]  # an identity whose mentions window is still unused
        await fetch_mentions_page(fresh, BRAND.id)
        with pytest.raises(RateLimited) as spent:
            await fetch_mentions_page(fresh, BRAND.id)
        fake.state.inject(Fault(endpoint="create_tweet", kind="rate_limit", reset_in_s=300))
        with pytest.raises(RateLimited) as injected:
            await post_reply(poster, "later", "1")
    assert spent.value.reset_known and injected.value.reset_known
    fake.state.rate_limits["users_mentions"] = DEFAULT_RATE_LIMITS["users_mentions"]
    with rec.scene("5xx: before and after the post was made"):
        fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=503))
        with pytest.raises(TransientXError):
            await fetch_mentions_page(reader, BRAND.id)
        fake.state.inject(Fault(endpoint="users_lookup", kind="error", status=500, user_id=BRAND.id,
                                day=fake.state.today()))
        with pytest.raises(TransientXError):
            await lookup_account_counts(reader, [OTHER_BRAND.id, BRAND.id])
        fake.state.inject(Fault(endpoint="create_tweet", kind="error", status=500,
                                after_effect=True))
        with pytest.raises(TransientXError):
            await post_reply(poster, "posted, answer lost", "1")
    with rec.scene("401/403/404 refusals"):
        for endpoint, status, call in (
            ("users_me", 401, lambda: authenticated_user_id(poster)),
            ("users_mentions", 403, lambda: fetch_mentions_page(reader, BRAND.id)),
            ("users_tweets", 404, lambda: recent_tweets(poster, BRAND.id)),
        ):
            fake.state.inject(Fault(endpoint=endpoint, kind="error", status=status))
            with pytest.raises(PermanentXError) as refused:
                await call()
            assert refused.value.status == status


async def by_hand(fake: FakeXServer, clients: Clients, rec: ExchangeRecorder) -> None:
    """X's answers to requests our clients never make: no credentials, bad parameters."""
    bearer = {"Authorization": "Bearer app-bearer"}
    async with aiohttp.ClientSession(fake.base_url) as http:
        with rec.scene("by hand: 401 without credentials", ours=False):
            async with http.get(f"/2/users/{BRAND.id}/mentions") as response:
                assert response.status == 401
        with rec.scene("by hand: 400 invalid parameters", ours=False):
            for query in ({"max_results": "500"}, {"pagination_token": "not-a-token"},
                          {"since_id": "yesterday"}):
                async with http.get(f"/2/users/{BRAND.id}/mentions", params=query,
                                    headers=bearer) as response:
                    assert response.status == 400
            async with http.post("/2/tweets", json={"reply": {"in_reply_to_tweet_id": "1"}},
                                 headers={"Authorization": "OAuth oauth_token=\"t\""}) as response:
                assert response.status == 400


SCENES = (mentions_timeline, user_lookups, replies, engagement, faults, by_hand)
