"""Keeps the fake X API supplied with generated mentions, in real time (for make run).

The generator's timeline starts at the feeder's start and runs at `rate_per_s`; every tick
the feeder adds the posts whose time has come. Ids are snowflakes of those times, so they
grow like X's and a poller's since_id never skips a fed mention. Crisis bursts in the
generator show up as real bursts of traffic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from mentionflow_tools.fakex.models import AddMentions, AddUsers, FakeUser
from mentionflow_tools.fakex.state import FakeXState
from mentionflow_tools.generate.brands import BrandProfile
from mentionflow_tools.generate.traffic import Post, TrafficGenerator, fake_x_body

logger = logging.getLogger(__name__)


def brand_accounts(brands: Sequence[BrandProfile]) -> list[FakeUser]:
    """The brands' own X accounts as the fake stores them (their counts on the growth epoch)."""
    return [FakeUser(id=b.account_user_id, username=b.handle, name=b.display_name,
                     followers=250_000, following=300, tweet_count=15_000, verified=True) for b in brands]


class MentionFeeder:
    def __init__(
        self,
        state: FakeXState,
        brands: Sequence[BrandProfile],
        *,
        rate_per_s: float,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        max_per_tick: int = 5_000,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self._state = state
        self._brands = tuple(brands)
        self._clock = clock
        self._max_per_tick = max_per_tick
        self._generator = TrafficGenerator(
            self._brands, seed=seed, start=datetime.fromtimestamp(clock(), UTC),
            rate_per_s=rate_per_s,
        )
        self._posts = self._generator.posts()
        self._pending: Post | None = None
        self.fed = 0
        state.add_users(AddUsers(users=brand_accounts(self._brands)))

    def pump(self) -> int:
        """Add every post due by now (at most max_per_tick); returns how many were added."""
        now = self._clock()
        due: list[Post] = []
        while len(due) < self._max_per_tick:
            post = self._pending or next(self._posts)
            if post.created_at.timestamp() > now:
                self._pending = post
                break
            self._pending = None
            due.append(post)
        if due:
            self._state.add_mentions(AddMentions.model_validate(fake_x_body(due, self._brands)))
            self.fed += len(due)
        return len(due)

    async def run(self, stop: asyncio.Event, tick_s: float = 0.25) -> None:
        """Pump until `stop` is set."""
        logger.info("feeding generated mentions for %s", ", ".join(b.handle for b in self._brands))
        while not stop.is_set():
            self.pump()
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick_s)
            except TimeoutError:
                pass
        logger.info("feeder stopped after %d mentions", self.fed)
