"""The contract check itself: a fake answer or a request that breaks X's specification fails it.

Each test breaks one thing on purpose (a required field dropped, a type changed, the error
object's required fields left out, requests outside the operation's parameters or body)
and asserts that `check_exchange` names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import mentionflow_tools.fakex.server as fake_server_module
import mentionflow_tools.fakex.state as fake_state_module
import pytest
from mentionflow.xapi import fetch_mentions_page
from mentionflow_tools.fakex import FakeXServer

from .conftest import BRAND, FAN, ExchangeRecorder
from .scenes import Clients, add_mentions, user_lookups
from .spec import Verdict, XSpec, check_exchange, load_spec


def _verdicts(spec: XSpec, recorder: ExchangeRecorder, **options: Any) -> list[Verdict]:
    verdicts = [check_exchange(spec, exchange, **options) for exchange in recorder.exchanges]
    assert verdicts, "nothing was recorded"
    return verdicts


def _problems(verdicts: list[Verdict]) -> str:
    return "\n".join(v.describe() for v in verdicts if not v.ok)


def test_an_absent_specification_is_reported_not_guessed(tmp_path: Path) -> None:
    assert load_spec(tmp_path / "x-api-v2-openapi.json") is None


async def test_a_dropped_required_field_fails(fake: FakeXServer, clients: Clients,
                                              recorder: ExchangeRecorder, x_spec: XSpec,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    render_user = fake_state_module.render_user

    def without_post_count(user: Any, fields: set[str]) -> dict[str, Any]:
        shown = render_user(user, fields)
        shown.get("public_metrics", {}).pop("post_count", None)
        return shown

    monkeypatch.setattr(fake_state_module, "render_user", without_post_count)
    await user_lookups(fake, clients, recorder)

    problems = _problems(_verdicts(x_spec, recorder))
    assert "public_metrics: 'post_count' is a required property" in problems


async def test_a_field_of_the_wrong_type_fails(fake: FakeXServer, clients: Clients,
                                               recorder: ExchangeRecorder, x_spec: XSpec,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    render_tweet = fake_state_module.render_tweet

    def numeric_conversation(stored: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        shown = render_tweet(stored, fields)
        shown["conversation_id"] = int(shown.get("conversation_id") or shown["id"])
        return shown

    monkeypatch.setattr(fake_state_module, "render_tweet", numeric_conversation)
    add_mentions(fake, FAN, 2)
    page = await fetch_mentions_page(clients["bearer"], BRAND.id)
    assert page.garbage == 2  # our client drops such items too; the contract names why

    problems = _problems(_verdicts(x_spec, recorder))
    assert "conversation_id:" in problems and "is not of type 'string'" in problems


async def test_an_error_body_without_the_error_fields_fails(
        fake: FakeXServer, recorder: ExchangeRecorder, x_spec: XSpec,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def problem_only(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
        return {"title": title, "detail": detail, "type": "about:blank", "status": status}

    monkeypatch.setattr(fake_server_module, "problem", problem_only)
    async with aiohttp.ClientSession(fake.base_url) as http:
        with recorder.scene("401 with the problem fields only", ours=False):
            async with http.get(f"/2/users/{BRAND.id}/mentions") as response:
                assert response.status == 401

    problems = _problems(_verdicts(x_spec, recorder))
    assert "'code' is a required property" in problems
    assert "'message' is a required property" in problems


async def test_a_missing_rate_limit_header_fails(fake: FakeXServer, clients: Clients,
                                                 recorder: ExchangeRecorder, x_spec: XSpec
                                                 ) -> None:
    await fetch_mentions_page(clients["bearer"], BRAND.id)
    for exchange in recorder.exchanges:
        exchange.response_headers.pop("x-rate-limit-reset", None)
        exchange.response_headers.pop("X-Rate-Limit-Reset", None)

    assert "header x-rate-limit-reset missing" in _problems(_verdicts(x_spec, recorder))


@pytest.mark.parametrize(("method", "path", "query", "body", "expected"), [
    ("GET", f"/2/users/{BRAND.id}/mentions", {"max_results": "500"}, None,
     "500 is greater than the maximum of 100"),
    ("GET", f"/2/users/{BRAND.id}/mentions", {"max_results": "4"}, None,
     "4 is less than the minimum of 5"),
    ("GET", f"/2/users/{BRAND.id}/mentions", {"tweet.fields": "created_at,mood"}, None,
     "'mood' is not one of"),
    ("GET", f"/2/users/{BRAND.id}/mentions", {"since": "1"}, None,
     "query parameter 'since' is not declared"),
    ("GET", f"/2/users/{BRAND.id}/mentions", {"since_id": "12ab"}, None,
     "does not match '^[0-9]{1,19}$'"),
    ("POST", "/2/tweets", {}, {"text": "hi", "reply": {"in_reply_to_tweet_id": 123}},
     "123 is not of type 'string'"),
    ("POST", "/2/tweets", {}, {"text": "hi", "reply": {"in_reply_to": "1"}},
     "'in_reply_to_tweet_id' is a required property"),
])
async def test_a_request_outside_the_operation_fails(
        fake: FakeXServer, recorder: ExchangeRecorder, x_spec: XSpec, method: str, path: str,
        query: dict[str, str], body: Any, expected: str) -> None:
    async with aiohttp.ClientSession(fake.base_url) as http:
        async with http.request(method, path, params=query, json=body,
                                headers={"Authorization": "Bearer app-bearer"}):
            pass

    verdicts = _verdicts(x_spec, recorder, check_request=True)
    assert expected in "\n".join(p for v in verdicts for p in v.request_problems)


async def test_a_request_without_credentials_fails(fake: FakeXServer, recorder: ExchangeRecorder,
                                                   x_spec: XSpec) -> None:
    async with aiohttp.ClientSession(fake.base_url) as http:
        async with http.get(f"/2/users/{BRAND.id}/mentions"):
            pass

    verdicts = _verdicts(x_spec, recorder, check_request=True)
    problems = "\n".join(p for v in verdicts for p in v.request_problems)
    assert "Security" in problems, problems
