"""accounts.snapshots: one brand account's public counts for one day, or why X gave none.

ingest looks every configured brand account up once a day (X API users lookup) and produces
one event per account and attempt; publish keeps the day's first counts in `account_snapshots`.

`status="ok"`: followers, following and posts are what X answered at `fetched_at`.
`status="missing"`: X refused the lookup (429, 5xx, a suspended or unknown account, a network
failure); the counts are absent — never zero — and `reason` says why. ingest retries later
the same day, and a later `ok` of that day replaces the `missing` (never the other way).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "account.snapshot"
SCHEMA_VERSION = 1


class AccountSnapshot(EventModel):
    brand_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(pattern=r"^[0-9]{1,20}$", description="the account's X user id")
    handle: str = Field(min_length=1, max_length=64, description="as configured, without @")
    day: date = Field(description="the UTC day the snapshot stands for")
    status: Literal["ok", "missing"]
    followers: int | None = Field(default=None, ge=0)
    following: int | None = Field(default=None, ge=0)
    posts: int | None = Field(default=None, ge=0, description="X's tweet_count (post_count)")
    reason: str | None = Field(default=None, min_length=1, max_length=500,
                               description="why X gave no counts (status missing only)")
    attempt: int = Field(default=1, ge=1, description="lookups of this account this day, this one included")
    fetched_at: datetime = Field(description="when X answered (or refused)")

    @model_validator(mode="after")
    def _status_has_its_fields(self) -> Self:
        counts = (self.followers, self.following, self.posts)
        if self.status == "ok":
            if any(count is None for count in counts):
                raise ValueError("an ok snapshot needs followers, following and posts")
            if self.reason is not None:
                raise ValueError("an ok snapshot has no reason")
        else:
            if any(count is not None for count in counts):
                raise ValueError("a missing snapshot carries no counts (never a fake zero)")
            if self.reason is None:
                raise ValueError("a missing snapshot needs a reason")
        return self
