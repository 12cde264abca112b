"""replies.published: the outcome of one reply request (sent once, or failed with a reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "reply.published"
SCHEMA_VERSION = 1


class ReplyPublished(EventModel):
    reply_id: str = Field(min_length=1, max_length=64)
    brand_id: str = Field(min_length=1, max_length=200)
    mention_id: str = Field(min_length=1, max_length=64)
    status: Literal["sent", "failed"]
    tweet_id: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=2000)
    reconciled: bool = Field(default=False, description="found on X after a crash, not re-posted")
    finished_at: datetime
