"""The daily follower snapshots: ingest looks the brand accounts up over real HTTP (tweepy)
against the fake X, whose counts grow day by day, and produces accounts.snapshots to the real
Kafka. A refused lookup is a `missing` snapshot with X's reason and no counts, retried later
the same day; a retry that works produces the day's `ok`."""

from __future__ import annotations

from collections import defaultdict

from mentionflow.events import decode
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import AddUsers

from tests.helpers import read_all
from tests.ingest.snapshot_days import (
    ACME,
    BRAND_OF,
    DAY1,
    DAY2,
    DAY3,
    GLOBEX,
    RESET_S,
    RETRY_S,
    at,
    expected_counts,
    play_three_days,
    snapshot_rig,
)


async def test_three_days_with_a_missed_day_retried_never_a_zero(kafka_settings: KafkaSettings,
                                                                  fresh_database_dsn: str) -> None:
    async with snapshot_rig(kafka_settings, fresh_database_dsn) as rig:
        lookups = await play_three_days(rig)

    # One request per round with accounts due (both share credentials), none while waiting.
    assert lookups == {"day1": 1, "day2 08:00": 1, "day2 08:02": 0, "day2 08:05": 1, "day2 08:15": 1,
                       "day3 08:00": 1, "day3 08:10": 0, "day3 08:20": 1}
    assert rig.waits["day1"] == at(DAY2, 0) - at(DAY1, 8), "done for the day: next look at midnight"
    assert rig.waits["day2 08:00"] == RETRY_S
    assert rig.waits["day2 08:02"] == RETRY_S - 120
    assert rig.waits["day3 08:00"] == RESET_S, "a 429 is not retried before its reset"

    records = await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots"), expect=11, timeout_s=10)
    events = [decode("accounts.snapshots", r.value) for r in records]
    assert len(events) == 11
    by_account = defaultdict(list)
    for envelope in events:  # one brand's events are in order (keyed by brand)
        snapshot = envelope.payload
        assert envelope.brand_id == snapshot.brand_id == BRAND_OF[snapshot.account_id]
        assert envelope.correlation_id == f"{snapshot.account_id}:{snapshot.day}"
        by_account[snapshot.account_id].append(snapshot)

    def story(account_id: str) -> list[tuple[object, str, int]]:
        return [(s.day, s.status, s.attempt) for s in by_account[account_id]]

    assert story(ACME.id) == [(DAY1, "ok", 1), (DAY2, "missing", 1), (DAY2, "ok", 2),
                              (DAY3, "missing", 1), (DAY3, "ok", 2)]
    assert story(GLOBEX.id) == [(DAY1, "ok", 1), (DAY2, "missing", 1), (DAY2, "missing", 2),
                                (DAY2, "missing", 3), (DAY3, "missing", 1), (DAY3, "ok", 2)]

    missing = [s for s in by_account[ACME.id] + by_account[GLOBEX.id] if s.status == "missing"]
    assert all(s.followers is None and s.following is None and s.posts is None for s in missing), "never a zero"
    reasons = {(s.account_id, s.day, s.attempt): s.reason or "" for s in missing}
    assert "503" in reasons[(ACME.id, DAY2, 1)] and "503" in reasons[(GLOBEX.id, DAY2, 1)]
    assert "suspended" in reasons[(GLOBEX.id, DAY2, 2)] and "suspended" in reasons[(GLOBEX.id, DAY2, 3)]
    assert all("429" in reasons[(account, DAY3, 1)] for account in (ACME.id, GLOBEX.id))

    for user in (ACME, GLOBEX):
        ok = {s.day: s for s in by_account[user.id] if s.status == "ok"}
        for day, snapshot in ok.items():
            expected = expected_counts(user, day)
            assert (snapshot.followers, snapshot.following, snapshot.posts) == (
                expected.followers, expected.following, expected.posts), (user.username, day)
            assert snapshot.handle == user.username
        assert ok[DAY1].followers < ok[DAY3].followers and ok[DAY1].posts < ok[DAY3].posts
    acme_ok = [s.followers for s in by_account[ACME.id] if s.status == "ok"]
    assert acme_ok == sorted(acme_ok) and len(set(acme_ok)) == 3, "acme's followers grew every day"


async def test_an_account_without_a_configured_id_is_resolved_by_handle_first(kafka_settings: KafkaSettings,
                                                                             fresh_database_dsn: str) -> None:
    async with snapshot_rig(kafka_settings, fresh_database_dsn, configured_ids=False,
                            extra_handles=("NoSuchBrand",)) as rig:
        await rig.round_at("day1", at(DAY1, 8))
        await rig.round_at("day1 08:01", at(DAY1, 8, 1))  # the unknown handle waits for its retry
        await rig.round_at("day1 08:05", at(DAY1, 8, 5))
        by_username = [c.path.rsplit("/", 1)[1] for c in rig.fake.state.calls("user_by_username")]

    records = await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots"), expect=2, timeout_s=5)
    snapshots = sorted((decode("accounts.snapshots", r.value).payload for r in records), key=lambda s: s.account_id)
    assert [(s.account_id, s.handle, s.status) for s in snapshots] == [
        (ACME.id, ACME.username, "ok"), (GLOBEX.id, GLOBEX.username, "ok")]
    # Each known handle resolved once; the unknown one asked again only after the backoff.
    assert sorted(by_username) == sorted([ACME.username, GLOBEX.username, "NoSuchBrand", "NoSuchBrand"])


async def test_a_restart_the_same_day_looks_up_only_the_accounts_not_done(kafka_settings: KafkaSettings,
                                                                           fresh_database_dsn: str) -> None:
    """Day 2: acme answers, globex is suspended (missing). ingest restarts: acme is done for the
    day (recorded in ingest's table), globex is looked up again; the next day both are."""
    async with snapshot_rig(kafka_settings, fresh_database_dsn) as rig:
        state = rig.fake.state
        state.add_users(AddUsers(users=[GLOBEX.model_copy(update={"suspended_days": [DAY2]})]))
        assert await rig.round_at("day2 08:00", at(DAY2, 8)) == 1
        rig.restart()
        assert await rig.round_at("day2 08:01", at(DAY2, 8, 1)) == 1, "globex is not done: asked again"
        rig.restart()
        state.add_users(AddUsers(users=[GLOBEX]))  # reinstated the same day
        assert await rig.round_at("day2 09:00", at(DAY2, 9)) == 1
        rig.restart()
        assert await rig.round_at("day2 10:00", at(DAY2, 10)) == 0, "both done today: X not asked"
        assert rig.waits["day2 10:00"] == at(DAY3, 0) - at(DAY2, 10)
        rig.restart()
        assert await rig.round_at("day3 08:00", at(DAY3, 8)) == 1
        asked = [c.query["ids"] for c in state.calls("users_lookup")]

    assert asked == [f"{ACME.id},{GLOBEX.id}", GLOBEX.id, GLOBEX.id, f"{ACME.id},{GLOBEX.id}"]
    records = await read_all(kafka_settings, kafka_settings.physical("accounts.snapshots"), expect=6, timeout_s=10)
    stories = sorted((s.account_id, s.day, s.status) for s in
                     (decode("accounts.snapshots", r.value).payload for r in records))
    assert stories == [(ACME.id, DAY2, "ok"), (ACME.id, DAY3, "ok"),
                       (GLOBEX.id, DAY2, "missing"), (GLOBEX.id, DAY2, "missing"), (GLOBEX.id, DAY2, "ok"),
                       (GLOBEX.id, DAY3, "ok")]
