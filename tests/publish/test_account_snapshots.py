"""account_snapshots from accounts.snapshots: the publish process keeps one row per account and
UTC day. Fed by ingest's snapshotter against the fake X over HTTP (three days, the second
refused: 503, then a suspension), then by a late refusal, redeliveries and a poison message."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mentionflow.events import decode, make_envelope
from mentionflow.events.accounts_snapshots import AccountSnapshot
from mentionflow.settings import KafkaSettings

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
        async with snapshot_rig(kafka_settings) as rig:
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

        # A refusal arriving late (another replica, a replay) never hides a day's counts; every
        # event delivered again changes nothing; a poison message goes to the DLQ.
        produced = [decode("accounts.snapshots", r.value) for r in
                    await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots"), expect=11)]
        late = AccountSnapshot(brand_id="acme", account_id=ACME.id, handle=ACME.username, day=DAY2, status="missing",
                               reason="X unavailable (503)", attempt=9,
                               fetched_at=datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
        await produce_events(kafka_settings, "accounts.snapshots",
                             [*produced, make_envelope("accounts.snapshots", late, brand_id="acme",
                                                       correlation_id=f"{ACME.id}:{DAY2}")])
        await produce(kafka_settings, "accounts.snapshots", [(b"acme", b'{"event_type": "account.snapshot", "pay')])
        day4 = AccountSnapshot(brand_id="globex", account_id=GLOBEX.id, handle=GLOBEX.username,
                               day=DAY3 + timedelta(days=1), status="ok", followers=20_500, following=41, posts=3_100,
                               fetched_at=datetime(2026, 3, 5, 8, 0, tzinfo=UTC))
        await produce_events(kafka_settings, "accounts.snapshots", [
            make_envelope("accounts.snapshots", day4, brand_id="globex", correlation_id=f"{GLOBEX.id}:day4")])

        async def day4_applied() -> bool:
            return await fetchval(fresh_database_dsn, "SELECT count(*) FROM account_snapshots") == 7
        await eventually(day4_applied, timeout_s=30, what="the day-4 snapshot after the redeliveries")
        dead = await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots.dlq"), expect=1)
        assert len(dead) == 1 and dict(dead[0].headers)["dlq.service"] == b"publish"
        after = {(r["account_id"], r["day"]): dict(r) for r in await fetch(fresh_database_dsn, ROWS)}
        assert {key: after[key] for key in rows} == rows, "redeliveries and the late refusal changed nothing"
    finally:
        service.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(service.wait, 20) == 0
