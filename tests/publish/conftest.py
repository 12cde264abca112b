"""Fixtures for publish: the fake X API (in this process, reached over HTTP) and its accounts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mentionflow_tools.fakex import AddUsers, FakeUser, FakeXServer, FakeXState
from mentionflow_tools.fakex.models import RateLimitRule

ACCOUNTS = {
    "acme": FakeUser(id="2000000000000000001", username="acme"),
    "globex": FakeUser(id="2000000000000000002", username="globex"),
}


@contextlib.asynccontextmanager
async def _serving(accounts: dict[str, FakeUser]) -> AsyncIterator[FakeXServer]:
    """The fake X API with `accounts`, each posting with the token tok-<handle>."""
    # A high posting limit: these tests are about exactly-once, not X's 100 per 15 minutes.
    state = FakeXState(accounts=accounts.values(), rate_limits={"create_tweet": RateLimitRule(limit=100_000)})
    state.add_users(AddUsers(tokens={f"tok-{name}": user.id for name, user in accounts.items()}))
    async with FakeXServer(state) as server:
        yield server


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeXServer]:
    async with _serving(ACCOUNTS) as server:
        yield server


# Two of the demo brands' own accounts (deploy/config/demo): posts are refused from an account
# the brand config does not give the brand.
BRAND_ACCOUNTS = {
    "Hexafone": FakeUser(id="1460000000000000001", username="Hexafone"),
    "SkylarkAir": FakeUser(id="1460000000000000101", username="SkylarkAir"),
}


@pytest.fixture
async def brand_x() -> AsyncIterator[FakeXServer]:
    """The fake X API holding the demo brands' accounts."""
    async with _serving(BRAND_ACCOUNTS) as server:
        yield server


def brand_account_settings(**overrides: Any) -> dict[str, Any]:
    """MENTIONFLOW_ACCOUNTS for the demo brands' accounts (Hexafone's user id via /2/users/me)."""
    return {
        "Hexafone": {"credentials": {"user_access_token": "tok-Hexafone"}, **overrides},
        "SkylarkAir": {"credentials": {"user_access_token": "tok-SkylarkAir"},
                       "user_id": BRAND_ACCOUNTS["SkylarkAir"].id, **overrides},
    }


def account_settings(globex: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """MENTIONFLOW_ACCOUNTS for the fake's accounts (acme's user id is looked up via /2/users/me)."""
    return {
        "acme": {"credentials": {"user_access_token": "tok-acme"}, **overrides},
        "globex": {"credentials": {"user_access_token": "tok-globex"}, "user_id": ACCOUNTS["globex"].id,
                   **overrides, **(globex or {})},
    }
