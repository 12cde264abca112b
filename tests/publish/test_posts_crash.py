"""kill -9 of publish between X accepting a post and publish recording it (the fault hook
MENTIONFLOW_FAULT_KILL_AFTER_POSTS): after a restart each part of a thread, and a single post,
is on X exactly once, the thread still a chain of replies, and the outcome says reconciled."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mentionflow.events import decode, encode
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeXServer

from tests.helpers import eventually, produce, read_all
from tests.publish.conftest import brand_account_settings
from tests.publish.support import fetch, fetchval, post_event, publish_env, start_publish

THREAD = ["Launch day! Here is what is new (1/3)", "Faster plans for everyone (2/3)", "Questions? Ask below (3/3)"]
FIRST = "Warming up for launch day"
LAST = "Thank you for a great launch day"


async def _posts(dsn: str) -> dict[str, Any]:
    rows = await fetch(dsn, "SELECT post_id, status, tweet_ids, reconciled, in_flight_since FROM posts")
    return {r["post_id"]: r for r in rows}


async def test_a_crash_between_x_and_the_record_never_posts_twice(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, brand_x: FakeXServer, tmp_path: Path
) -> None:
    fake = brand_x
    env = publish_env(kafka_settings, fresh_database_dsn, group=f"g-{uuid.uuid4().hex[:8]}",
                      x_base_url=fake.base_url, accounts=brand_account_settings())
    now = datetime.now(UTC)
    # due in this order: the single post first, then the thread. One key for both, so they share
    # a partition and publish learns of the single post first: on two partitions it could store
    # the thread first and, both being due, post it before it had seen the single post at all.
    events = [post_event("c-first", [FIRST], scheduled_for=now - timedelta(minutes=2)),
              post_event("c-thread", THREAD, scheduled_for=now - timedelta(minutes=1))]
    await produce(kafka_settings, "posts.requested", [(b"c-launch", encode(e)) for e in events])

    # 1. dies right after X accepted its 3rd post (the thread's 2nd part), before recording it
    crashing = start_publish({**env, "MENTIONFLOW_FAULT_KILL_AFTER_POSTS": "3"}, tmp_path)
    assert await asyncio.to_thread(crashing.wait, 60) == -signal.SIGKILL
    assert [r["text"] for r in fake.state.replies] == [FIRST, THREAD[0], THREAD[1]]
    rows = await _posts(fresh_database_dsn)
    assert rows["c-first"]["status"] == "published"
    assert rows["c-thread"]["status"] == "posting" and len(rows["c-thread"]["tweet_ids"]) == 1
    assert rows["c-thread"]["in_flight_since"] is not None, "X holds a part publish has not recorded"

    # 2. restarted: the 2nd part is found on X, not posted again; the 3rd replies to it
    second = start_publish(env, tmp_path)
    try:
        async def thread_done() -> bool:
            return (await _posts(fresh_database_dsn))["c-thread"]["status"] == "published"

        await eventually(thread_done, timeout_s=60, what="the thread finished after the restart")

        # 3. a single post killed the same way (a new run dies after its first accepted post)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 20) == 0
        await produce(kafka_settings, "posts.requested",
                      [(b"c-last", encode(post_event("c-last", [LAST])))])
        third = start_publish({**env, "MENTIONFLOW_FAULT_KILL_AFTER_POSTS": "1"}, tmp_path)
        assert await asyncio.to_thread(third.wait, 60) == -signal.SIGKILL
        assert (await _posts(fresh_database_dsn))["c-last"]["status"] == "posting"
        second = start_publish(env, tmp_path)

        async def all_reported() -> bool:
            unreported = await fetchval(fresh_database_dsn, "SELECT count(*) FROM posts "
                                                            "WHERE outcome_published_at IS NULL")
            return unreported == 0 and (await _posts(fresh_database_dsn))["c-last"]["status"] == "published"

        await eventually(all_reported, timeout_s=60, what="every post published and reported")
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.to_thread(second.wait, 20)

    per_text = Counter(c.body["text"] for c in fake.state.calls("create_tweet") if c.status == 201)
    assert per_text == {text: 1 for text in [FIRST, *THREAD, LAST]}, "every part posted exactly once"
    assert all(c.status == 201 for c in fake.state.calls("create_tweet")), "no duplicate refused by X either"
    posted = {r["text"]: r for r in fake.state.replies}
    assert posted[THREAD[1]]["in_reply_to_tweet_id"] == posted[THREAD[0]]["id"]
    assert posted[THREAD[2]]["in_reply_to_tweet_id"] == posted[THREAD[1]]["id"]
    rows = await _posts(fresh_database_dsn)
    assert list(rows["c-thread"]["tweet_ids"]) == [posted[t]["id"] for t in THREAD]
    assert list(rows["c-last"]["tweet_ids"]) == [posted[LAST]["id"]]
    assert {k: r["reconciled"] for k, r in rows.items()} == {"c-first": False, "c-thread": True, "c-last": True}

    records = await read_all(kafka_settings, kafka_settings.physical("posts.published"), expect=3)
    outcomes = {p.post_id: p for p in (decode("posts.published", r.value).payload for r in records)}
    assert {k: (o.status, o.reconciled) for k, o in outcomes.items()} == {
        "c-first": ("published", False), "c-thread": ("published", True), "c-last": ("published", True)}
    assert outcomes["c-thread"].tweet_ids == [posted[t]["id"] for t in THREAD]
