"""Log in through the login form, as a browser would (double-submit CSRF cookie)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.console.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/login")
    return await client.post("/login", data={"username": username, "password": password,
                                             "csrf_token": csrf_from(form.text), "next": "/"})


@asynccontextmanager
async def logged_in(base_url: str, username: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client holding a session cookie, and the session's CSRF token (from the queue page)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as client:
        response = await login(client, username)
        assert response.status_code == 303, response.text
        page = await client.get("/")
        yield client, csrf_from(page.text)
