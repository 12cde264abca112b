"""What the fake X API stores, and the JSON it accepts on its /_fake control endpoints."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# X's snowflake epoch (ms): ids grow with time, so since_id arithmetic works as on X.
TWEPOCH_MS = 1288834974657


def snowflake(at: datetime, worker: int, sequence: int) -> int:
    """An X-style id: 41 bits of ms since TWEPOCH, 10 bits of worker, 12 bits of sequence."""
    ms = int(at.timestamp() * 1000) - TWEPOCH_MS
    return (ms << 22) | ((worker & 0x3FF) << 12) | (sequence & 0xFFF)


class FakeUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(pattern=r"^[0-9]+$")
    username: str = Field(min_length=1, max_length=64)
    name: str | None = None
    followers: int = Field(default=0, ge=0)
    following: int = Field(default=0, ge=0)
    tweet_count: int = Field(default=0, ge=0)
    verified: bool = False
    suspended: bool = Field(default=False, description="lookups and expansions leave it out, "
                                                       "with a partial error saying so")
    suspended_days: list[date] = Field(default_factory=list, description="suspended on these (UTC) days only")
    description: str = ""
    created_at: datetime = datetime(2015, 3, 1, tzinfo=UTC)


class FakeTweet(BaseModel):
    """A tweet as the fake stores it. `id` and `created_at` are filled in when absent.

    `mentioned_user_ids`: whose mentions timelines show it; when empty it is derived from
    the @handles in the text that match known users.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str | None = Field(default=None, pattern=r"^[0-9]+$")
    text: str = Field(min_length=1)
    author_id: str = Field(min_length=1)
    created_at: datetime | None = None
    lang: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[dict[str, str]] = []
    mentioned_user_ids: list[str] = []


class AddMentions(BaseModel):
    """Body of POST /_fake/mentions (and of FakeXState.add_mentions)."""

    users: list[FakeUser] = []
    tweets: list[FakeTweet] = []


class CrowdPost(BaseModel):
    """One reply or quote a user posts about a tweet (POST /_fake/engagement)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=280)
    author_id: str | None = Field(default=None, description="a known user; default the fake's crowd account")
    id: str | None = Field(default=None, pattern=r"^[0-9]+$", description="fixed id (tests); default a new one")


class AddEngagement(BaseModel):
    """Body of POST /_fake/engagement: people react to the tweet `tweet_id`.

    - replies: each is a reply to the tweet (conversation_id = the tweet's conversation root,
      the tweet's author @mentioned, so it shows in that account's mentions timeline);
    - quotes: each quotes the tweet (referenced_tweets quoted); it reaches the quoted
      account's mentions only when its text @mentions it, as on X;
    - likes, reposts, bookmarks, impressions: added on top of the organic counts.
    """

    model_config = ConfigDict(extra="forbid")

    tweet_id: str = Field(pattern=r"^[0-9]+$")
    replies: list[CrowdPost] = []
    quotes: list[CrowdPost] = []
    likes: int = Field(default=0, ge=0)
    reposts: int = Field(default=0, ge=0)
    bookmarks: int = Field(default=0, ge=0)
    impressions: int = Field(default=0, ge=0)


class AddUsers(BaseModel):
    """Body of POST /_fake/users: accounts, and which access tokens act as which account."""

    users: list[FakeUser] = []
    tokens: dict[str, str] = Field(default_factory=dict, description="token -> user id")


FaultKind = Literal["rate_limit", "error", "slow", "garbage", "disconnect"]


class Fault(BaseModel):
    """The next `count` calls to `endpoint` (optionally only those about user `user_id`: the
    path's user, or one of a users lookup's ids; optionally only on the UTC `day` of the
    fake's clock) fail.

    - rate_limit: 429 whose x-rate-limit-reset is now + reset_in_s (header left out when
      include_reset_header is false);
    - error: `status` with a JSON or plain-text body; with `after_effect` the request is
      carried out first (e.g. the reply IS posted) and only the response fails, like X
      accepting a post while the connection drops;
    - slow: answer normally after delay_s;
    - garbage: answer normally plus `garbage_items` malformed items in `data`;
    - disconnect: close the connection without answering.
    """

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(description="users_mentions, create_tweet, users_tweets, user_by_username, "
                                      "users_lookup, users_me, tweets_lookup, quote_tweets, or * for any")
    kind: FaultKind
    count: int = Field(default=1, ge=1)
    user_id: str | None = None
    day: date | None = None
    reset_in_s: float = Field(default=60.0, ge=0)
    include_reset_header: bool = True
    status: int = Field(default=503, ge=400, le=599)
    body: Literal["json", "text"] = "json"
    after_effect: bool = False
    delay_s: float = Field(default=1.0, ge=0, le=120)
    garbage_items: int = Field(default=3, ge=1, le=50)

    def matches(self, endpoint: str, user_ids: Collection[str], today: date) -> bool:
        if self.endpoint not in ("*", endpoint):
            return False
        if self.day is not None and self.day != today:
            return False
        return self.user_id is None or self.user_id in user_ids


class RateLimitRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: int = Field(ge=1)
    window_s: float = Field(default=900.0, gt=0)


# Published limits per 15 minutes (see shared notes); per auth identity in the fake.
DEFAULT_RATE_LIMITS: dict[str, RateLimitRule] = {
    "users_mentions": RateLimitRule(limit=450),
    "users_tweets": RateLimitRule(limit=1500),
    "create_tweet": RateLimitRule(limit=100),
    "user_by_username": RateLimitRule(limit=300),
    "users_lookup": RateLimitRule(limit=300),
    "users_me": RateLimitRule(limit=75),
    "tweets_lookup": RateLimitRule(limit=450),
    "quote_tweets": RateLimitRule(limit=75),
}


class CallRecord(BaseModel):
    """One request the fake received, as tests read it back."""

    seq: int
    at: float
    method: str
    path: str
    endpoint: str
    path_user_id: str | None = None
    query: dict[str, str] = {}
    body: Any = None
    auth_kind: Literal["bearer", "oauth1", "none", "other"]
    acting_user_id: str | None = None
    status: int = 0
    fault: FaultKind | None = None
