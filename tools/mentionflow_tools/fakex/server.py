"""The fake X API over HTTP (aiohttp.web): the /2 endpoints tweepy calls, plus /_fake control.

Run in-process (`async with FakeXServer() as fake:` → `fake.base_url`, `fake.state`) or as
`mentionflow fake-x serve --port N`; tests in other processes use the /_fake endpoints:

- GET  /_fake/calls[?endpoint=users_mentions&since_seq=N]  the call log
- GET  /_fake/replies                                     replies posted so far
- POST /_fake/mentions  {"users": [...], "tweets": [...]} add tweets (see AddMentions)
- POST /_fake/users     {"users": [...], "tokens": {...}} add accounts / token → account
                        (`suspended_days`: an account suspended on given UTC days only)
- POST /_fake/faults    a Fault, or {"faults": [...]}     queue faults (optionally bound
                        to one account and one UTC `day` of the fake's clock)
- POST /_fake/engagement {"tweet_id": ..., "replies": [{"text": ...}], "quotes": [...],
                        "likes": n, ...}                  people reply to / quote / like a
                        tweet (see AddEngagement); 404 for an unknown tweet
- GET  /_fake/tweets/{id}                                 a stored tweet with its
                        conversation_id, referenced_tweets and public_metrics now
- POST /_fake/reset                                       forget everything but seed accounts

Any Authorization header is accepted (none → 401); the call log records its kind. With a
growth seed (`FakeXState(growth_seed=…)`, `fake-x serve --growth-seed`) accounts' public
counts grow day by day (growth.py), as GET /2/users shows them to the follower snapshots.
Tweets gather likes, reposts and impressions with age (`engagement_seed`, engagement.py), as
GET /2/tweets?ids= (tweet.fields=public_metrics) shows them to ingest's tracked posts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware
from mentionflow.browser_headers import NO_STORE, SECURITY_HEADERS
from pydantic import BaseModel, ValidationError

from mentionflow_tools.fakex.models import AddEngagement, AddMentions, AddUsers, CallRecord, Fault
from mentionflow_tools.fakex.shapes import garbage_items, problem, render_tweet
from mentionflow_tools.fakex.state import DEFAULT_ACCOUNT, FakeXState, Reply, lookup_ids

logger = logging.getLogger(__name__)

STATE_KEY = web.AppKey("fakex_state", FakeXState)

Handler = Callable[["_Call"], Reply]


class _Call:
    """What an endpoint handler needs to know about the request."""

    def __init__(self, request: web.Request, body: Any, auth_kind: str, acting_user_id: str):
        self.request = request
        self.query = {k: v for k, v in request.query.items()}
        self.body = body
        self.auth_kind = auth_kind
        self.acting_user_id = acting_user_id


def _auth(header: str | None) -> tuple[str, str | None]:
    """(kind, token) from an Authorization header; the OAuth1 token is oauth_token."""
    if not header:
        return "none", None
    if header.startswith("Bearer "):
        return "bearer", header[len("Bearer "):].strip()
    if header.startswith("OAuth "):
        for part in header[len("OAuth "):].split(","):
            name, _, value = part.strip().partition("=")
            if name == "oauth_token":
                return "oauth1", unquote(value.strip('"'))
        return "oauth1", None
    return "other", None


def _json(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), headers=headers,
                        content_type="application/json")


def _x_endpoint(state: FakeXState, endpoint: str, handler: Handler,
                user_param: str | None = "id") -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        path_user_id = request.match_info.get(user_param) if user_param else None
        # Whom the call is about, for faults bound to one account: the path's user, or the ids
        # of a users lookup.
        subjects = [path_user_id] if path_user_id else lookup_ids(dict(request.query))
        body: Any = None
        if request.body_exists:  # read() caches: a middleware may have read it
            raw = await request.read()
            try:
                body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
        auth_kind, token = _auth(request.headers.get("Authorization"))
        identity = f"{auth_kind}:{hashlib.sha256((token or '').encode()).hexdigest()[:16]}"
        acting = state.tokens.get(token or "", DEFAULT_ACCOUNT.id)
        record = CallRecord(
            seq=state.next_seq(), at=state.now(), method=request.method, path=request.path,
            endpoint=endpoint, path_user_id=path_user_id, query=dict(request.query), body=body,
            auth_kind=auth_kind,  # type: ignore[arg-type]
            acting_user_id=acting if auth_kind != "none" else None,
        )
        state.record_call(record)
        fault = state.take_fault(endpoint, subjects)
        if fault is not None:
            record.fault = fault.kind
        status, response = await _answer(state, request, endpoint, identity, fault, handler,
                                          _Call(request, body, auth_kind, acting), auth_kind)
        record.status = status
        return response

    return serve


async def _answer(state: FakeXState, request: web.Request, endpoint: str, identity: str,
                  fault: Fault | None, handler: Handler, call: _Call,
                  auth_kind: str) -> tuple[int, web.StreamResponse]:
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.delay_s)
    if fault is not None and fault.kind == "disconnect":
        if request.transport is not None:
            request.transport.abort()
        return 0, web.Response(status=503)
    if fault is not None and fault.kind == "rate_limit":
        _, limit, _, _ = state.rate_limit(endpoint, identity, consume=False)
        headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": "0"}
        if fault.include_reset_header:
            headers["x-rate-limit-reset"] = str(math.ceil(state.now() + fault.reset_in_s))
        return 429, _json(429, problem(429, "Too Many Requests", "Too Many Requests"), headers)

    allowed, limit, remaining, reset = state.rate_limit(endpoint, identity, consume=True)
    headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(remaining),
               "x-rate-limit-reset": str(reset)}
    if not allowed:
        return 429, _json(429, problem(429, "Too Many Requests", "Too Many Requests"), headers)
    if auth_kind == "none":
        return 401, _json(401, problem(401, "Unauthorized", "Unauthorized"), headers)
    if fault is not None and fault.kind == "error" and not fault.after_effect:
        return fault.status, _error_response(fault, headers)

    status, body = handler(call)
    if fault is not None and fault.kind == "error":  # after_effect: done, but the answer fails
        return fault.status, _error_response(fault, headers)
    if fault is not None and fault.kind == "garbage" and status == 200:
        items = body.setdefault("data", [])
        items.extend(garbage_items(fault.garbage_items, base_id=9_000_000_000_000_000_000))
        body.setdefault("meta", {}).setdefault("result_count", 0)
    return status, _json(status, body, headers)


def _error_response(fault: Fault, headers: dict[str, str]) -> web.Response:
    if fault.body == "text":
        # What a load balancer in front of X sends: not JSON, which tweepy cannot parse.
        return web.Response(status=fault.status, text="Service Unavailable", headers=headers,
                            content_type="text/plain")
    return _json(fault.status, problem(fault.status, HTTPStatus(fault.status).phrase,
                                       "injected fault"), headers)


def _validated(model: type[BaseModel], raw: Any) -> BaseModel | web.Response:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return _json(422, {"errors": exc.errors(include_url=False, include_context=False)}, {})


@web.middleware
async def _browser_protections(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                               ) -> web.StreamResponse:
    """The console's browser headers on every answer, errors included (aiohttp raises those)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _protect(exc.headers)
        raise
    _protect(response.headers)
    return response


