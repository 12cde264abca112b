"""429 and 5xx from X: a 429 waits for the announced reset without holding back other
accounts; a 5xx retries after backoff (reconciling first when X did accept the post); a
permanent refusal (403 duplicate, 401) ends 'failed' with the reason and is never retried."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from mentionflow.events import encode
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeXServer, Fault

from tests.helpers import eventually, produce
from tests.publish.conftest import ACCOUNTS, account_settings
from tests.publish.support import fetch, publish_env, reply_event, start_publish

BUDGET_WINDOW_S = 3.0


def _posts_of(fake: FakeXServer, text: str) -> list[int]:
    return [c.status for c in fake.state.calls("create_tweet") if isinstance(c.body, dict) and c.body["text"] == text]


async def test_rate_limits_server_errors_and_permanent_refusals(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, fake_x: FakeXServer, tmp_path: Path
) -> None:
    env = publish_env(kafka_settings, fresh_database_dsn, group=f"g-{uuid.uuid4().hex[:8]}",
                      x_base_url=fake_x.base_url,
                      accounts=account_settings(globex={"posts_per_window": 2, "window_s": BUDGET_WINDOW_S}),
                      MENTIONFLOW_REPLY_MAX_ATTEMPTS="5")
    service = start_publish(env, tmp_path)

    async def request(reply_id: str, **kw: str) -> str:
        event = reply_event(reply_id, **kw)
        await produce(kafka_settings, "replies.requested", [(reply_id.encode(), encode(event))])
        return event.payload.text

    async def outcome(reply_id: str) -> dict[str, object] | None:
        rows = await fetch(fresh_database_dsn, "SELECT status, error, tweet_id, reconciled, attempts "
                                               "FROM reply_outbox WHERE reply_id = $1", reply_id)
        return dict(rows[0]) if rows and rows[0]["status"] in ("sent", "failed") else None

    def finished(reply_id: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await outcome(reply_id) is not None
        return check

    try:
        # 429 on acme with a reset 3 s ahead: globex posts meanwhile, acme after the reset
        fake_x.state.inject(Fault(endpoint="create_tweet", kind="rate_limit", reset_in_s=3))
        limited = await request("r-429", account="acme")
        await eventually(lambda: _async(_posts_of(fake_x, limited) == [429]), timeout_s=30, what="the 429")
        limited_at = time.time()
        other = await request("r-other", account="globex", brand="globex")
        await eventually(finished("r-other"), timeout_s=30, what="the other account posts")
        assert time.time() - limited_at < 3 and await outcome("r-429") is None, "acme still waits"
        await eventually(finished("r-429"), timeout_s=30, what="posted after the reset")
        limited_call = [c for c in fake_x.state.calls("create_tweet") if c.body["text"] == limited]
        assert [c.status for c in limited_call] == [429, 201]
        assert limited_call[1].at >= int(limited_call[0].at) + 2, "not before the announced reset"
        assert _posts_of(fake_x, other) == [201]

        # globex's own budget (2 posts per 3 s): the third post waits for the window
        await request("r-g2", account="globex", brand="globex", in_reply_to="1500000000000000902")
        third = await request("r-g3", account="globex", brand="globex", in_reply_to="1500000000000000903")
        await eventually(finished("r-g3"), timeout_s=30, what="globex's third post")
        globex_posts = sorted(c.at for c in fake_x.state.calls("create_tweet") if c.acting_user_id == ACCOUNTS[
            "globex"].id and c.status == 201)
        assert len(globex_posts) == 3 and _posts_of(fake_x, third) == [201]
        assert globex_posts[2] - globex_posts[0] >= BUDGET_WINDOW_S - 0.05, "the configured budget is honoured"

        # 503 before anything happened: retried after backoff, posted once
        fake_x.state.inject(Fault(endpoint="create_tweet", kind="error", status=503, body="text"))
        flaky = await request("r-503", in_reply_to="1500000000000000503")
        await eventually(finished("r-503"), timeout_s=30, what="posted after a 503")
        assert _posts_of(fake_x, flaky) == [503, 201]

        # 500 after X accepted the post: reconciled from the timeline, not posted again
        fake_x.state.inject(Fault(endpoint="create_tweet", kind="error", status=500, after_effect=True))
        accepted = await request("r-500", in_reply_to="1500000000000000500")
        await eventually(finished("r-500"), timeout_s=30, what="reconciled after a 500")
        assert _posts_of(fake_x, accepted) == [500]
        assert (await outcome("r-500"))["reconciled"] is True
        assert len([r for r in fake_x.state.replies if r["text"] == accepted]) == 1

        # 403 duplicate content (the same text twice): failed with X's reason, one call only
        first = await request("r-dup-1", in_reply_to="1500000000000000777", text="Same words twice")
        await eventually(finished("r-dup-1"), timeout_s=30, what="first of the duplicates")
        await request("r-dup-2", in_reply_to="1500000000000000777", text="Same words twice")
        await eventually(finished("r-dup-2"), timeout_s=30, what="the duplicate refused")
        dup = await outcome("r-dup-2")
        assert dup["status"] == "failed" and "duplicate content" in str(dup["error"])
        assert _posts_of(fake_x, first) == [201, 403]

        # 401 and an account without credentials: failed with the reason, never retried
        fake_x.state.inject(Fault(endpoint="create_tweet", kind="error", status=401))
        unauthorised = await request("r-401", in_reply_to="1500000000000000401")
        await eventually(finished("r-401"), timeout_s=30, what="401 refused")
        await request("r-nocreds", account="initech", brand="initech")
        await eventually(finished("r-nocreds"), timeout_s=30, what="unknown account refused")
        assert "401" in str((await outcome("r-401"))["error"])
        assert "no X credentials" in str((await outcome("r-nocreds"))["error"])
        assert _posts_of(fake_x, unauthorised) == [401]
        assert (await outcome("r-401"))["attempts"] == 1

        async def failures_published() -> bool:
            rows = await fetch(fresh_database_dsn, "SELECT count(*) AS n FROM publish_reply_state "
                                                   "WHERE reply_id IN ('r-401', 'r-nocreds', 'r-dup-2') "
                                                   "AND published_at IS NOT NULL")
            return rows[0]["n"] == 3

        await eventually(failures_published, timeout_s=30, what="failures reported on replies.published")
        assert _posts_of(fake_x, unauthorised) == [401], "a permanent refusal is not retried"
    finally:
        service.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait, 20) == 0


async def _async(value: bool) -> bool:
    return value
