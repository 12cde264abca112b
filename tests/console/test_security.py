"""Console security: links built only by the safe-link rule whatever is stored, Secure cookies
by default, session rotation, idle / absolute timeouts, privilege changes ending sessions."""

from __future__ import annotations

import re

import httpx
import pytest
from mentionflow.accounts import store
from mentionflow_console.links import post_url, profile_url, safe_url
from mentionflow_console.settings import ConsoleOptions

from tests.console.factories import insert_item
from tests.console.harness import base_url_of, serving
from tests.console.sessions import logged_in, login

HOSTILE_URLS = ["javascript:alert(document.domain)", "JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>",
                "vbscript:msgbox(1)", "//evil.example/phish", "https://evil.example/phish", "http://x.com/a/status/1",
                "java\tscript:alert(1)"]
_HREF = re.compile(r'\b(?:href|src|action)="([^"]*)"')


def _outside_links(html: str) -> list[str]:
    return [link for link in _HREF.findall(html) if not (link.startswith("/") and not link.startswith("//"))]


def test_safe_link_rule():
    built = "https://x.com/jo_42/status/1890000000000000001"
    assert post_url("jo_42", "1890000000000000001", "javascript:alert(1)") == built
    assert post_url("not a handle", "1", "https://twitter.com/jo/status/1") == "https://twitter.com/jo/status/1"
    assert post_url("jo", "12ab", "data:text/html,x") is None
    assert profile_url("jo_42") == "https://x.com/jo_42" and profile_url('"><script>') is None
    assert [safe_url(url) for url in HOSTILE_URLS] == [None] * len(HOSTILE_URLS)
    assert safe_url("https://x.com/jo/status/1") == "https://x.com/jo/status/1"


@pytest.mark.parametrize("stored", HOSTILE_URLS)
async def test_a_stored_bad_url_is_never_rendered_as_a_link(console, stored):
    # Inserted straight into the database: an old row, or a collector from before validation.
    linkable = await insert_item(console.pool, brand="brand-a", url=stored)
    unlinkable = await insert_item(console.pool, brand="brand-a", url=stored, handle="not a handle")
    external_id = await console.pool.fetchval("SELECT external_id FROM queue_items WHERE id = $1", linkable)
    handle = await console.pool.fetchval("SELECT author_handle FROM queue_items WHERE id = $1", linkable)
    async with logged_in(console.base_url, "agent-a") as (client, _):
        built = (await client.get(f"/items/{linkable}")).text
        assert _outside_links(built) == [f"https://x.com/{handle}", f"https://x.com/{handle}/status/{external_id}"]
        bare = (await client.get(f"/items/{unlinkable}")).text
        assert _outside_links(bare) == [] and "open on X" not in bare
        for html in (built, bare, (await client.get("/")).text):
            assert stored not in html
    async with console.client("agent-a") as api:
        assert (await api.get(f"/api/v1/items/{linkable}")).json()["url"] == \
            f"https://x.com/{handle}/status/{external_id}"
        assert (await api.get(f"/api/v1/items/{unlinkable}")).json()["url"] is None


def test_cookies_are_secure_unless_the_dev_switch_is_on():
    assert ConsoleOptions().cookie_secure is True
    assert ConsoleOptions(insecure_dev_cookies=True).cookie_secure is False


async def test_default_settings_send_secure_cookies(console):
    production = console.settings.model_copy(update={"console": ConsoleOptions()})
    async with serving(production) as running:
        async with httpx.AsyncClient(base_url=base_url_of(running)) as client:
            form = await client.get("/login")
            assert "secure" in form.headers["set-cookie"].lower()
            # httpx, like a browser, keeps Secure cookies off plain http: hand the login token over.
            token = re.search(r"mf_login_csrf=([^;]+)", form.headers["set-cookie"]).group(1)
            response = await client.post("/login", headers={"Cookie": f"mf_login_csrf={token}"}, data={
                "username": "agent-a", "password": "correct horse battery", "csrf_token": token, "next": "/"})
            assert response.status_code == 303
            session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("mf_session="))
            flags = {part.strip().lower() for part in session_cookie.split(";")}
            assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags


async def _session_cookie(client: httpx.AsyncClient) -> str:
    return client.cookies["mf_session"]


async def test_login_rotates_the_session_and_ends_the_previous_one(console):
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        assert (await login(client, "agent-a")).status_code == 303
        first = await _session_cookie(client)
        assert (await login(client, "lead")).status_code == 303  # the same browser logs in again
        second = await _session_cookie(client)
        assert second != first
        assert (await client.get("/api/v1/me")).json()["username"] == "lead"
    async with httpx.AsyncClient(base_url=console.base_url, cookies={"mf_session": first}) as replay:
        assert (await replay.get("/api/v1/me")).status_code == 401


async def test_idle_and_absolute_timeouts_end_the_session(console):
    idle = console.settings.console.session_idle_minutes
    async with logged_in(console.base_url, "agent-a") as (client, _):
        assert (await client.get("/api/v1/me")).status_code == 200
        await console.pool.execute("UPDATE console_sessions SET last_seen_at = now() - make_interval(mins => $1) "
                                   "+ interval '30 seconds'", idle)
        assert (await client.get("/api/v1/me")).status_code == 200  # just in time: and the use counts
        await console.pool.execute("UPDATE console_sessions SET last_seen_at = now() - make_interval(mins => $1) "
                                   "- interval '1 second'", idle)
        assert (await client.get("/api/v1/me")).status_code == 401
        assert (await client.get("/")).headers["location"] == "/login"
    async with logged_in(console.base_url, "agent-a") as (client, _):
        await console.pool.execute("UPDATE console_sessions SET expires_at = now() - interval '1 second'")
        assert (await client.get("/api/v1/me")).status_code == 401  # used a second ago, but past its lifetime


@pytest.mark.parametrize("change", ["role", "grant", "revoke"])
async def test_a_privilege_change_ends_the_users_sessions(console, change):
    async with logged_in(console.base_url, "lead-a") as (client, _):
        before = await _session_cookie(client)
        if change == "role":
            await console.pool.execute("UPDATE users SET role = 'agent' WHERE username = 'lead-a'")
        elif change == "grant":
            await store.grant(console.pool, username="lead-a", brands=["brand-b"])
        else:
            await store.revoke(console.pool, username="lead-a", brands=["brand-a"])
        assert (await client.get("/api/v1/me")).status_code == 401
        assert await console.pool.fetchval("SELECT count(*) FROM console_sessions") == 0
        assert (await login(client, "lead-a")).status_code == 303
        assert await _session_cookie(client) != before
        assert (await client.get("/api/v1/me")).status_code == 200
    async with logged_in(console.base_url, "agent-a") as (client, _):  # others' sessions live on
        assert (await client.get("/api/v1/me")).status_code == 200
