"""What stands in for the outside world: the fake X API (with a timed outage) and a receiver
for pages and chat webhooks."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from mentionflow_tools.fakex import AddUsers, FakeUser, FakeXState, Fault
from mentionflow_tools.fakex.models import RateLimitRule
from mentionflow_tools.fakex.state import DUPLICATE_DETAIL

# Endpoints publish calls while posting and reconciling replies.
_OUTAGE_ENDPOINTS = {"create_tweet", "users_tweets", "users_me"}


class OutageXState(FakeXState):
    """The fake X API plus an outage switch: while it is on, every reply-related call answers
    429 (reset a few seconds ahead) or 5xx in turn, and some 5xx come after the post was made
    (X accepted it, the answer was lost), which forces publish to reconcile."""

    def __init__(self, *, accounts: Iterable[FakeUser], tokens: dict[str, str]) -> None:
        unlimited = RateLimitRule(limit=10_000_000)
        super().__init__(accounts=accounts, rate_limits={name: unlimited for name in
                                                         ("create_tweet", "users_tweets", "users_me")})
        self.add_users(AddUsers(tokens=tokens))
        self.outage_until = 0.0
        self._turn = itertools.count()

    def start_outage(self, seconds: float) -> None:
        self.outage_until = time.time() + seconds

    def end_outage(self) -> None:
        self.outage_until = 0.0

    def take_fault(self, endpoint: str, user_id: str | None) -> Fault | None:
        if time.time() < self.outage_until and endpoint in _OUTAGE_ENDPOINTS:
            turn = next(self._turn) % 4
            if turn == 0:
                return Fault(endpoint=endpoint, kind="rate_limit", reset_in_s=3)
            if turn == 1:
                return Fault(endpoint=endpoint, kind="error", status=503)
            if turn == 2:
                return Fault(endpoint=endpoint, kind="error", status=500, after_effect=endpoint == "create_tweet")
            return Fault(endpoint=endpoint, kind="error", status=502, body="text")
        return super().take_fault(endpoint, user_id)

    def duplicate_refusals(self) -> int:
        """create_tweet calls the fake refused as duplicate content: a reply posted twice."""
        return sum(1 for call in self.calls("create_tweet") if call.status == 403)

    def posts_per_text(self) -> Counter[str]:
        return Counter(reply["text"] for reply in self.replies)


def duplicate_detail() -> str:
    return DUPLICATE_DETAIL


@dataclass
class Receiver:
    """Local HTTP endpoint for PagerDuty and Slack-style channels (`/hook/<channel>`): it
    records every POST and answers 202."""

    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    def url(self, channel: str, token: str | None = None) -> str:
        """The channel's URL; `token` adds a secret path segment, as Slack webhook URLs carry."""
        return f"http://127.0.0.1:{self.port}/hook/{channel}" + (f"/{token}" if token else "")

    async def _post(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {"raw": (await request.read()).decode("utf-8", "replace")}
        self.received.append((request.match_info["channel"], body))
        return web.json_response({"status": "success", "dedup_key": body.get("dedup_key")}, status=202)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook/{channel}", self._post)
        app.router.add_post("/hook/{channel}/{token}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def page_resends(self) -> int:
        """PagerDuty events sent more than once with the same (channel, dedup key, action, step).
        PagerDuty itself folds them into one incident by dedup key; we count them anyway."""
        seen: Counter[tuple[str, str, str, str]] = Counter()
        for channel, body in self.received:
            if "dedup_key" in body:
                details = (body.get("payload") or {}).get("custom_details") or {}
                seen[(channel, str(body["dedup_key"]), str(body.get("event_action")), str(details.get("step")))] += 1
        return sum(count - 1 for count in seen.values())

    def pages_without_dedup_key(self) -> int:
        return sum(1 for channel, body in self.received if channel.startswith("pagerduty") and
                   not body.get("dedup_key"))
