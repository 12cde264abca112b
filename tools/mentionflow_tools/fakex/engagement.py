"""How the fake's posts gather likes, reposts, bookmarks and impressions: a pure function of
(seed, tweet id, author's followers, age).

Each post gets its own ceiling (a share of its author's followers, at least a handful) and
its own pace from the seed; the counts follow a saturating curve, so they rise fast in the
first hours and flatten over the following days as on X, never fall, and the same seed, post
and age always give the same counts whichever process asks. Replies and quotes are not
invented here: the fake counts the reply and quote tweets it really stores (so every counted
one can be fetched), plus what a test added by hand (POST /_fake/engagement).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Organic:
    likes: int
    reposts: int
    bookmarks: int
    impressions: int


def _unit(seed: int, tweet_id: str, what: str) -> float:
    """A deterministic number in [0, 1) for (seed, tweet, what)."""
    digest = hashlib.blake2b(f"{seed}:{tweet_id}:{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def organic_engagement(*, seed: int, tweet_id: str, author_followers: int, age_s: float) -> Organic:
    """The post's counts `age_s` seconds after it was posted (all 0 before it was)."""
    if age_s <= 0:
        return Organic(0, 0, 0, 0)
    # 0.05 %..1 % of the followers like a post in the end; a small account still gets a few.
    ceiling = max(5.0, author_followers * (0.0005 + 0.0095 * _unit(seed, tweet_id, "reach")))
    half_life_h = 1.0 + 7.0 * _unit(seed, tweet_id, "pace")  # hours to reach half the ceiling
    share = 1.0 - math.exp(-math.log(2) * age_s / (half_life_h * HOUR_S))
    likes = math.floor(ceiling * share)
    # Fixed ratios per post keep every count monotonic in the age.
    reposts = math.floor(likes * (0.05 + 0.15 * _unit(seed, tweet_id, "reposts")))
    bookmarks = math.floor(likes * (0.01 + 0.05 * _unit(seed, tweet_id, "bookmarks")))
    impressions = math.floor(ceiling * share * (30.0 + 60.0 * _unit(seed, tweet_id, "views")))
    return Organic(likes=likes, reposts=reposts, bookmarks=bookmarks, impressions=impressions)
