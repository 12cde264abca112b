"""Three days of follower snapshots: ingest's snapshotter (tweepy over HTTP) against a fake X
whose clock the test moves, producing to the real Kafka. Shared by the ingest test (the
events) and the publish test (the table).

Day 1: both accounts answer. Day 2: X answers 503 to the lookup (both accounts of the
request are missing), acme succeeds on the retry, globex is suspended all day (missing at
every retry). Day 3: 429 with a 20-minute reset: both missing, nothing asked before the
reset, then both answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import asyncpg
from mentionflow.db import migrate_all
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings
from mentionflow.xapi import XApiSettings, XCredentials, XSession
from mentionflow_ingest.main import MIGRATIONS
from mentionflow_ingest.settings import SnapshotSettings
from mentionflow_ingest.snapshots import AccountSnapshotter, SnapshotAccount
from mentionflow_tools.fakex import AddUsers, FakeUser, FakeXServer, FakeXState, Fault
from mentionflow_tools.fakex.growth import Counts, grown_counts
from pydantic import SecretStr

SEED = 11
DAY1, DAY2, DAY3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
ACME = FakeUser(id="2001", username="AcmeHelp", name="Acme", followers=50_000, following=120, tweet_count=8_000)
GLOBEX = FakeUser(id="2002", username="GlobexCare", name="Globex", followers=20_000, following=40,
                  tweet_count=3_000)
BRAND_OF = {ACME.id: "acme", GLOBEX.id: "globex"}
RETRY_S = 300.0
RESET_S = 1200.0


def at(day: date, hour: int, minute: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp()


def expected_counts(user: FakeUser, day: date) -> Counts:
    """What the fake's growth gives the account on `day` (the fake serves exactly this)."""
    return grown_counts(seed=SEED, account_id=user.id, followers=user.followers, following=user.following,
                        posts=user.tweet_count, day=day)


@dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    clock: Clock
    fake: FakeXServer
    snapshotter: AccountSnapshotter
    new_snapshotter: Callable[[], AccountSnapshotter]  # another process: same database, fresh memory
    waits: dict[str, float] = field(default_factory=dict)  # what each round said about the next

    def restart(self) -> None:
        """ingest restarted: the snapshotter forgets everything it kept in memory."""
        self.snapshotter = self.new_snapshotter()

    async def round_at(self, name: str, when: float) -> int:
        """One round of the snapshotter at `when`; returns how many lookups it made."""
        self.clock.now = when
        before = len(self.fake.state.calls("users_lookup"))
        self.waits[name] = await self.snapshotter.snapshot_due()
        return len(self.fake.state.calls("users_lookup")) - before


@asynccontextmanager
async def snapshot_rig(kafka: KafkaSettings, dsn: str, *, configured_ids: bool = True,
                       extra_handles: tuple[str, ...] = ()) -> AsyncIterator[Rig]:
    """`dsn`: the database ingest's migrations go to; `configured_ids=False`: the accounts are
    configured by handle only; `extra_handles`: more accounts (of brand "acme"), by handle only."""
    clock = Clock(at(DAY1, 8))
    state = FakeXState(accounts=[ACME, GLOBEX], clock=clock, growth_seed=SEED)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=3)
    await migrate_all(pool, MIGRATIONS)
    producer = make_producer(kafka, client_id="snapshots-test")
    await producer.start()
    try:
        async with FakeXServer(state) as fake, XSession(XApiSettings(base_url=fake.base_url, timeout_s=5)) as xs:
            client = xs.reader(XCredentials(bearer_token=SecretStr("test-app-bearer")))
            accounts = [SnapshotAccount("acme", ACME.username, ACME.id if configured_ids else None, client),
                        SnapshotAccount("globex", GLOBEX.username, GLOBEX.id if configured_ids else None, client),
                        *(SnapshotAccount("acme", handle, None, client) for handle in extra_handles)]
            def new_snapshotter() -> AccountSnapshotter:
                return AccountSnapshotter(
                    accounts=accounts, producer=producer, pool=pool, kafka=kafka, clock=clock,
                    settings=SnapshotSettings(retry_initial_s=RETRY_S, retry_max_s=3600))
            yield Rig(clock, fake, new_snapshotter(), new_snapshotter)
    finally:
        await producer.stop()
        await pool.close()


async def play_three_days(rig: Rig) -> dict[str, int]:
    """The scenario of the module docstring; returns the lookups made per round."""
    state = rig.fake.state
    lookups = {"day1": await rig.round_at("day1", at(DAY1, 8))}

    state.inject(Fault(endpoint="users_lookup", kind="error", status=503, user_id=ACME.id, day=DAY2))
    state.add_users(AddUsers(users=[GLOBEX.model_copy(update={"suspended_days": [DAY2]})]))
    lookups["day2 08:00"] = await rig.round_at("day2 08:00", at(DAY2, 8))
    lookups["day2 08:02"] = await rig.round_at("day2 08:02", at(DAY2, 8, 2))
    lookups["day2 08:05"] = await rig.round_at("day2 08:05", at(DAY2, 8, 5))
    lookups["day2 08:15"] = await rig.round_at("day2 08:15", at(DAY2, 8, 15))

    state.inject(Fault(endpoint="users_lookup", kind="rate_limit", reset_in_s=RESET_S, day=DAY3))
    lookups["day3 08:00"] = await rig.round_at("day3 08:00", at(DAY3, 8))
    lookups["day3 08:10"] = await rig.round_at("day3 08:10", at(DAY3, 8, 10))
    lookups["day3 08:20"] = await rig.round_at("day3 08:20", at(DAY3, 8, 20))
    return lookups
