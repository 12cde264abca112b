"""posts.metrics: engagement of a brand's published post as X reports it, refreshed by ingest."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "post.metrics"
SCHEMA_VERSION = 1


class PostMetrics(EventModel):
    post_id: str = Field(min_length=1, max_length=64)
    brand_id: str = Field(min_length=1, max_length=200)
    tweet_id: str = Field(min_length=1, max_length=64, description="the thread's first tweet")
    likes: int = Field(ge=0)
    replies: int = Field(ge=0)
    reposts: int = Field(ge=0)
    quotes: int = Field(ge=0)
    impressions: int | None = Field(default=None, ge=0)
    observed_at: datetime
