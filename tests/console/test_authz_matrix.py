"""The authorization matrix: every route of the console app × every role, on an item (and an
incident, a saved reply) of brand A, against the expected outcome written once in MATRIX below.

Routes are discovered from the app itself, so a new route without a row fails the test (and a
row without a route too). API routes are called with the role's bearer token, pages with its
browser session (cookie + CSRF token). Each cell gets a fresh item, incident and saved reply, so one cell's
action cannot change another's answer. Outcomes: the status, and for redirects where to.
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Mount, Route

from tests.console.factories import (
    insert_incident,
    insert_item,
    insert_post,
    insert_reply_draft,
    insert_saved_reply,
)
from tests.console.sessions import logged_in

# anonymous; an agent of brand A; an agent of brand B; a lead of brands A and B; an admin of all.
ROLES = ("anonymous", "agent-a", "agent-b", "lead", "admin")
LOGIN = "303 /login"


@dataclass(frozen=True)
class Row:
    """Expected outcome per role (in ROLES order), and how to call the route."""

    expect: tuple[str, str, str, str, str]
    fill: dict[str, str] = field(default_factory=dict)  # path parameters other than item/incident ids
    json: dict | None = None  # API body
    form: dict | None = None  # page form (the session's csrf_token is added)
    claimed_by: str | None = None  # the item is claimed by this colleague of brand A first
    post_status: str = "draft"  # the state of brand A's post (by agent-a2) a {post_id} route is called on


def same(outcome: str) -> tuple[str, str, str, str, str]:
    return (outcome,) * 5  # type: ignore[return-value]


API_ITEM = ("401", "200", "404", "200", "200")  # brand A's item: B's agent sees nothing (404, as if missing)
API_LIST = ("401", "200", "200", "200", "200")
API_LEAD = ("401", "403", "403", "200", "200")

MATRIX: dict[str, Row] = {
    # ops and static: public by design (no mention, no user data)
    "GET /healthz": Row(same("200")),
    "GET /readyz": Row(same("200")),
    "GET /metrics": Row(same("200")),
    "GET /openapi.json": Row(same("200")),
    "GET /static/{path}": Row(same("200"), fill={"path": "console.js"}),
    # API: queue and items
    "GET /api/v1/items": Row(API_LIST),
    "GET /api/v1/items/stream": Row(API_LIST),
    "GET /api/v1/items/{item_id}": Row(API_ITEM),
    "GET /api/v1/items/{item_id}/replies": Row(API_ITEM),
    "POST /api/v1/items/{item_id}/claim": Row(API_ITEM),
    # a colleague holds the item: only leads (and admins) may hand it back
    "POST /api/v1/items/{item_id}/release": Row(("401", "409", "404", "200", "200"), claimed_by="agent-a2"),
    # nobody replies to an item they have not claimed
    "POST /api/v1/items/{item_id}/reply": Row(("401", "409", "404", "409", "409"), json={"text": "hello"}),
    "POST /api/v1/items/{item_id}/resolve": Row(API_ITEM, json={}),
    "POST /api/v1/items/{item_id}/tags": Row(API_ITEM, json={"add": ["vip"]}),
    "POST /api/v1/items/{item_id}/reassign": Row(("401", "403", "403", "200", "200"), json={"assignee": "agent-a2"}),
    # bulk: assigning is for leads (agents: 403 whole); items outside a brand are refused one by one
    "POST /api/v1/items/bulk": Row(("401", "403", "403", "200", "200"),
                                   json={"action": "assign", "assignee": "agent-a2", "filter": {"brand": "brand-a"}}),
    # anyone who sees the item may correct its labels (202: produced to labels.corrected)
    "POST /api/v1/items/{item_id}/label-correction": Row(("401", "202", "404", "202", "202"),
                                                         json={"category": "complaint"}),
    # API: saved replies (leads manage them), notes and mentions, customer history
    "GET /api/v1/saved-replies": Row(API_LIST),
    "POST /api/v1/saved-replies": Row(("401", "403", "404", "201", "201"), json={
        "brand_id": "brand-a", "language": "en", "name": "{name}", "body": "Hi {author_name}"}),
    "PUT /api/v1/saved-replies/{reply_id}": Row(("401", "403", "404", "200", "200"), json={
        "brand_id": "brand-a", "language": "en", "name": "{name}", "body": "Hello {author_name}"}),
    "DELETE /api/v1/saved-replies/{reply_id}": Row(("401", "403", "404", "204", "204")),
    "POST /api/v1/items/{item_id}/saved-replies/{reply_id}/expand": Row(API_ITEM, json={}),
    "GET /api/v1/items/{item_id}/notes": Row(API_ITEM),
    "POST /api/v1/items/{item_id}/notes": Row(("401", "201", "404", "201", "201"), json={"body": "see @lead"}),
    "GET /api/v1/mentions": Row(API_LIST),
    "GET /api/v1/mentions/stream": Row(API_LIST),
    "GET /api/v1/items/{item_id}/customer": Row(API_ITEM),
    "PUT /api/v1/items/{item_id}/customer/note": Row(API_ITEM, json={"note": "VIP"}),
    # API: incidents, audit, users
    "GET /api/v1/incidents": Row(API_LIST),
    "GET /api/v1/incidents/{incident_id}": Row(API_ITEM),
    "POST /api/v1/incidents/{incident_id}/acknowledge": Row(API_LEAD),
    "POST /api/v1/incidents/{incident_id}/resolve": Row(API_LEAD),
    "GET /api/v1/audit": Row(API_LEAD),
    "GET /api/v1/me": Row(API_LIST),
    "GET /api/v1/users": Row(("401", "403", "403", "403", "200")),
    # API: analytics of brand A, its CSV tables and client report (leads; agents are refused first)
    "GET /api/v1/analytics/{brand}": Row(API_LEAD, fill={"brand": "brand-a"}),
    "GET /api/v1/analytics/{brand}/csv/{table}": Row(API_LEAD, fill={"brand": "brand-a", "table": "items"}),
    "GET /api/v1/analytics/{brand}/report.pdf": Row(API_LEAD, fill={"brand": "brand-a"}),
    # API: auto-assignment (one's own availability; leads set their brands' people's)
    "GET /api/v1/availability": Row(API_LIST),
    "PUT /api/v1/availability": Row(API_LIST, json={"mode": "available"}),
    "PUT /api/v1/users/{username}/availability": Row(("401", "200", "403", "200", "200"),
                                                     fill={"username": "agent-a"}, json={"mode": "away"}),
    "GET /api/v1/assignment/queues": Row(API_LIST),
    # API: reply approval (a draft by agent-a2 of brand A): leads decide, agents never; a draft of
    # a brand the caller does not see is missing for them whatever their role (404 before 403)
    "GET /api/v1/approvals": Row(API_LEAD),
    "GET /api/v1/approvals/{draft_id}": Row(API_ITEM),
    "POST /api/v1/approvals/{draft_id}/approve": Row(("401", "403", "404", "200", "200"),
                                                     json={"text": "Approved, edited"}),
    "POST /api/v1/approvals/{draft_id}/reject": Row(("401", "403", "404", "200", "200"),
                                                    json={"comment": "too casual"}),
    "PUT /api/v1/users/{username}/replies-need-approval": Row(("401", "403", "403", "403", "200"),
                                                             fill={"username": "agent-a2"},
                                                             json={"replies_need_approval": False}),
    # API: publishing (brand A's post by agent-a2): anyone of the brand composes and reads; the
    # author or a lead edits, submits, deletes, cancels; a lead other than the author decides
    "GET /api/v1/publishing": Row(API_LIST),
    "GET /api/v1/publishing/{brand}/calendar": Row(API_ITEM, fill={"brand": "brand-a"}),
    "POST /api/v1/posts/length": Row(API_LIST, json={"parts": ["Hello 🎉"]}),
    "GET /api/v1/posts": Row(API_LIST),
    "POST /api/v1/posts": Row(("401", "201", "404", "201", "201"), json={
        "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["Hello, community"]}),
    "GET /api/v1/posts/{post_id}": Row(API_ITEM),
    "PUT /api/v1/posts/{post_id}": Row(("401", "403", "404", "200", "200"), json={
        "account_handle": "BrandAHelp", "parts": ["Edited"]}),
    "DELETE /api/v1/posts/{post_id}": Row(("401", "403", "404", "204", "204")),
    "POST /api/v1/posts/{post_id}/submit": Row(("401", "403", "404", "200", "200")),
    "POST /api/v1/posts/{post_id}/approve": Row(("401", "403", "404", "200", "200"), json={},
                                                post_status="awaiting_approval"),
    "POST /api/v1/posts/{post_id}/reject": Row(("401", "403", "404", "200", "200"), json={"comment": "not now"},
                                               post_status="awaiting_approval"),
    "POST /api/v1/posts/{post_id}/cancel": Row(("401", "403", "404", "200", "200"), post_status="requested"),
    "GET /api/v1/posts/{post_id}/debate": Row(API_ITEM),
    # pages: no session → the login page; another brand's item → 404 page
    "GET /login": Row(same("200")),
    "POST /login": Row(same("403"), form={"username": "nobody", "password": "x"}),  # no login-form token
    "POST /logout": Row(same(LOGIN), form={}),
    "GET /": Row((LOGIN, "200", "200", "200", "200")),
    "GET /items/{item_id}": Row((LOGIN, "200", "404", "200", "200")),
    "POST /items/{item_id}/{action}": Row((LOGIN, "303 /items/{item_id}", "404", "303 /items/{item_id}",
                                           "303 /items/{item_id}"), fill={"action": "claim"}, form={}),
    "GET /crisis": Row((LOGIN, "200", "200", "200", "200")),
    "POST /crisis/{incident_id}/{action}": Row((LOGIN, "403", "403", "303 /crisis#incident-{incident_id}",
                                                "303 /crisis#incident-{incident_id}"),
                                               fill={"action": "acknowledge"}, form={}),
    # the queue's bulk form: the queue comes back with the outcome (B's agent's filter finds none of A's items)
    "POST /bulk": Row((LOGIN, "200", "200", "200", "200"), form={"action": "tag", "tags": "vip", "target": "filter"}),
    "GET /audit": Row((LOGIN, "403", "403", "200", "200")),
    "GET /mentions": Row((LOGIN, "200", "200", "200", "200")),
    "GET /analytics": Row((LOGIN, "403", "403", "200", "200")),
    "GET /analytics/{brand}": Row((LOGIN, "403", "403", "200", "200"), fill={"brand": "brand-a"}),
    "GET /analytics/{brand}/report": Row((LOGIN, "403", "403", "200", "200"), fill={"brand": "brand-a"}),
    "GET /saved-replies": Row((LOGIN, "200", "200", "200", "200")),
    "POST /availability": Row((LOGIN, "303 /", "303 /", "303 /", "303 /"), form={"mode": "available"}),
    "GET /approvals": Row((LOGIN, "403", "403", "200", "200")),
    "POST /approvals/{draft_id}/{action}": Row((LOGIN, "403", "404", "303 /approvals", "303 /approvals"),
                                               fill={"action": "approve"}, form={"text": "Approved"}),
    # publishing pages: B's agent lands on brand B's; A's post or brand is missing for them
    "GET /publishing": Row((LOGIN, "200", "200", "200", "200")),
    "POST /publishing/compose": Row((LOGIN, "303 /publishing", "404", "303 /publishing", "303 /publishing"),
                                    form={"brand_id": "brand-a", "account_handle": "BrandAHelp", "part": "Hi"}),
    "POST /publishing/posts/{post_id}/{action}": Row((LOGIN, "403", "404", "303 /publishing", "303 /publishing"),
                                                     fill={"action": "submit"}, form={}),
    "GET /publishing/calendar": Row((LOGIN, "200", "200", "200", "200")),
    "GET /publishing/posts/{post_id}": Row((LOGIN, "200", "404", "200", "200")),
    # an agent's form comes back with the refusal (403); a lead's creates and goes back to the list
    "POST /saved-replies/{action}": Row((LOGIN, "403", "404", "303 /saved-replies", "303 /saved-replies"),
                                        fill={"action": "save"}, form={"brand_id": "brand-a", "language": "en",
                                                                       "name": "{name}", "body": "Hi"}),
}


def discover_routes(app: FastAPI) -> set[str]:
    """'METHOD /path' of every route the app serves (HEAD is GET's twin, left out)."""
    found: set[str] = set()
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # an included router (FastAPI ≥ 0.16x)
            pairs = [(context.path, context.methods) for context in route.effective_route_contexts()]
        elif isinstance(route, Mount):
            pairs = [(f"{route.path}/{{path}}", {"GET"})]
        elif isinstance(route, Route):
            pairs = [(route.path, route.methods or set())]
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}: teach discover_routes about it")
        found |= {f"{method} {path}" for path, methods in pairs for method in methods if method != "HEAD"}
    return found


