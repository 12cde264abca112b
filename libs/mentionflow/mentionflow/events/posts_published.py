"""posts.published: the outcome of one post request (posted once, failed with X's reason, or
cancelled before it was due)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "post.published"
SCHEMA_VERSION = 1


class PostPublished(EventModel):
    post_id: str = Field(min_length=1, max_length=64)
    brand_id: str = Field(min_length=1, max_length=200)
    account_handle: str = Field(min_length=1, max_length=64)
    status: Literal["published", "failed", "cancelled"]
    tweet_ids: list[str] = Field(default_factory=list, description="X ids of the parts posted, in order")
    conversation_id: str | None = Field(default=None, max_length=64,
                                        description="X conversation of the thread: replies come back with it")
    error: str | None = Field(default=None, max_length=2000, description="X's reason when failed")
    reconciled: bool = Field(default=False, description="found on X after a crash, not re-posted")
    finished_at: datetime
