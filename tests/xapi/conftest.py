"""A fake X API on 127.0.0.1 (real HTTP) and tweepy clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mentionflow.xapi import XApiSettings, XClient, XCredentials, XSession
from mentionflow_tools.fakex import AddMentions, AddUsers, FakeTweet, FakeUser, FakeXServer, FakeXState
from pydantic import SecretStr

BRAND = FakeUser(id="2001", username="Hexafone", name="Orbitel", followers=250_000,
                 verified=True)
OTHER_BRAND = FakeUser(id="2002", username="SkylarkAir", name="Skylark", followers=90_000)
FAN = FakeUser(id="3001", username="lea_m42", name="Léa M", followers=87, verified=False)
STAR = FakeUser(id="3002", username="bigvoice", name="Big Voice", followers=1_250_000,
                verified=True)

OAUTH1_ACCESS_TOKEN = "hexafone-access-token"
OAUTH2_USER_TOKEN = "skylark-oauth2-user-token"


@pytest.fixture(scope="session")
async def fake_server() -> AsyncIterator[FakeXServer]:
    async with FakeXServer(FakeXState(accounts=[BRAND, OTHER_BRAND])) as server:
        yield server


@pytest.fixture
async def fake(fake_server: FakeXServer) -> FakeXServer:
    """The shared server with fresh state: no tweets, calls, faults; tokens re-registered."""
    state = fake_server.state
    state.reset()
    state.add_users(AddUsers(users=[FAN, STAR], tokens={OAUTH1_ACCESS_TOKEN: BRAND.id,
                                                        OAUTH2_USER_TOKEN: OTHER_BRAND.id}))
    return fake_server


@pytest.fixture(scope="session")
async def x_session(fake_server: FakeXServer) -> AsyncIterator[XSession]:
    async with XSession(XApiSettings(base_url=fake_server.base_url, timeout_s=5)) as session:
        yield session


@pytest.fixture
def reader(x_session: XSession) -> XClient:
    return x_session.reader(XCredentials(bearer_token=SecretStr("app-bearer-token")))


@pytest.fixture
def poster(x_session: XSession) -> XClient:
    return x_session.poster(XCredentials(
        consumer_key=SecretStr("consumer-key"),
        consumer_secret=SecretStr("consumer-secret"),
        access_token=SecretStr(OAUTH1_ACCESS_TOKEN),
        access_token_secret=SecretStr("access-token-secret"),
    ))


def add_mentions(fake: FakeXServer, texts: list[str], *, author: FakeUser = FAN,
                 mentioned: FakeUser = BRAND, **fields: object) -> list[str]:
    """Store one tweet per text mentioning `mentioned`; returns their ids (oldest first)."""
    tweets = [FakeTweet(text=text, author_id=author.id, lang="fr",
                        mentioned_user_ids=[mentioned.id], **fields)  # type: ignore[arg-type]
              for text in texts]
    return fake.state.add_mentions(AddMentions(tweets=tweets))
