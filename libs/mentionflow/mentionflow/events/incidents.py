"""incidents: brand-level spikes of negative or crisis volume (opened, updated, closed)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "incident.changed"
SCHEMA_VERSION = 1


class Incident(EventModel):
    incident_id: str = Field(min_length=1, max_length=200, description="stable across updates")
    brand_id: str = Field(min_length=1, max_length=200)
    status: Literal["opened", "updated", "closed"]
    opened_at: datetime
    window_start: datetime
    window_end: datetime
    negative_count: int = Field(ge=0)
    crisis_count: int = Field(ge=0)
    baseline_per_minute: float = Field(ge=0.0)
    rate_per_minute: float = Field(ge=0.0)
    sample_mention_ids: list[str] = Field(default_factory=list, max_length=50)
    summary: str = Field(default="", max_length=2000)
