"""mentions.routed: the routing decision for one classified mention."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel
from mentionflow.events.mentions_classified import Classification
from mentionflow.events.mentions_raw import Mention

EVENT_TYPE = "mention.routed"
SCHEMA_VERSION = 1

UNROUTED_QUEUE = "unrouted"
Priority = Literal["P1", "P2", "P3", "P4"]


class RoutingDecision(EventModel):
    queue: str = Field(min_length=1, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    priority: Priority
    sla_due_at: datetime
    tags: list[str] = Field(default_factory=list, max_length=50)
    rule_id: str = Field(min_length=1, max_length=200)
    explanation: list[str] = Field(default_factory=list, max_length=100)
    escalate: bool = False
    config_version: str = Field(default="", max_length=100)
    decided_at: datetime


class MentionRouted(EventModel):
    mention: Mention
    classification: Classification
    decision: RoutingDecision