def _protect(headers: Any) -> None:
    headers.update(SECURITY_HEADERS)
    headers["Cache-Control"] = NO_STORE


def build_app(state: FakeXState, middlewares: Sequence[Middleware] = ()) -> web.Application:
    """The aiohttp application serving `state` (does not own it); `middlewares` see every
    exchange (the contract test records them)."""
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[_browser_protections, *middlewares])
    app[STATE_KEY] = state

    def endpoint(name: str, handler: Handler, user_param: str | None = "id") -> Any:
        return _x_endpoint(state, name, handler, user_param)

    app.router.add_get("/2/users", endpoint(
        "users_lookup", lambda c: state.users_lookup(c.query), None))
    app.router.add_get("/2/users/me", endpoint(
        "users_me", lambda c: state.users_me(c.acting_user_id, c.query), None))
    app.router.add_get("/2/users/by/username/{username}", endpoint(
        "user_by_username",
        lambda c: state.user_by_username(c.request.match_info["username"], c.query), None))
    app.router.add_get("/2/users/{id}/mentions", endpoint(
        "users_mentions", lambda c: state.users_mentions(c.request.match_info["id"], c.query)))
    app.router.add_get("/2/users/{id}/tweets", endpoint(
        "users_tweets", lambda c: state.users_tweets(c.request.match_info["id"], c.query)))
    app.router.add_post("/2/tweets", endpoint(
        "create_tweet", lambda c: state.create_tweet(c.acting_user_id, c.body, c.auth_kind), None))
    app.router.add_get("/2/tweets", endpoint(
        "tweets_lookup", lambda c: state.tweets_lookup(c.query), None))
    app.router.add_get("/2/tweets/{id}/quote_tweets", endpoint(
        "quote_tweets", lambda c: state.quote_tweets(c.request.match_info["id"], c.query)))

    async def calls(request: web.Request) -> web.Response:
        since = int(request.query.get("since_seq", "0") or 0)
        found = state.calls(request.query.get("endpoint"), since)
        return _json(200, {"calls": [c.model_dump(mode="json") for c in found]}, {})

    async def replies(request: web.Request) -> web.Response:
        return _json(200, {"replies": state.replies}, {})

    async def add_mentions(request: web.Request) -> web.Response:
        batch = _validated(AddMentions, await _body(request))
        if isinstance(batch, web.Response):
            return batch
        return _json(200, {"added": state.add_mentions(batch)}, {})  # type: ignore[arg-type]

    async def add_users(request: web.Request) -> web.Response:
        batch = _validated(AddUsers, await _body(request))
        if isinstance(batch, web.Response):
            return batch
        return _json(200, {"users": state.add_users(batch)}, {})  # type: ignore[arg-type]

    async def add_faults(request: web.Request) -> web.Response:
        raw = await _body(request)
        items = raw["faults"] if isinstance(raw, dict) and "faults" in raw else [raw]
        if not isinstance(items, list):
            return _json(422, {"errors": [{"loc": ["faults"], "msg": "must be a list"}]}, {})
        faults = []
        for item in items:
            fault = _validated(Fault, item)
            if isinstance(fault, web.Response):
                return fault
            faults.append(fault)
        for fault in faults:
            state.inject(fault)  # type: ignore[arg-type]
        return _json(200, {"queued": len(faults)}, {})

    async def add_engagement(request: web.Request) -> web.Response:
        batch = _validated(AddEngagement, await _body(request))
        if isinstance(batch, web.Response):
            return batch
        for post in [*batch.replies, *batch.quotes]:  # type: ignore[attr-defined]
            if post.author_id is not None and post.author_id not in state.users:
                return _json(422, {"errors": [{"loc": ["author_id"], "msg": f"unknown user {post.author_id}"}]}, {})
        done = state.add_engagement(batch)  # type: ignore[arg-type]
        if done is None:
            return _json(404, {"errors": [{"loc": ["tweet_id"], "msg": "no such tweet"}]}, {})
        return _json(200, done, {})

    async def show_tweet(request: web.Request) -> web.Response:
        tweet_id = request.match_info["id"]
        stored = state.tweet(tweet_id) if tweet_id.isdigit() else None
        if stored is None:
            return _json(404, {"errors": [{"loc": ["id"], "msg": "no such tweet"}]}, {})
        fields = {"author_id", "created_at", "conversation_id", "referenced_tweets", "in_reply_to_user_id"}
        return _json(200, {"data": {**render_tweet(stored, fields),
                                    "public_metrics": state.public_metrics(stored)}}, {})

    async def reset(request: web.Request) -> web.Response:
        state.reset()
        return _json(200, {"ok": True}, {})

    app.router.add_get("/_fake/calls", calls)
    app.router.add_get("/_fake/replies", replies)
    app.router.add_post("/_fake/mentions", add_mentions)
    app.router.add_post("/_fake/users", add_users)
    app.router.add_post("/_fake/faults", add_faults)
    app.router.add_post("/_fake/engagement", add_engagement)
    app.router.add_get("/_fake/tweets/{id}", show_tweet)
    app.router.add_post("/_fake/reset", reset)
    return app


async def _body(request: web.Request) -> Any:
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise web.HTTPBadRequest(text=f"not JSON: {exc}") from None


class FakeXServer:
    """The fake served on host:port (port 0 picks a free one); `base_url` once started."""

    def __init__(self, state: FakeXState | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, middlewares: Sequence[Middleware] = ()) -> None:
        self.state = state or FakeXState()
        self._host = host
        self._port = port
        self._middlewares = tuple(middlewares)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeXServer is not started")
        return f"http://{self._host}:{self.port}"

    async def start(self) -> FakeXServer:
        self._runner = web.AppRunner(build_app(self.state, self._middlewares), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the port the OS picked for port 0
        logger.info("fake X API listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeXServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
