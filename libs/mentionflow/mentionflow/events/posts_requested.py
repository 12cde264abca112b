"""posts.requested: the console asks publish to post (now or at a time) or to cancel a post.

A post is one tweet or a thread of up to MAX_THREAD_PARTS tweets from one of the brand's own
configured accounts. The console has already applied the brand's approval rule: publish posts
what it is asked to, at `scheduled_for` (or at once when it is None), exactly once per post_id.
`cancel` withdraws a scheduled post that has not been posted yet; a cancel that comes too late
is answered by posts.published with the post's real outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from mentionflow.events.envelope import EventModel
from mentionflow.events.post_text import MAX_POST_WEIGHT, weighted_length

EVENT_TYPE = "post.requested"
SCHEMA_VERSION = 1

MAX_THREAD_PARTS = 25


class PostRequested(EventModel):
    post_id: str = Field(min_length=1, max_length=64, description="idempotency key of the post")
    brand_id: str = Field(min_length=1, max_length=200)
    action: Literal["schedule", "cancel"] = "schedule"
    account_handle: str = Field(min_length=1, max_length=64, description="one of the brand's own accounts")
    parts: list[str] = Field(default_factory=list, max_length=MAX_THREAD_PARTS,
                             description="the post, then each reply of its thread; empty for cancel")
    scheduled_for: datetime | None = Field(default=None, description="UTC; None posts at once")
    requested_by: str = Field(min_length=1, max_length=200)
    approved_by: str | None = Field(default=None, max_length=200)

    @field_validator("parts")
    @classmethod
    def _parts_fit(cls, parts: list[str]) -> list[str]:
        for index, text in enumerate(parts):
            if not text.strip():
                raise ValueError(f"part {index + 1} is empty")
            if "\x00" in text:
                raise ValueError(f"part {index + 1} contains a NUL character")
            weight = weighted_length(text)
            if weight > MAX_POST_WEIGHT:
                raise ValueError(f"part {index + 1} is {weight} characters as X counts them (max {MAX_POST_WEIGHT})")
        return parts

    @model_validator(mode="after")
    def _schedule_has_text(self) -> PostRequested:
        if self.action == "schedule" and not self.parts:
            raise ValueError("a post to schedule needs at least one part")
        return self