def test_every_route_has_a_row_and_every_row_a_route(console_app: FastAPI):
    routes = discover_routes(console_app)
    assert routes - set(MATRIX) == set(), "routes without a row in MATRIX: add their expected outcomes"
    assert set(MATRIX) - routes == set(), "rows of MATRIX for routes that no longer exist"


@pytest.fixture
def console_app(console) -> FastAPI:  # noqa: ANN001
    return console.app


@dataclass
class Caller:
    client: httpx.AsyncClient
    csrf: str = ""


async def _callers(console, stack: AsyncExitStack) -> dict[str, Caller]:  # noqa: ANN001
    """Per role: a bearer client (API) and a session client (pages)."""
    callers = {"anonymous": Caller(await stack.enter_async_context(console.client()))}
    for role in ROLES[1:]:
        callers[role] = Caller(await stack.enter_async_context(console.client(role)))
    return callers


async def _session(console, role: str, stack: AsyncExitStack) -> Caller:  # noqa: ANN001
    if role == "anonymous":
        return Caller(await stack.enter_async_context(httpx.AsyncClient(base_url=console.base_url, timeout=10.0)))
    client, csrf = await stack.enter_async_context(logged_in(console.base_url, role))
    return Caller(client, csrf)


def _outcome(response: httpx.Response, item: uuid.UUID, incident: str) -> str:
    if not response.is_redirect:
        return str(response.status_code)
    target = response.headers["location"].split("?")[0]
    return f"{response.status_code} {target.replace(str(item), '{item_id}').replace(incident, '{incident_id}')}"


