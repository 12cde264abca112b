"""account_snapshots from accounts.snapshots: the publish process keeps one row per account and
UTC day. Fed by ingest's snapshotter against the fake X over HTTP (three days, the second
refused: 503, then a suspension), then by a late refusal, redeliveries and a poison message."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
from asyncpg import Record
from mentionflow.events import decode, encode, make_envelope
from mentionflow.events.accounts_snapshots import AccountSnapshot
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeUser

from tests.helpers import eventually, produce, produce_events, read_all
from tests.ingest.snapshot_days import ACME, DAY1, DAY2, DAY3, GLOBEX, expected_counts, play_three_days, snapshot_rig
from tests.publish.support import fetch, fetchval, publish_env, start_publish

ROWS = """SELECT account_id, day, brand_id, handle, status, followers, following, posts, reason, attempts, fetched_at
          FROM account_snapshots ORDER BY account_id, day"""


async def test_the_days_best_snapshot_is_kept_a_missed_day_stays_missing_without_counts(
    kafka_settings: KafkaSettings, fresh_database_dsn: str, tmp_path: Path,
) -> None:
    service = start_publish(publish_env(kafka_settings, fresh_database_dsn, group=f"g-{uuid.uuid4().hex[:8]}"),
                            tmp_path)
    try:
        async with snapshot_rig(kafka_settings, fresh_database_dsn) as rig:
            await play_three_days(rig)

        async def settled() -> bool:
            rows = await fetchval(fresh_database_dsn,
                                  "SELECT count(*) FILTER (WHERE status = 'ok') FROM account_snapshots")
            return rows == 5  # every day of both accounts but globex's suspended day
        await eventually(settled, timeout_s=60, what="the five ok snapshots applied")
        rows = {(r["account_id"], r["day"]): dict(r) for r in await fetch(fresh_database_dsn, ROWS)}

        assert set(rows) == {(account.id, day) for account in (ACME, GLOBEX) for day in (DAY1, DAY2, DAY3)}
        for (account_id, day), row in rows.items():
            user = ACME if account_id == ACME.id else GLOBEX
            assert row["brand_id"] == ("acme" if user is ACME else "globex") and row["handle"] == user.username
            if (account_id, day) == (GLOBEX.id, DAY2):
                continue
            expected = expected_counts(user, day)
            assert row["status"] == "ok" and row["reason"] is None
            assert (row["followers"], row["following"], row["posts"]) == (
                expected.followers, expected.following, expected.posts)
        # The missed day: missing with the last refusal's reason, after three attempts; no counts.
        missed = rows[(GLOBEX.id, DAY2)]
        assert missed["status"] == "missing" and "suspended" in missed["reason"] and missed["attempts"] == 3
        assert (missed["followers"], missed["following"], missed["posts"]) == (None, None, None)
        # acme's day 2 was refused first, then looked up again: the retry's counts, two attempts.
        assert rows[(ACME.id, DAY2)]["attempts"] == 2
        assert rows[(ACME.id, DAY1)]["followers"] < rows[(ACME.id, DAY2)]["followers"] < \
            rows[(ACME.id, DAY3)]["followers"]
        await assert_growth(fresh_database_dsn)

        # A refusal arriving late (another replica, a replay) never hides a day's counts; every
        # event delivered again changes nothing; a poison message goes to the DLQ.
        produced = [decode("accounts.snapshots", r.value) for r in
                    await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots"), expect=11)]
        late = AccountSnapshot(brand_id="acme", account_id=ACME.id, handle=ACME.username, day=DAY2, status="missing",
                               reason="X unavailable (503)", attempt=9,
                               fetched_at=datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
        # ingest crashed after Kafka acknowledged acme's day 2 and before it recorded it: looked
        # up again later that day, with other counts; the day's first counts stay.
        again = AccountSnapshot(brand_id="acme", account_id=ACME.id, handle=ACME.username, day=DAY2, status="ok",
                                followers=999_999, following=1, posts=1, attempt=1,
                                fetched_at=datetime(2026, 3, 3, 22, 0, tzinfo=UTC))
        await produce_events(kafka_settings, "accounts.snapshots", [
            *produced,
            make_envelope("accounts.snapshots", late, brand_id="acme", correlation_id=f"{ACME.id}:{DAY2}"),
            make_envelope("accounts.snapshots", again, brand_id="acme", correlation_id=f"{ACME.id}:{DAY2}")])
        # Poison: bytes cut short, and a refusal carrying a zero (the model refuses a fake zero).
        refusal = make_envelope("accounts.snapshots", AccountSnapshot(
            brand_id="acme", account_id=ACME.id, handle=ACME.username, day=DAY3 + timedelta(days=1),
            status="missing", reason="X unavailable (503)", fetched_at=datetime(2026, 3, 5, 8, 0, tzinfo=UTC)),
            brand_id="acme", correlation_id=f"{ACME.id}:day4")
        zeroed = orjson.loads(encode(refusal))
        zeroed["payload"]["followers"] = 0
        await produce(kafka_settings, "accounts.snapshots", [(b"acme", b'{"event_type": "account.snapshot", "pay'),
                                                             (b"acme", orjson.dumps(zeroed))])
        day4 = AccountSnapshot(brand_id="globex", account_id=GLOBEX.id, handle=GLOBEX.username,
                               day=DAY3 + timedelta(days=1), status="ok", followers=20_500, following=41, posts=3_100,
                               fetched_at=datetime(2026, 3, 5, 8, 0, tzinfo=UTC))
        await produce_events(kafka_settings, "accounts.snapshots", [
            make_envelope("accounts.snapshots", day4, brand_id="globex", correlation_id=f"{GLOBEX.id}:day4")])

        async def day4_applied() -> bool:
            return await fetchval(fresh_database_dsn, "SELECT count(*) FROM account_snapshots") == 7
        await eventually(day4_applied, timeout_s=30, what="the day-4 snapshot after the redeliveries")
        dead = await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots.dlq"), expect=2)
        assert len(dead) == 2 and all(dict(d.headers)["dlq.service"] == b"publish" for d in dead)
        reasons = sorted(dict(d.headers)["dlq.error.message"].decode() for d in dead)
        assert any("never a fake zero" in reason for reason in reasons), reasons
        assert await fetchval(fresh_database_dsn, "SELECT count(*) FROM account_snapshots WHERE day > $1", DAY3) == 1
        after = {(r["account_id"], r["day"]): dict(r) for r in await fetch(fresh_database_dsn, ROWS)}
        assert {key: after[key] for key in rows} == rows, "redeliveries, the late refusal and ok changed nothing"
    finally:
        service.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait, 20) == 0


GROWTH = """SELECT account_id, from_day, to_day, followers_from, followers_to, followers_change,
                   following_change, posts_change, days_ok, days_missing, days_without_snapshot
            FROM account_growth($1, $2) ORDER BY account_id"""


async def assert_growth(dsn: str) -> None:
    """Net change per period and the daily view over the three days (globex missed day 2),
    each figure from the counts the fake X served."""
    def counts(user: FakeUser, day: date) -> tuple[int, int, int]:
        c = expected_counts(user, day)
        return c.followers, c.following, c.posts

    def change(user: FakeUser, start: date, end: date) -> tuple[int, ...]:
        return tuple(b - a for a, b in zip(counts(user, start), counts(user, end), strict=True))

    def growth_of(rows: list[Record]) -> dict[str, dict[str, object]]:
        return {r["account_id"]: dict(r) for r in rows}

    # The whole run, and two days before it: no baseline before the period, so from day 1.
    whole = growth_of(await fetch(dsn, GROWTH, DAY1 - timedelta(days=2), DAY3))
    assert set(whole) == {ACME.id, GLOBEX.id}
    for user, ok, missing in ((ACME, 3, 0), (GLOBEX, 2, 1)):
        g = whole[user.id]
        assert (g["from_day"], g["to_day"]) == (DAY1, DAY3)
        assert (g["followers_from"], g["followers_to"]) == (counts(user, DAY1)[0], counts(user, DAY3)[0])
        assert (g["followers_change"], g["following_change"], g["posts_change"]) == change(user, DAY1, DAY3)
        assert (g["days_ok"], g["days_missing"], g["days_without_snapshot"]) == (ok, missing, 2)

    # globex's missed day alone: a baseline (day 1) but no counts in the period — no change,
    # never a zero; acme's day 2 alone: from day 1.
    day2 = growth_of(await fetch(dsn, GROWTH, DAY2, DAY2))
    assert (day2[GLOBEX.id]["from_day"], day2[GLOBEX.id]["to_day"]) == (DAY1, None)
    assert (day2[GLOBEX.id]["followers_change"], day2[GLOBEX.id]["posts_change"]) == (None, None)
    assert (day2[GLOBEX.id]["days_ok"], day2[GLOBEX.id]["days_missing"]) == (0, 1)
    assert (day2[ACME.id]["from_day"], day2[ACME.id]["followers_change"]) == (DAY1, change(ACME, DAY1, DAY2)[0])
    # Day 3 runs from the last ok before it: acme's day 2, globex's day 1 (over the missed day),
    # so consecutive periods add up to the whole.
    day3 = growth_of(await fetch(dsn, GROWTH, DAY3, DAY3))
    assert (day3[GLOBEX.id]["from_day"], day3[GLOBEX.id]["followers_change"]) == (DAY1, change(GLOBEX, DAY1, DAY3)[0])
    assert day2[ACME.id]["followers_change"] + day3[ACME.id]["followers_change"] == whole[ACME.id]["followers_change"]
    # Day 1 alone is one point: no change; an empty or reversed period has no rows.
    day1 = growth_of(await fetch(dsn, GROWTH, DAY1, DAY1))
    assert day1[ACME.id]["followers_change"] is None and day1[ACME.id]["followers_to"] == counts(ACME, DAY1)[0]
    assert await fetch(dsn, GROWTH, DAY3 + timedelta(days=1), DAY3 + timedelta(days=5)) == []
    assert await fetch(dsn, GROWTH, DAY3, DAY1) == []

    daily = [dict(r) for r in await fetch(dsn, """
        SELECT account_id, day, previous_day, followers, followers_change, following_change, posts_change
        FROM account_growth_daily WHERE day >= $1 ORDER BY account_id, day""", DAY2)]
    assert [(d["account_id"], d["day"], d["previous_day"]) for d in daily] == [
        (ACME.id, DAY2, DAY1), (ACME.id, DAY3, DAY2), (GLOBEX.id, DAY3, DAY1)], "the missed day has no row"
    for d in daily:
        user = ACME if d["account_id"] == ACME.id else GLOBEX
        assert d["followers"] == counts(user, d["day"])[0]
        assert (d["followers_change"], d["following_change"], d["posts_change"]) == change(
            user, d["previous_day"], d["day"])
