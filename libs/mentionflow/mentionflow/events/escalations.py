"""escalations: crisis mentions and incidents → who is on call, under which policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "escalation.requested"
SCHEMA_VERSION = 1


class EscalationStep(EventModel):
    target: str = Field(min_length=1, max_length=200, description="person or rotation paged")
    after_minutes: int = Field(ge=0, description="minutes without acknowledgement before this step")
    channels: list[str] = Field(default_factory=list, description="notifier names from config")


class Escalation(EventModel):
    dedup_key: str = Field(min_length=1, max_length=255, description="incident id or mention id")
    brand_id: str = Field(min_length=1, max_length=200)
    kind: Literal["mention", "incident"]
    action: Literal["trigger", "acknowledge", "resolve"] = "trigger"
    severity: Literal["critical", "error", "warning", "info"]
    summary: str = Field(min_length=1, max_length=1024)
    team: str | None = Field(default=None, max_length=200)
    policy: str = Field(min_length=1, max_length=200)
    steps: list[EscalationStep] = Field(min_length=1, max_length=10)
    mention_id: str | None = None
    incident_id: str | None = None