def _named(body: dict, name: str) -> dict:
    """The body with "{name}" values made unique to the cell (saved reply names are unique)."""
    return {k: name if v == "{name}" else v for k, v in body.items()}


async def _call(caller: Caller, method: str, path: str, row: Row, name: str) -> httpx.Response:
    kwargs: dict = {}
    if row.json is not None:
        kwargs["json"] = _named(row.json, name)
    if row.form is not None:
        kwargs["data"] = {**_named(row.form, name), "csrf_token": caller.csrf}
    # Streamed, so the live endpoint answers its status without being read to the end.
    async with caller.client.stream(method, path, **kwargs) as response:
        return response


async def test_authorization_matrix(console, capsys):  # noqa: ANN001
    cells: dict[tuple[str, str], tuple[str, str]] = {}
    async with AsyncExitStack() as stack:
        api = await _callers(console, stack)
        pages = {role: await _session(console, role, stack) for role in ROLES}
        for key, row in MATRIX.items():
            method, template = key.split(" ", 1)
            for role, expected in zip(ROLES, row.expect, strict=True):
                claim = {"status": "claimed", "assignee": row.claimed_by} if row.claimed_by else {}
                item = await insert_item(console.pool, brand="brand-a", **claim)
                incident = await insert_incident(console.pool, brand="brand-a")
                saved = await insert_saved_reply(console.pool, brand="brand-a")
                draft = await insert_reply_draft(console.pool, brand="brand-a", author="agent-a2") \
                    if "{draft_id}" in template else None
                post = await insert_post(console.pool, brand="brand-a", author="agent-a2", status=row.post_status) \
                    if "{post_id}" in template else None
                path = template.format(item_id=item, incident_id=incident, reply_id=saved, draft_id=draft,
                                       post_id=post, **row.fill)
                caller = api[role] if path.startswith("/api/") else pages[role]
                response = await _call(caller, method, path, row, name=f"reply {len(cells)}")
                cells[(key, role)] = (expected, _outcome(response, item, incident))
                if key == "POST /logout":  # that session is over: a new one for the next rows
                    pages[role] = await _session(console, role, stack)
    wrong = {cell: got for cell, got in cells.items() if got[0] != got[1]}
    size = f"authorization matrix: {len(MATRIX)} routes × {len(ROLES)} roles = {len(cells)} cells"
    with capsys.disabled():
        print(f"\n{size}")
    assert len(cells) == len(MATRIX) * len(ROLES)
    assert not wrong, f"{size}; (expected, got) where they differ: {wrong}"
