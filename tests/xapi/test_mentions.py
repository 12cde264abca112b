"""Polling the mentions timeline with real tweepy over HTTP against the fake X API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mentionflow.xapi import XClient, fetch_mentions, fetch_mentions_page, lookup_user, recent_tweets
from mentionflow_tools.fakex import AddMentions, FakeTweet, FakeXServer, Fault

from .conftest import BRAND, FAN, OTHER_BRAND, STAR, add_mentions


async def test_pages_through_everything_newer_than_since_id(fake: FakeXServer, reader: XClient):
    ids = add_mentions(fake, [f"@Hexafone message {i}" for i in range(23)])
    add_mentions(fake, ["@SkylarkAir not for Orbitel"], mentioned=OTHER_BRAND)
    since_id = ids[2]

    pages = [page async for page in fetch_mentions(reader, BRAND.id, since_id, max_results=5)]

    expected = list(reversed(ids[3:]))  # 20 newer than since_id, newest first
    assert [len(p.tweets) for p in pages] == [5, 5, 5, 5]
    assert [t.id for p in pages for t in p.tweets] == expected
    assert pages[0].newest_id == ids[-1]  # what the caller checkpoints as the next since_id
    assert pages[-1].oldest_id == ids[3]
    assert pages[-1].next_token is None
    calls = fake.state.calls("users_mentions")
    assert len(calls) == 4
    assert all(c.query["since_id"] == since_id for c in calls)
    assert "pagination_token" not in calls[0].query
    assert [c.query.get("pagination_token") for c in calls[1:]] == [p.next_token for p in pages[:3]]
    assert all(c.auth_kind == "bearer" for c in calls)


async def test_next_poll_from_newest_id_is_empty_then_sees_only_new(fake: FakeXServer,
                                                                    reader: XClient):
    ids = add_mentions(fake, ["@Hexafone un", "@Hexafone deux"])
    first = await fetch_mentions_page(reader, BRAND.id, since_id=None)
    assert first.newest_id == ids[-1]

    empty = await fetch_mentions_page(reader, BRAND.id, since_id=first.newest_id)
    assert (empty.tweets, empty.result_count, empty.newest_id) == ([], 0, None)

    new = add_mentions(fake, ["@Hexafone trois"])
    later = await fetch_mentions_page(reader, BRAND.id, since_id=first.newest_id)
    assert [t.id for t in later.tweets] == new


async def test_tweet_fields_and_author_expansion(fake: FakeXServer, reader: XClient):
    [root] = add_mentions(fake, ["@Hexafone panne à Lyon & pas de réseau <3"], author=STAR)
    [reply] = add_mentions(
        fake, ["@Hexafone toujours rien ?"],
        conversation_id=root, in_reply_to_user_id=STAR.id,
        referenced_tweets=[{"type": "replied_to", "id": root}],
        created_at=datetime(2025, 1, 15, 10, 30, 0, 123000, tzinfo=UTC),
    )

    page = await fetch_mentions_page(reader, BRAND.id)

    newest, oldest = page.tweets
    assert newest.id == reply
    assert newest.author_id == FAN.id and newest.lang == "fr"
    assert newest.created_at == datetime(2025, 1, 15, 10, 30, 0, 123000, tzinfo=UTC)
    assert newest.conversation_id == root
    assert newest.in_reply_to_tweet_id == root
    assert newest.mentioned_usernames == ("Hexafone",)
    # X sends &, < and > as entities; unescaping is ingest's normalisation, not ours.
    assert oldest.text == "@Hexafone panne à Lyon &amp; pas de réseau &lt;3"
    assert oldest.conversation_id == root and oldest.in_reply_to_tweet_id is None
    star = page.author_of(oldest)
    fan = page.author_of(newest)
    assert star is not None and (star.followers, star.verified) == (1_250_000, True)
    assert fan is not None and (fan.username, fan.followers, fan.verified) == ("lea_m42", 87, False)
    assert page.rate_limit is not None and page.rate_limit.limit == 450


async def test_garbage_items_are_counted_and_the_rest_of_the_page_kept(fake: FakeXServer,
                                                                       reader: XClient):
    ids = add_mentions(fake, [f"@Hexafone ok {i}" for i in range(4)])
    fake.state.inject(Fault(endpoint="users_mentions", kind="garbage", garbage_items=6))

    page = await fetch_mentions_page(reader, BRAND.id)

    assert [t.id for t in page.tweets] == list(reversed(ids))
    assert page.garbage == 6


async def test_missing_author_keeps_the_tweet(fake: FakeXServer, reader: XClient):
    [tweet_id] = fake.state.add_mentions(AddMentions(tweets=[
        FakeTweet(text="@Hexafone from a deleted account", author_id="999",
                  mentioned_user_ids=[BRAND.id])]))

    page = await fetch_mentions_page(reader, BRAND.id)

    assert [t.id for t in page.tweets] == [tweet_id]
    assert page.author_of(page.tweets[0]) is None
    assert page.garbage == 0 and len(page.errors) == 1


async def test_resume_from_pagination_token(fake: FakeXServer, reader: XClient):
    ids = add_mentions(fake, [f"@Hexafone n{i}" for i in range(12)])
    first = await fetch_mentions_page(reader, BRAND.id, max_results=5)

    rest = [p async for p in fetch_mentions(reader, BRAND.id, None, max_results=5,
                                            pagination_token=first.next_token)]

    seen = [t.id for t in first.tweets] + [t.id for p in rest for t in p.tweets]
    assert seen == list(reversed(ids))


async def test_page_size_is_checked_before_calling(fake: FakeXServer, reader: XClient):
    with pytest.raises(ValueError, match="5..100"):
        await fetch_mentions_page(reader, BRAND.id, max_results=101)
    with pytest.raises(ValueError, match="5..100"):
        await recent_tweets(reader, BRAND.id, page_size=4)
    assert fake.state.calls() == []  # neither reached X


async def test_lookup_user_never_sends_a_name_x_refuses(fake: FakeXServer, reader: XClient):
    # X's specification: a username path segment is [A-Za-z0-9_]{1,15}; others get a 400.
    assert await lookup_user(reader, "far_too_long_for_x") is None
    assert await lookup_user(reader, "@has-dash") is None
    assert fake.state.calls() == []


async def test_lookup_user_resolves_a_handle(fake: FakeXServer, reader: XClient):
    found = await lookup_user(reader, "@hexafone")
    assert found is not None
    assert (found.id, found.username, found.followers, found.verified) == (
        BRAND.id, "Hexafone", BRAND.followers, True)
    assert await lookup_user(reader, "no_such_account") is None
    assert [c.path for c in fake.state.calls("user_by_username")] == [
        "/2/users/by/username/hexafone", "/2/users/by/username/no_such_account"]
