"""A security crawl of the console as every role, with production cookie settings (Secure).

From the start pages, follows every same-origin link, resource, live-stream URL and GET form
(each form submitted with a script payload in every field), and checks on every response:
the browser-protection headers, `Cache-Control: no-store` outside /static, no input reflected
unescaped into HTML (query strings, paths, and mentions whose text carries the payload), no
mixed content (no http:// resource or link), and every cookie Secure, HttpOnly and SameSite.

No scanner from the registries here crawls a logged-in app by role without a browser
download at run time, so this is our own; the browser test covers what only a browser sees.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from mentionflow.browser_headers import SECURITY_HEADERS
from mentionflow_console.settings import ConsoleOptions

from tests.console.factories import PASSWORD, insert_incident, insert_item, insert_reply_draft
from tests.console.harness import base_url_of, serving
from tests.console.sessions import csrf_from

ROLES = (None, "agent-a", "agent-b", "lead", "admin")
PROBE = "\"'><script>mfprobe(1)</script><img src=x onerror=mfprobe(2)>"
RAW_PROBE_PARTS = ("<script>mfprobe", "<img src=x onerror")  # what escaping must have turned into text
START = ["/", "/login", "/crisis", "/audit", "/no-such-page", "/healthz", "/readyz", "/metrics", "/openapi.json",
         "/static/console.css", "/static/console.js", "/api/v1/me", "/api/v1/items", "/api/v1/incidents",
         "/api/v1/audit", "/api/v1/users", "/api/v1/items/stream",
         f"/login?{urlencode({'next': PROBE})}", f"/items/{PROBE}", f"/api/v1/items/{PROBE}",
         f"/?{urlencode({'brand': PROBE, 'status': PROBE})}", f"/crisis?{urlencode({'brand': PROBE})}"]
MAX_PER_ROLE = 150

_LINK = re.compile(r'\b(?:href|src|action|data-stream|data-replies-url)="([^"]*)"')
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_NAME = re.compile(r'\bname="([^"]+)"')
_MIXED = re.compile(r'(?:\b(?:src|href|action|data-[\w-]+)="|url\()\s*http://', re.I)


@dataclass
class Visitor:
    """A cookie jar kept by hand: the cookies are Secure, and a client (like a browser) would
    not send them over plain http. Checks every response it receives."""

    base_url: str
    client: httpx.AsyncClient
    cookies: dict[str, str] = field(default_factory=dict)
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    async def fetch(self, method: str, path: str, data: dict | None = None) -> tuple[httpx.Response, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        async with self.client.stream(method, path, data=data, headers=headers) as response:
            streaming = response.headers.get("content-type", "").startswith("text/event-stream")
            body = "" if streaming else (await response.aread()).decode("utf-8", "replace")
        self._check(path, response, body)
        return response, body

    def _problem(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def _check(self, path: str, response: httpx.Response, body: str) -> None:
        self.checked += 1
        for name, value in SECURITY_HEADERS.items():
            if response.headers.get(name) != value:
                self._problem(path, f"{name} is {response.headers.get(name)!r}")
        if not urlsplit(path).path.startswith("/static/") and response.headers.get("cache-control") != "no-store":
            self._problem(path, f"Cache-Control is {response.headers.get('cache-control')!r}")
        for cookie in response.headers.get_list("set-cookie"):
            flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
            if not {"secure", "httponly", "samesite"} <= flags:
                self._problem(path, f"cookie without Secure/HttpOnly/SameSite: {cookie}")
            name, _, value = cookie.split(";")[0].partition("=")
            if "max-age=0" in cookie.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        kind = response.headers.get("content-type", "")
        if "text/html" in kind:
            for part in RAW_PROBE_PARTS:
                if part in body:
                    self._problem(path, f"unescaped input reflected: {part!r}")
            if _MIXED.search(body):
                self._problem(path, "mixed content: an http:// resource or link")
        elif kind.startswith(("text/css", "text/javascript", "application/javascript")) and "http://" in body:
            self._problem(path, "mixed content in a static asset")

    async def log_in(self, username: str) -> None:
        _, form = await self.fetch("GET", "/login")
        response, _ = await self.fetch("POST", "/login", {"username": username, "password": PASSWORD,
                                                          "csrf_token": csrf_from(form), "next": "/"})
        assert response.status_code == 303 and "mf_session" in self.cookies, f"{username} could not log in"


def follow_ups(body: str) -> list[str]:
    """Same-origin URLs of a page: links, resources, live endpoints, and each GET form filled
    with PROBE in every field."""
    found = [unescape(link) for link in _LINK.findall(body)]
    for attributes, inner in _FORM.findall(body):
        if 'method="get"' in attributes.lower():
            action = re.search(r'action="([^"]*)"', attributes)
            names = sorted(set(_NAME.findall(inner)))
            found.append(f"{unescape(action.group(1)) if action else '/'}?{urlencode({n: PROBE for n in names})}")
    return [url for url in found if url.startswith("/") and not url.startswith("//")]


async def crawl(visitor: Visitor) -> set[str]:
    seen: set[str] = set()
    queue = deque(START)
    while queue and len(seen) < MAX_PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response, body = await visitor.fetch("GET", path)
        if "text/html" in response.headers.get("content-type", ""):
            queue.extend(url for url in follow_ups(body) if url not in seen)
    return seen


@pytest.fixture
async def hostile_console(console):  # noqa: ANN001
    """The console with production settings (Secure cookies), mentions carrying PROBE in their
    text and author name, incidents and audit entries of both brands."""
    for brand in ("brand-a", "brand-b"):
        incident = await insert_incident(console.pool, brand=brand)
        for _ in range(2):
            await insert_item(console.pool, brand=brand, text=f"@{brand} {PROBE}", author_name=PROBE,
                              incident_id=incident, url="javascript:mfprobe(3)")
    item = await insert_item(console.pool, brand="brand-a", text=f"claimed {PROBE}")
    async with console.client("agent-a") as agent:
        assert (await agent.post(f"/api/v1/items/{item}/tags", json={"add": ["vip"]})).status_code == 200
        assert (await agent.post(f"/api/v1/items/{item}/claim")).status_code == 200
    await insert_reply_draft(console.pool, brand="brand-a", author="agent-a2", text=f"draft {PROBE}")  # /approvals
    production = console.settings.model_copy(update={"console": ConsoleOptions()})
    async with serving(production) as running:
        yield base_url_of(running)


async def test_crawl_every_role(hostile_console, capsys):  # noqa: ANN001
    report = []
    problems: list[str] = []
    for role in ROLES:
        async with httpx.AsyncClient(base_url=hostile_console, timeout=10.0) as client:
            visitor = Visitor(hostile_console, client)
            if role:
                await visitor.log_in(role)
            pages = await crawl(visitor)
            report.append(f"{role or 'anonymous'}: {len(pages)} URLs, {visitor.checked} responses")
            problems += [f"[{role or 'anonymous'}] {p}" for p in visitor.problems]
            if role:
                assert any(p.startswith("/items/") and PROBE not in p for p in pages), "never reached a mention"
    with capsys.disabled():
        print("\nsecurity crawl: " + "; ".join(report))
    assert not problems, "\n".join(problems[:40])
