"""The fake X API's own contract: control endpoints over HTTP, feeder, the serve command."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
from mentionflow.browser_headers import SECURITY_HEADERS
from mentionflow.xapi import (
    XApiSettings,
    XClient,
    XCredentials,
    XSession,
    authenticated_user_id,
    fetch_mentions,
    post_reply,
)
from mentionflow_tools.fakex import FakeXServer, FakeXState
from mentionflow_tools.fakex.feeder import MentionFeeder
from mentionflow_tools.generate import DEMO_BRANDS, TrafficGenerator
from pydantic import SecretStr

from .conftest import BRAND


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_control_endpoints_over_http(fake: FakeXServer, http: aiohttp.ClientSession,
                                           reader: XClient):
    base = fake.base_url
    generator = TrafficGenerator(DEMO_BRANDS, seed=5)
    body = generator.fake_x_batch(30)
    hexafone = DEMO_BRANDS[0].account_user_id
    expected = sorted((t["id"] for t in body["tweets"] if hexafone in t["mentioned_user_ids"]),
                      key=int, reverse=True)

    async with http.post(f"{base}/_fake/mentions", data=orjson.dumps(body)) as response:
        assert response.status == 200
        assert len((await response.json())["added"]) == 30
    async with http.post(f"{base}/_fake/faults", json={"faults": [
            {"endpoint": "users_mentions", "kind": "error", "status": 500, "user_id": "nobody"},
            {"endpoint": "users_mentions", "kind": "garbage", "garbage_items": 2}]}) as response:
        assert (await response.json()) == {"queued": 2}

    pages = [p async for p in fetch_mentions(reader, hexafone, None, max_results=100)]

    assert [t.id for p in pages for t in p.tweets] == expected
    assert sum(p.garbage for p in pages) == 2
    async with http.get(f"{base}/_fake/calls", params={"endpoint": "users_mentions"}) as response:
        calls = (await response.json())["calls"]
    assert [(c["path"], c["auth_kind"], c["status"], c["fault"]) for c in calls] == [
        (f"/2/users/{hexafone}/mentions", "bearer", 200, "garbage")]

    async with http.post(f"{base}/_fake/reset") as response:
        assert response.status == 200
    async with http.get(f"{base}/_fake/calls") as response:
        assert (await response.json())["calls"] == []


async def test_control_endpoints_reject_bad_input(fake: FakeXServer, http: aiohttp.ClientSession):
    async with http.post(f"{fake.base_url}/_fake/faults",
                         json={"endpoint": "users_mentions", "kind": "explode"}) as response:
        assert response.status == 422
    async with http.post(f"{fake.base_url}/_fake/mentions", data=b"{not json") as response:
        assert response.status == 400
    assert fake.state.calls() == []


async def test_every_answer_carries_the_browser_protections(fake: FakeXServer, http: aiohttp.ClientSession):
    # The fake is served to browsers too (make run): same headers as the console, errors included.
    answers = [http.get(f"{fake.base_url}/_fake/calls"), http.get(f"{fake.base_url}/2/users/me"),
               http.get(f"{fake.base_url}/no/such/page"), http.post(f"{fake.base_url}/_fake/mentions", data=b"{")]
    statuses = []
    for answer in answers:
        async with answer as response:
            statuses.append(response.status)
            for name, value in SECURITY_HEADERS.items():
                assert response.headers.get(name) == value, (response.url, name)
            assert response.headers["Cache-Control"] == "no-store"
    assert statuses == [200, 401, 404, 400]


async def test_x_endpoints_need_some_authorization(fake: FakeXServer,
                                                   http: aiohttp.ClientSession):
    async with http.get(f"{fake.base_url}/2/users/{BRAND.id}/mentions") as response:
        assert response.status == 401
        assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= {
            key.lower() for key in response.headers}
    assert fake.state.calls()[0].auth_kind == "none"


async def test_user_lookup_by_username(fake: FakeXServer, http: aiohttp.ClientSession):
    headers = {"Authorization": "Bearer whatever"}
    async with http.get(f"{fake.base_url}/2/users/by/username/hexafone", headers=headers,
                        params={"user.fields": "public_metrics,verified"}) as response:
        data = (await response.json())["data"]
    assert (data["id"], data["username"], data["verified"]) == (BRAND.id, "Hexafone", True)
    assert data["public_metrics"]["followers_count"] == BRAND.followers
    async with http.get(f"{fake.base_url}/2/users/by/username/nobody",
                        headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["errors"][0]["title"] == "Not Found Error"


async def test_feeder_adds_due_mentions_that_polling_then_sees(fake: FakeXServer,
                                                               reader: XClient):
    now = [1_800_000_000.0]
    feeder = MentionFeeder(fake.state, DEMO_BRANDS, rate_per_s=50, seed=3, clock=lambda: now[0])
    assert feeder.pump() == 0  # nothing is due at the start instant

    now[0] += 10
    fed_first = feeder.pump()
    now[0] += 10
    fed_second = feeder.pump()

    assert 250 <= fed_first <= 750 and 250 <= fed_second <= 750  # ~50/s over 10 s each
    seen: list[str] = []
    for brand in DEMO_BRANDS:
        async for page in fetch_mentions(reader, brand.account_user_id, None):
            seen.extend(t.id for t in page.tweets)
    assert len(set(seen)) == fed_first + fed_second


@pytest.mark.slow
async def test_serve_command_runs_as_a_process():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mentionflow_tools.cli.main", "fake-x", "serve", "--port", "0",
        "--token", "tok=hexafone", "--rate-limit", "users_mentions=7/60",
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        announced = orjson.loads(line)
        base = announced["base_url"]
        hexafone = announced["accounts"]["hexafone"]["user_id"]
        body = TrafficGenerator(DEMO_BRANDS[:1], seed=9).fake_x_batch(12)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/_fake/mentions", data=orjson.dumps(body)) as response:
                assert response.status == 200
        async with XSession(XApiSettings(base_url=base)) as session:
            reader = session.reader(XCredentials(bearer_token=SecretStr("t")))
            pages = [p async for p in fetch_mentions(reader, hexafone, None)]
            poster = session.poster(XCredentials(
                consumer_key=SecretStr("k"), consumer_secret=SecretStr("s"),
                access_token=SecretStr("tok"), access_token_secret=SecretStr("ts")))
            posted = await post_reply(poster, "Merci !", pages[0].tweets[0].id)
            me = await authenticated_user_id(poster)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/_fake/replies") as response:
                replies = (await response.json())["replies"]
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=20)
    assert code == 0
    assert sorted(t.id for t in pages[0].tweets) == sorted(t["id"] for t in body["tweets"])
    assert pages[0].rate_limit is not None and pages[0].rate_limit.limit == 7
    assert me == hexafone
    assert [(r["id"], r["author_id"]) for r in replies] == [(posted, hexafone)]


def test_state_is_usable_without_http():
    state = FakeXState()
    status, body = state.users_mentions("42", {"max_results": "4"})
    assert status == 400 and body["title"] == "Invalid Request"
    assert state.users_mentions("42", {}) == (200, {"meta": {"result_count": 0}})
