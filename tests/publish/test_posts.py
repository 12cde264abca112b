"""Brand posts through publish, on the real broker and database with the fake X API: posted at
their minute (publish's clock moved by MENTIONFLOW_POST_CLOCK_OFFSET_S) and not before, once
per post id however often the request is delivered; a thread part by part, each a reply to the
previous one; a cancel before the minute; an account of another brand refused, one without
credentials failed; X's 403 ends the post failed with X's reason, X's 429 is waited out and
retried, a 5xx that came after X posted is reconciled, not posted again; engagement from
posts.metrics (newest observation wins); quote-mentions keep the tweet they quote."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mentionflow.events import decode, encode, make_envelope
from mentionflow.events.envelope import Envelope
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeXServer, Fault

from tests.helpers import eventually, produce, read_all
from tests.publish.conftest import brand_account_settings
from tests.publish.support import (
    consumed_everything,
    fetch,
    fetchval,
    post_event,
    post_metrics_event,
    publish_env,
    routed_event,
    start_publish,
)

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "config" / "demo"
# publish's clock reaches the posts' minute this long after the test starts: time for the
# service to start and show that it holds them back.
LEAD_S = 15.0
THREAD = ["How our network grew this year, a thread (1/3)", "Coverage is up 20% in rural areas (2/3)",
          "Tell us where you still need it! (3/3)"]
SINGLE = "Our autumn offers are live!"


def _calls(fake: FakeXServer, text: str) -> list[Any]:
    return [c for c in fake.state.calls("create_tweet") if isinstance(c.body, dict) and c.body.get("text") == text]


async def _send(kafka: KafkaSettings, *events: Envelope[Any]) -> None:
    await produce(kafka, "posts.requested", [(e.payload.post_id.encode(), encode(e)) for e in events])


async def test_posts_are_published_at_their_minute_exactly_once(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, brand_x: FakeXServer, tmp_path: Path
) -> None:
    fake = brand_x
    real_now = time.time()
    due = datetime.fromtimestamp(real_now + 3600, UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    offset = due.timestamp() - real_now - LEAD_S

    def publish_clock() -> float:
        return time.time() + offset

    group = f"g-{uuid.uuid4().hex[:8]}"
    env = publish_env(kafka_settings, fresh_database_dsn, group=group, x_base_url=fake.base_url,
                      accounts=brand_account_settings(), MENTIONFLOW_BRAND_CONFIG=str(DEMO_CONFIG),
                      MENTIONFLOW_POST_CLOCK_OFFSET_S=str(offset), MENTIONFLOW_REPLY_MAX_ATTEMPTS="5")

    async def status(post_id: str) -> str | None:
        return await fetchval(fresh_database_dsn, "SELECT status FROM posts WHERE post_id = $1", post_id)

    def status_is(post_id: str, wanted: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await status(post_id) == wanted
        return check

    single = post_event("p-single", [SINGLE], scheduled_for=due)
    thread = post_event("p-thread", THREAD, scheduled_for=due)
    later = post_event("p-later", ["Not before next week"], scheduled_for=due + timedelta(minutes=5))
    cancel = post_event("p-later", action="cancel")
    foreign = post_event("p-foreign", ["Posting from another brand's account"], account="SkylarkAir")
    # single and thread delivered twice: a redelivery changes nothing
    await _send(kafka_settings, single, thread, single, later, cancel, foreign, thread)
    service = start_publish(env, tmp_path)
    try:
        # 1. before the minute: the foreign account is refused, the cancel lands, nothing is posted
        await eventually(status_is("p-foreign", "failed"), timeout_s=60, what="the foreign account refused")
        error = await fetchval(fresh_database_dsn, "SELECT error FROM posts WHERE post_id = 'p-foreign'")
        assert "@skylarkair is not one of brand 'hexafone'" in error
        await eventually(status_is("p-later", "cancelled"), timeout_s=30, what="the cancel")
        assert publish_clock() < due.timestamp() - 2, "the service started before the minute (raise LEAD_S)"
        while publish_clock() < due.timestamp() - 0.5:
            assert not _calls(fake, SINGLE) and not _calls(fake, THREAD[0]), "posted before its minute"
            assert await status("p-single") == "scheduled"
            await asyncio.sleep(0.2)

        # 2. at the minute: the post once, the thread in order, each part a reply to the previous
        await eventually(status_is("p-single", "published"), timeout_s=30, what="the post at its minute")
        await eventually(status_is("p-thread", "published"), timeout_s=30, what="the thread")
        for text in [SINGLE, *THREAD]:
            calls = _calls(fake, text)
            assert [c.status for c in calls] == [201], f"{text!r} posted exactly once"
            assert calls[0].at + offset >= due.timestamp() - 0.01, "not before its minute on publish's clock"
        assert not _calls(fake, "Not before next week") and not _calls(fake, "Posting from another brand's account")
        posted = {r["text"]: r for r in fake.state.replies}
        first, second, third = (posted[text] for text in THREAD)
        assert first["in_reply_to_tweet_id"] is None
        assert second["in_reply_to_tweet_id"] == first["id"] and third["in_reply_to_tweet_id"] == second["id"]
        row = (await fetch(fresh_database_dsn, "SELECT * FROM posts WHERE post_id = 'p-thread'"))[0]
        assert list(row["tweet_ids"]) == [first["id"], second["id"], third["id"]]
        assert row["conversation_id"] == first["id"] and not row["reconciled"] and row["approved_by"] == "lead-1"

        # 3. X refuses a duplicate (403): failed with X's reason, never retried
        await _send(kafka_settings, post_event("p-dup", [SINGLE]))
        await eventually(status_is("p-dup", "failed"), timeout_s=30, what="the duplicate refused")
        error = await fetchval(fresh_database_dsn, "SELECT error FROM posts WHERE post_id = 'p-dup'")
        assert error.startswith("X refused (403)") and "duplicate content" in error
        await asyncio.sleep(1.5)
        assert [c.status for c in _calls(fake, SINGLE)] == [201, 403], "a refusal is not retried"

        # 4. X's 429: waited out, then posted once
        fake.state.inject(Fault(endpoint="create_tweet", kind="rate_limit", reset_in_s=2))
        await _send(kafka_settings, post_event("p-limited", ["Rate limits do not lose posts"]))
        await eventually(status_is("p-limited", "published"), timeout_s=30, what="posted after the 429")
        assert [c.status for c in _calls(fake, "Rate limits do not lose posts")] == [429, 201]

        # 5. X posted but answered 500: the retry finds the post on X instead of posting again
        fake.state.inject(Fault(endpoint="create_tweet", kind="error", status=500, after_effect=True))
        await _send(kafka_settings, post_event("p-5xx", ["Lost answers do not double posts"]))
        await eventually(status_is("p-5xx", "published"), timeout_s=30, what="reconciled after the 500")
        assert [c.status for c in _calls(fake, "Lost answers do not double posts")] == [500]
        assert await fetchval(fresh_database_dsn, "SELECT reconciled FROM posts WHERE post_id = 'p-5xx'")

        # 6. a brand account publish has no credentials for: failed with the reason, not posted
        await _send(kafka_settings, post_event("p-nocreds", ["From the care account"], account="Hexafone_SAV"))
        await eventually(status_is("p-nocreds", "failed"), timeout_s=30, what="no credentials")
        assert "no X credentials configured for account @Hexafone_SAV" in await fetchval(
            fresh_database_dsn, "SELECT error FROM posts WHERE post_id = 'p-nocreds'")
        assert not _calls(fake, "From the care account")

        # 7. a late redelivery of a published post: still one post
        await _send(kafka_settings, single)

        async def consumed() -> bool:
            return await consumed_everything(kafka_settings, group, "posts.requested")

        await eventually(consumed, timeout_s=30, what="the redelivery consumed")
        await asyncio.sleep(1.0)
        assert [c.status for c in _calls(fake, SINGLE)] == [201, 403]
        assert await fetchval(fresh_database_dsn, "SELECT count(*) FROM posts") == 8

        # 8. engagement: the newest observation wins, an older one arriving later is ignored
        observed = datetime.now(UTC)
        await produce(kafka_settings, "posts.metrics", [
            (b"p-single", encode(post_metrics_event("p-single", likes=50, observed_at=observed))),
            (b"p-single", encode(post_metrics_event("p-single", likes=5, observed_at=observed - timedelta(minutes=5)))),
        ])

        async def metrics_applied() -> bool:
            return await fetchval(fresh_database_dsn, "SELECT metrics_observed_at FROM posts "
                                                      "WHERE post_id = 'p-single'") is not None

        await eventually(metrics_applied, timeout_s=30, what="engagement stored")
        await eventually(consumed_metrics(kafka_settings, group), timeout_s=30, what="both metrics consumed")
        row = (await fetch(fresh_database_dsn, "SELECT * FROM posts WHERE post_id = 'p-single'"))[0]
        assert (row["likes"], row["replies"], row["reposts"], row["quotes"], row["impressions"]) == (50, 25, 16, 1, 500)

        # 9. a quote-mention of the post keeps the quoted tweet id (the debate view finds it)
        routed = routed_event(7, brand="hexafone")
        quoting = routed.payload.model_copy(update={
            "mention": routed.payload.mention.model_copy(update={"quoted_id": posted[SINGLE]["id"]})})
        await produce(kafka_settings, "mentions.routed", [(b"hexafone", encode(make_envelope(
            "mentions.routed", quoting, brand_id="hexafone", correlation_id=quoting.mention.id)))])

        async def quote_stored() -> bool:
            return await fetchval(fresh_database_dsn, "SELECT quoted_id FROM queue_items WHERE mention_id = $1",
                                  quoting.mention.id) == posted[SINGLE]["id"]

        await eventually(quote_stored, timeout_s=30, what="the quote-mention's quoted_id")
    finally:
        service.terminate()
        await asyncio.to_thread(service.wait, 20)

    # every outcome reported once on posts.published
    records = await read_all(kafka_settings, kafka_settings.physical("posts.published"), expect=8)
    outcomes = {p.post_id: p for p in (decode("posts.published", r.value).payload for r in records)}
    assert len(records) == 8
    assert {k: v.status for k, v in outcomes.items()} == {
        "p-foreign": "failed", "p-later": "cancelled", "p-single": "published", "p-thread": "published",
        "p-dup": "failed", "p-limited": "published", "p-5xx": "published", "p-nocreds": "failed"}
    assert outcomes["p-thread"].tweet_ids == [first["id"], second["id"], third["id"]]
    assert outcomes["p-thread"].conversation_id == first["id"]
    assert "duplicate content" in (outcomes["p-dup"].error or "")
    assert {k for k, o in outcomes.items() if o.reconciled} == {"p-5xx"}


def consumed_metrics(kafka: KafkaSettings, group: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await consumed_everything(kafka, group, "posts.metrics")
    return check
