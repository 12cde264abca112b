"""Who may see and do what: authentication, brand isolation (404), roles (403), CSRF, login limits."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mentionflow.queue.domain import ITEM_FROM, ITEM_STATUS, ITEM_TAGS

from tests.console.factories import insert_incident, insert_item
from tests.console.sessions import csrf_from, logged_in, login

ITEM_ACTIONS = [("post", "claim", None), ("post", "release", None), ("post", "reply", {"text": "hi"}),
                ("post", "resolve", {}), ("post", "tags", {"add": ["x"]}), ("get", "replies", None), ("get", "", None)]


async def test_unauthenticated_api_is_401_and_pages_redirect_to_login(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client() as anonymous:
        for path in ("/api/v1/items", f"/api/v1/items/{item}", "/api/v1/incidents", "/api/v1/me"):
            response = await anonymous.get(path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
        assert (await anonymous.post(f"/api/v1/items/{item}/claim")).status_code == 401
        wrong = await anonymous.get("/api/v1/items", headers={"Authorization": "Bearer mft_not-a-token"})
        assert wrong.status_code == 401
        for path in ("/", f"/items/{item}", "/crisis", "/audit"):
            page = await anonymous.get(path)
            assert page.status_code == 303 and page.headers["location"].startswith("/login"), path
        assert (await anonymous.get(f"/items/{item}")).headers["location"] == f"/login?next=/items/{item}"


@pytest.mark.parametrize(("method", "action", "body"), ITEM_ACTIONS)
async def test_other_brands_items_are_404_for_every_read_and_action(console, method, action, body):
    item = await insert_item(console.pool, brand="brand-a")
    path = f"/api/v1/items/{item}" + (f"/{action}" if action else "")
    async with console.client("agent-b") as outsider, console.client("agent-a") as insider:
        kwargs = {"json": body} if body is not None else {}
        response = await getattr(outsider, method)(path, **kwargs)
        assert response.status_code == 404, response.text
        assert (await insider.get(f"/api/v1/items/{item}")).status_code == 200
    row = await console.pool.fetchrow(f"SELECT {ITEM_STATUS} AS status, w.assignee, {ITEM_TAGS} AS tags "
                                      f"FROM {ITEM_FROM} WHERE q.id = $1", item)
    assert (row["status"], row["assignee"], row["tags"]) == ("new", None, [])


async def test_queue_list_filters_and_pages_only_show_own_brands(console):
    mine = await insert_item(console.pool, brand="brand-a", text="@brand-a visible to A")
    theirs = await insert_item(console.pool, brand="brand-b", text="@brand-b secret of B")
    async with console.client("agent-a") as agent_a:
        ids = {i["id"] for i in (await agent_a.get("/api/v1/items")).json()}
        assert ids == {str(mine)}
        assert (await agent_a.get("/api/v1/items", params={"brand": "brand-b"})).status_code == 404
        assert (await agent_a.get("/api/v1/items/stream", params={"brand": "brand-b"})).status_code == 404
    async with console.client("lead") as lead:
        assert {i["id"] for i in (await lead.get("/api/v1/items")).json()} == {str(mine), str(theirs)}
    async with logged_in(console.base_url, "agent-a") as (client, _):
        queue_page = await client.get("/")
        assert "visible to A" in queue_page.text and "secret of B" not in queue_page.text
        assert (await client.get(f"/items/{theirs}")).status_code == 404
        assert "secret of B" not in (await client.get(f"/items/{theirs}")).text


async def test_live_updates_never_carry_other_brands(console):
    async with console.client("agent-a") as agent_a:
        async with agent_a.stream("GET", "/api/v1/items/stream") as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            await insert_item(console.pool, brand="brand-b", text="@brand-b not for A")
            mine = await insert_item(console.pool, brand="brand-a", text="@brand-a for A")
            [data] = (await asyncio.wait_for(_next_data(lines), 10))["items"]
            assert data["item"]["id"] == str(mine) and data["visible"] is True
            # the claim shows up on the same stream; the brand-b row never does
            await console.pool.execute("INSERT INTO queue_work (item_id, brand_id, status, assignee, version) "
                                           "VALUES ($1, 'brand-a', 'claimed', 'agent-a2', 1)", mine)
            [data] = (await asyncio.wait_for(_next_data(lines), 10))["items"]
            assert (data["item"]["id"], data["item"]["assignee"]) == (str(mine), "agent-a2")


async def _next_data(lines):
    async for line in lines:
        if line.startswith("data: "):
            import json

            return json.loads(line[6:])
    raise AssertionError("stream ended")


async def test_other_brands_incidents_are_404(console):
    incident = await insert_incident(console.pool, brand="brand-b")
    async with console.client("lead-a") as lead_a, console.client("agent-a") as agent_a:
        assert (await lead_a.get(f"/api/v1/incidents/{incident}")).status_code == 404
        assert (await lead_a.post(f"/api/v1/incidents/{incident}/acknowledge")).status_code == 404
        assert (await lead_a.post(f"/api/v1/incidents/{incident}/resolve")).status_code == 404
        assert (await lead_a.get("/api/v1/incidents")).json() == []
        assert (await agent_a.get("/api/v1/incidents", params={"brand": "brand-b"})).status_code == 404
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests") == 0  # nothing asked of publish


async def test_roles(console):
    item = await insert_item(console.pool, brand="brand-a")
    incident = await insert_incident(console.pool, brand="brand-a")
    async with console.client("agent-a") as agent, console.client("lead") as lead, \
            console.client("admin") as admin:
        forbidden = [
            await agent.post(f"/api/v1/items/{item}/reassign", json={"assignee": "agent-a2"}),
            await agent.post(f"/api/v1/incidents/{incident}/acknowledge"),
            await agent.post(f"/api/v1/incidents/{incident}/resolve"),
            await agent.get("/api/v1/audit"),
            await agent.get("/api/v1/users"),
            await lead.get("/api/v1/users"),
        ]
        assert [r.status_code for r in forbidden] == [403] * len(forbidden)
        assert "lead" in forbidden[0].json()["detail"]
        assert (await admin.get("/api/v1/users")).status_code == 200
        assert (await lead.get("/api/v1/audit")).status_code == 200
        assert (await admin.post(f"/api/v1/incidents/{incident}/acknowledge")).status_code == 200
        me = (await agent.get("/api/v1/me")).json()
        assert me == {"username": "agent-a", "display_name": "agent-a", "role": "agent", "brands": ["brand-a"],
                      "replies_need_approval": False}
    async with logged_in(console.base_url, "agent-a") as (client, _):
        assert (await client.get("/audit")).status_code == 403


async def test_cookie_session_writes_need_the_csrf_token(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with logged_in(console.base_url, "agent-a") as (client, csrf):
        cookie = client.cookies.get("mf_session")
        assert cookie
        assert (await client.get("/api/v1/me")).json()["username"] == "agent-a"
        assert (await client.post(f"/api/v1/items/{item}/claim")).status_code == 403
        assert (await client.post(f"/api/v1/items/{item}/claim", headers={"X-CSRF-Token": "forged"})).status_code == 403
        # form posts: without or with a wrong token → 403, nothing changes
        for token in ("", "forged"):
            refused = await client.post(f"/items/{item}/claim", data={"csrf_token": token})
            assert refused.status_code == 403
        assert await console.pool.fetchval(f"SELECT {ITEM_STATUS} FROM {ITEM_FROM} WHERE q.id = $1", item) == "new"
        ok = await client.post(f"/api/v1/items/{item}/claim", headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200 and ok.json()["assignee"] == "agent-a"
        # logging out ends the session server-side: the old cookie is worthless
        await client.post("/logout", data={"csrf_token": csrf})
    async with httpx.AsyncClient(base_url=console.base_url, cookies={"mf_session": cookie}) as replay:
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_session_cookie_flags(console):
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        response = await login(client, "agent-a")
        set_cookie = response.headers["set-cookie"].lower()
        assert "mf_session=" in set_cookie and "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert "secure" not in set_cookie  # the harness turns the insecure_dev_cookies switch on


async def test_login_form_needs_its_csrf_cookie(console):
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        form = await client.get("/login")
        client.cookies.clear()
        response = await client.post("/login", data={"username": "agent-a", "password": "correct horse battery",
                                                     "csrf_token": csrf_from(form.text)})
        assert response.status_code == 403 and "mf_session" not in response.cookies


async def test_login_attempts_are_rate_limited_per_username(console):
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        for _ in range(3):  # login_max_failures=3 in the test settings
            assert (await login(client, "agent-a", "wrong password!")).status_code == 401
        blocked = await login(client, "agent-a")  # even the right password waits now
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "mf_session" not in blocked.cookies
        assert (await login(client, "agent-b")).status_code == 303  # another username is not blocked
    failures = await console.pool.fetchval(
        "SELECT count(*) FROM login_attempts WHERE username = 'agent-a' AND NOT succeeded")
    assert failures == 3
