"""How the fake's accounts grow: public counts as a pure function of (seed, account, day).

A brand account's stored counts are its counts on GROWTH_EPOCH. Each account gets its own
pace from the seed (followers +0.05 %..0.3 % of the base a day, at least 3; 2..15 posts a
day; a few new follows a week) and a day-to-day wobble under half the daily pace, so
followers and posts never fall from one day to the next and rise by amounts that vary like
a real account's. The same seed and day always give the same counts, whichever process
asks and whenever it starts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

GROWTH_EPOCH = date(2026, 1, 1)
WOBBLE = 0.45  # of the daily pace: below 0.5, so day-over-day changes stay positive


@dataclass(frozen=True, slots=True)
class Counts:
    followers: int
    following: int
    posts: int


def _unit(seed: int, account_id: str, what: str, day: int | None = None) -> float:
    """A deterministic number in [0, 1) for (seed, account, what[, day])."""
    digest = hashlib.blake2b(f"{seed}:{account_id}:{what}:{day}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def grown_counts(*, seed: int, account_id: str, followers: int, following: int, posts: int,
                 day: date) -> Counts:
    """The account's counts on `day`, from its counts on GROWTH_EPOCH (never below zero)."""
    n = (day - GROWTH_EPOCH).days
    follower_pace = max(3.0, followers * (0.0005 + 0.0025 * _unit(seed, account_id, "followers")))
    post_pace = 2.0 + 13.0 * _unit(seed, account_id, "posts")
    follows_per_week = 3.0 * _unit(seed, account_id, "following")

    def wobble(pace: float, what: str) -> float:
        return WOBBLE * pace * (2.0 * _unit(seed, account_id, what, n) - 1.0)

    return Counts(
        followers=max(0, round(followers + follower_pace * n + wobble(follower_pace, "followers-day"))),
        following=max(0, following + int(follows_per_week * n / 7)),
        posts=max(0, round(posts + post_pace * n + wobble(post_pace, "posts-day"))),
    )
