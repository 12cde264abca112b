"""500 replies, publish killed twice (once right after X accepted a post, before recording it):
the fake X API's call log shows every reply posted exactly once."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from pathlib import Path

from mentionflow.events import decode, encode
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeXServer

from tests.helpers import eventually, produce, read_all
from tests.publish.conftest import account_settings
from tests.publish.support import fetch, fetchval, publish_env, reply_event, start_publish

REPLIES = 500


async def test_each_of_500_replies_is_posted_exactly_once_across_two_crashes(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, fake_x: FakeXServer, tmp_path: Path
) -> None:
    events = [reply_event(f"r{i:04d}", account="acme" if i % 2 else "globex", brand="acme" if i % 2 else "globex",
                          in_reply_to=str(1_500_000_000_000_000_000 + i)) for i in range(REPLIES)]
    await produce(kafka_settings, "replies.requested",
                  [(e.payload.reply_id.encode(), encode(e)) for e in events])
    env = publish_env(kafka_settings, fresh_database_dsn, group=f"g-{uuid.uuid4().hex[:8]}",
                      x_base_url=fake_x.base_url, accounts=account_settings(posts_per_window=10_000))

    # 1. dies by itself right after X accepted its 120th post, before the outbox records it
    crashing = start_publish({**env, "MENTIONFLOW_FAULT_KILL_AFTER_POSTS": "120"}, tmp_path)
    assert await asyncio.to_thread(crashing.wait, 60) == -signal.SIGKILL
    posted_then = len(fake_x.state.replies)
    assert posted_then >= 120
    sent_then = await fetchval(fresh_database_dsn, "SELECT count(*) FROM reply_outbox WHERE status = 'sent'")
    assert sent_then < posted_then, "X holds a reply the outbox does not know as sent"

    # 2. killed from outside at some point of the second run
    second = start_publish(env, tmp_path)
    try:
        async def halfway() -> bool:
            return len(fake_x.state.replies) >= 300

        await eventually(halfway, timeout_s=60, what="second run posting")
    finally:
        second.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(second.wait, 15) == -signal.SIGKILL

    # 3. the third run finishes the work
    third = start_publish(env, tmp_path)
    try:
        async def all_published() -> bool:
            unpublished = await fetchval(
                fresh_database_dsn,
                "SELECT count(*) FROM reply_outbox o LEFT JOIN publish_reply_state s USING (reply_id) "
                "WHERE o.status <> 'sent' OR s.published_at IS NULL")
            return unpublished == 0 and (await fetchval(fresh_database_dsn,
                                                        "SELECT count(*) FROM reply_outbox")) == REPLIES

        await eventually(all_published, timeout_s=90, what="every reply sent and published")
    finally:
        third.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(third.wait, 20) == 0

    posts = fake_x.state.calls("create_tweet")
    per_text = Counter(call.body["text"] for call in posts)
    assert len(per_text) == REPLIES
    assert set(per_text.values()) == {1}, "no reply was ever sent to X twice"
    assert all(call.status == 201 for call in posts)
    assert len(fake_x.state.replies) == REPLIES
    reconciled = await fetchval(fresh_database_dsn, "SELECT count(*) FROM reply_outbox WHERE reconciled")
    assert reconciled >= 1, "the post X accepted before the crash was found, not re-posted"
    tweet_ids = await fetchval(fresh_database_dsn, "SELECT count(DISTINCT tweet_id) FROM reply_outbox")
    assert tweet_ids == REPLIES
    recorded = {r["tweet_id"] for r in await fetch(fresh_database_dsn, "SELECT tweet_id FROM reply_outbox")}
    assert recorded == {r["id"] for r in fake_x.state.replies}, "the outbox holds X's tweet ids"

    records = await read_all(kafka_settings, kafka_settings.physical("replies.published"), expect=REPLIES)
    payloads = [decode("replies.published", r.value).payload for r in records]
    outcomes = {p.reply_id: p for p in payloads}
    assert len(outcomes) == REPLIES
    assert {o.status for o in outcomes.values()} == {"sent"}
    assert any(o.reconciled for o in outcomes.values())

