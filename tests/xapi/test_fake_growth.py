"""The fake X API's accounts grow day by day (deterministic from a seed and the day), and it
refuses a users lookup for one account on one day (5xx, 429, suspension) — what the follower
snapshots are tested against. Real HTTP, our real lookup client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from mentionflow.xapi import RateLimited, TransientXError, XApiSettings, XCredentials, XSession, lookup_account_counts
from mentionflow_tools.fakex import AddUsers, FakeUser, FakeXServer, FakeXState, Fault
from mentionflow_tools.fakex.growth import GROWTH_EPOCH, grown_counts
from pydantic import SecretStr

ACCOUNT = FakeUser(id="4001", username="growing", followers=120_000, following=300, tweet_count=9_000)
OTHER = FakeUser(id="4002", username="steady", followers=8_000, following=50, tweet_count=700)


def counts_over(days: int, *, seed: int, user: FakeUser = ACCOUNT) -> list[tuple[int, int, int]]:
    out = []
    for offset in range(days):
        c = grown_counts(seed=seed, account_id=user.id, followers=user.followers, following=user.following,
                         posts=user.tweet_count, day=GROWTH_EPOCH + timedelta(days=offset))
        out.append((c.followers, c.following, c.posts))
    return out


def test_growth_is_deterministic_plausible_and_never_falls() -> None:
    series = counts_over(365, seed=3)
    assert series == counts_over(365, seed=3), "same seed and days, same counts"
    assert series != counts_over(365, seed=4), "another seed, another account history"
    assert abs(series[0][0] - ACCOUNT.followers) < ACCOUNT.followers * 0.01, "on the epoch: the stored count"
    assert series[0][1] == ACCOUNT.following
    daily = [later[0] - earlier[0] for earlier, later in zip(series, series[1:], strict=False)]
    assert min(daily) > 0, "followers rise every day"
    assert len(set(daily)) > 30, "by amounts that vary"
    assert max(daily) < ACCOUNT.followers * 0.01, "a day never adds 1 % at once"
    assert all(later[1] >= earlier[1] and later[2] >= earlier[2]
               for earlier, later in zip(series, series[1:], strict=False)), "following and posts never fall"
    assert series[-1][2] - series[0][2] > 365, "the account posts"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def growing_fake() -> AsyncIterator[tuple[FakeXServer, Clock]]:
    clock = Clock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    async with FakeXServer(FakeXState(accounts=[ACCOUNT, OTHER], clock=clock, growth_seed=5)) as server:
        yield server, clock


async def test_the_lookup_shows_the_days_counts_and_refuses_one_account_on_one_day(
        growing_fake: tuple[FakeXServer, Clock]) -> None:
    fake, clock = growing_fake
    day = date(2026, 6, 1)
    async with XSession(XApiSettings(base_url=fake.base_url, timeout_s=5)) as session:
        reader = session.reader(XCredentials(bearer_token=SecretStr("bearer")))
        first = await lookup_account_counts(reader, [ACCOUNT.id, OTHER.id])
        expected = counts_over((day - GROWTH_EPOCH).days + 2, seed=5)
        assert (first.found[ACCOUNT.id].followers, first.found[ACCOUNT.id].following,
                first.found[ACCOUNT.id].posts) == expected[-2]

        # A fault bound to tomorrow does nothing today; tomorrow it refuses the request with OTHER in it.
        fake.state.inject(Fault(endpoint="users_lookup", kind="error", status=503, user_id=OTHER.id,
                                day=day + timedelta(days=1)))
        fake.state.inject(Fault(endpoint="users_lookup", kind="rate_limit", user_id=OTHER.id,
                                day=day + timedelta(days=1), reset_in_s=600))
        assert set((await lookup_account_counts(reader, [OTHER.id])).found) == {OTHER.id}
        clock.now += 86_400
        assert set((await lookup_account_counts(reader, [ACCOUNT.id])).found) == {ACCOUNT.id}, \
            "the faults are about OTHER only"
        with pytest.raises(TransientXError):
            await lookup_account_counts(reader, [ACCOUNT.id, OTHER.id])
        with pytest.raises(RateLimited) as limited:
            await lookup_account_counts(reader, [OTHER.id])
        assert limited.value.wait_seconds(clock.now) == pytest.approx(600, abs=1)
        grown = await lookup_account_counts(reader, [ACCOUNT.id, OTHER.id])
        assert (grown.found[ACCOUNT.id].followers, grown.found[ACCOUNT.id].posts) == \
            (expected[-1][0], expected[-1][2])
        assert grown.found[ACCOUNT.id].followers > first.found[ACCOUNT.id].followers

        # Suspended on one day only: left out with X's reason that day, shown again the next.
        fake.state.add_users(AddUsers(users=[OTHER.model_copy(update={"suspended_days": [day + timedelta(days=2)]})]))
        clock.now += 86_400
        suspended = await lookup_account_counts(reader, [ACCOUNT.id, OTHER.id])
        assert set(suspended.found) == {ACCOUNT.id} and "suspended" in suspended.refused[OTHER.id]
        clock.now += 86_400
        assert set((await lookup_account_counts(reader, [OTHER.id])).found) == {OTHER.id}
