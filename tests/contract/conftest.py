"""The fake X API with every /2 exchange recorded, our real clients pointed at it, and X's
specification (the tests skip, saying why, when ../shared/reference is not beside the repo)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager

import pytest
from aiohttp import web
from mentionflow.xapi import XClient, XCredentials, XSession
from mentionflow_tools.fakex import AddUsers, FakeUser, FakeXServer, FakeXState
from pydantic import SecretStr

from tests.xapi.conftest import (
    BRAND,
    FAN,
    OAUTH1_ACCESS_TOKEN,
    OAUTH2_USER_TOKEN,
    OTHER_BRAND,
    STAR,
    poster,
    reader,
    x_session,
)

from .spec import SPEC_PATH, Exchange, XSpec, load_spec

SUSPENDED = FakeUser(id="3003", username="gone_now", name="Gone", followers=12, suspended=True)

# tests/xapi's client fixtures, here pointed at this folder's `fake_server`.
__all__ = ["BRAND", "FAN", "OTHER_BRAND", "STAR", "SUSPENDED", "poster", "reader", "x_session"]


class ExchangeRecorder:
    """An aiohttp middleware keeping every /2 request and response, tagged with the scene
    (what the test was doing) and whether our clients or the test itself sent it."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._label = "unlabelled"
        self._ours = True

    @contextmanager
    def scene(self, label: str, *, ours: bool = True) -> Iterator[None]:
        previous = self._label, self._ours
        self._label, self._ours = label, ours
        try:
            yield
        finally:
            self._label, self._ours = previous

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        body = await request.read() if request.body_exists else b""  # cached for the handler
        response = await handler(request)
        if request.path.startswith("/2/") and isinstance(response, web.Response):
            raw = response.body
            self.exchanges.append(Exchange(
                label=self._label, ours=self._ours, method=request.method, path=request.path,
                query=list(request.query.items()), request_headers=dict(request.headers),
                request_body=body, status=response.status,
                response_headers=dict(response.headers),
                response_body=raw if isinstance(raw, bytes) else b"",
            ))
        return response


@pytest.fixture(scope="session")
def x_spec() -> XSpec:
    spec = load_spec()
    if spec is None:
        pytest.skip(f"X's OpenAPI specification is not at {SPEC_PATH} (it lives in the shared "
                    "reference folder beside the repository, never in it)")
    return spec


@pytest.fixture(scope="session")
def recorder() -> ExchangeRecorder:
    return ExchangeRecorder()


@pytest.fixture(scope="session")
async def fake_server(recorder: ExchangeRecorder) -> AsyncIterator[FakeXServer]:
    """The fake with the recorder in front (tests/xapi's `x_session` is pointed at it)."""
    state = FakeXState(accounts=[BRAND, OTHER_BRAND])
    async with FakeXServer(state, middlewares=[recorder.middleware]) as server:
        yield server


@pytest.fixture
async def fake(fake_server: FakeXServer, recorder: ExchangeRecorder) -> FakeXServer:
    """Fresh state (tokens re-registered) and an empty recording."""
    fake_server.state.reset()
    fake_server.state.add_users(AddUsers(
        users=[FAN, STAR, SUSPENDED],
        tokens={OAUTH1_ACCESS_TOKEN: BRAND.id, OAUTH2_USER_TOKEN: OTHER_BRAND.id}))
    recorder.exchanges.clear()
    return fake_server


@pytest.fixture
def clients(x_session: XSession, reader: XClient, poster: XClient) -> dict[str, XClient]:
    """Every way our services authenticate: app bearer (reading), OAuth 1.0a and OAuth 2.0
    user context (posting, reconciling)."""
    oauth2 = x_session.poster(XCredentials(user_access_token=SecretStr(OAUTH2_USER_TOKEN)))
    return {"bearer": reader, "oauth1": poster, "oauth2": oauth2}
