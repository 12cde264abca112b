"""How X API failures reach callers: RateLimited, TransientXError, PermanentXError."""

from __future__ import annotations

import asyncio
import logging
import math
import time

import pytest
from mentionflow.xapi import (
    PermanentXError,
    RateLimited,
    RateLimitStatus,
    TransientXError,
    XApiSettings,
    XClient,
    XCredentials,
    XSession,
    authenticated_user_id,
    fetch_mentions_page,
)
from mentionflow_tools.fakex import FakeXServer, Fault
from mentionflow_tools.fakex.models import RateLimitRule
from pydantic import SecretStr, ValidationError

from .conftest import BRAND, OAUTH1_ACCESS_TOKEN, OTHER_BRAND, add_mentions


async def test_429_surfaces_reset_time_without_blocking_other_accounts(fake: FakeXServer,
                                                                      reader: XClient):
    add_mentions(fake, ["@SkylarkAir hello"], mentioned=OTHER_BRAND)
    fake.state.inject(Fault(endpoint="users_mentions", kind="rate_limit", user_id=BRAND.id,
                            reset_in_s=600))
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:  # proves the loop keeps running other coroutines
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    started = time.time()
    limited, other = await asyncio.gather(
        fetch_mentions_page(reader, BRAND.id),
        fetch_mentions_page(reader, OTHER_BRAND.id),
        return_exceptions=True,
    )
    elapsed = time.time() - started
    stop.set()
    await ticking

    assert isinstance(limited, RateLimited)
    assert limited.reset_known
    assert abs(limited.reset_at.timestamp() - math.ceil(started + 600)) <= 2
    assert 590 <= limited.wait_seconds() <= 601
    assert elapsed < 5  # raised at once: nobody slept until the reset
    assert not isinstance(other, BaseException) and len(other.tweets) == 1
    assert ticks > 0
    assert reader.tweepy.wait_on_rate_limit is False


async def test_429_without_reset_header_gets_a_default_wait(fake: FakeXServer, reader: XClient):
    fake.state.inject(Fault(endpoint="users_mentions", kind="rate_limit",
                            include_reset_header=False))
    with pytest.raises(RateLimited) as caught:
        await fetch_mentions_page(reader, BRAND.id)
    assert caught.value.reset_known is False
    assert 50 <= caught.value.wait_seconds() <= 61


async def test_spent_window_answers_429_until_its_reset(fake: FakeXServer, reader: XClient):
    fake.state.rate_limits["users_mentions"] = RateLimitRule(limit=2, window_s=300)
    first = await fetch_mentions_page(reader, BRAND.id)
    second = await fetch_mentions_page(reader, BRAND.id)
    with pytest.raises(RateLimited) as caught:
        await fetch_mentions_page(reader, BRAND.id)

    assert first.rate_limit is not None and second.rate_limit is not None
    assert (first.rate_limit.limit, first.rate_limit.remaining) == (2, 1)
    assert second.rate_limit.remaining == 0
    assert caught.value.reset_at == second.rate_limit.reset_at


@pytest.mark.parametrize(("status", "body"), [(503, "json"), (503, "text"), (500, "json"),
                                              (502, "text")])
async def test_server_errors_are_transient(fake: FakeXServer, reader: XClient, status: int,
                                           body: str):
    fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=status, body=body))
    with pytest.raises(TransientXError) as caught:
        await fetch_mentions_page(reader, BRAND.id)
    assert caught.value.status == status
    # The fault was used up: the next call works.
    assert (await fetch_mentions_page(reader, BRAND.id)).result_count == 0


async def test_plain_text_429_is_still_rate_limited(fake: FakeXServer, reader: XClient):
    fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=429, body="text"))
    with pytest.raises(RateLimited):
        await fetch_mentions_page(reader, BRAND.id)


async def test_dropped_connection_is_transient(fake: FakeXServer, reader: XClient):
    # aiohttp retries an idempotent request once on a reused connection: drop both tries.
    fake.state.inject(Fault(endpoint="users_mentions", kind="disconnect", count=2))
    with pytest.raises(TransientXError, match="network error"):
        await fetch_mentions_page(reader, BRAND.id)


async def test_timeout_is_transient(fake: FakeXServer):
    fake.state.inject(Fault(endpoint="users_mentions", kind="slow", delay_s=1.0))
    settings = XApiSettings(base_url=fake.base_url, timeout_s=0.2)
    async with XSession(settings) as session:
        client = session.reader(XCredentials(bearer_token=SecretStr("t")))
        with pytest.raises(TransientXError, match="timed out"):
            await fetch_mentions_page(client, BRAND.id)


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_client_errors_are_permanent_with_reason(fake: FakeXServer, reader: XClient,
                                                       status: int):
    fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=status))
    with pytest.raises(PermanentXError) as caught:
        await fetch_mentions_page(reader, BRAND.id)
    assert caught.value.status == status
    assert caught.value.reason == "injected fault"
    assert not caught.value.is_duplicate


async def test_invalid_pagination_token_is_permanent(fake: FakeXServer, reader: XClient):
    with pytest.raises(PermanentXError) as caught:
        await fetch_mentions_page(reader, BRAND.id, pagination_token="not-a-token")
    assert caught.value.status == 400


async def test_observer_sees_every_call(fake: FakeXServer):
    seen: list[tuple[str, int | None, RateLimitStatus | None]] = []
    fake.state.inject(Fault(endpoint="users_mentions", kind="error", status=503))
    async with XSession(XApiSettings(base_url=fake.base_url),
                        observer=lambda *args: seen.append(args)) as session:
        client = session.reader(XCredentials(bearer_token=SecretStr("t")))
        with pytest.raises(TransientXError):
            await fetch_mentions_page(client, BRAND.id)
        await fetch_mentions_page(client, BRAND.id)
    assert [(endpoint, status) for endpoint, status, _ in seen] == [
        ("users_mentions", 503), ("users_mentions", 200)]
    assert seen[1][2] is not None and seen[1][2].limit == 450


async def test_secrets_stay_out_of_logs_and_reprs(fake: FakeXServer, reader: XClient,
                                                  poster: XClient,
                                                  caplog: pytest.LogCaptureFixture):
    credentials = XCredentials(bearer_token=SecretStr("app-bearer-token"))
    with caplog.at_level(logging.DEBUG):
        await fetch_mentions_page(reader, BRAND.id)
        await authenticated_user_id(poster)  # OAuth 1.0a signed
    assert "Authorization" in caplog.text  # tweepy did log its headers, redacted
    for secret in ("app-bearer-token", OAUTH1_ACCESS_TOKEN, "consumer-key", "consumer-secret",
                   "access-token-secret"):
        assert secret not in caplog.text
    assert "app-bearer-token" not in repr(credentials)


def test_credentials_are_checked():
    with pytest.raises(ValidationError, match="all four"):
        XCredentials(consumer_key=SecretStr("k"), consumer_secret=SecretStr("s"))
    with pytest.raises(ValidationError, match="no X credentials"):
        XCredentials()
    with pytest.raises(ValueError, match="user context"):
        XCredentials(bearer_token=SecretStr("app")).post_auth()
    assert XCredentials(user_access_token=SecretStr("u")).post_auth() == "oauth2_user"
