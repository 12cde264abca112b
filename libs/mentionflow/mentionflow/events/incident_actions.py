"""incidents.actions: a lead acknowledged or resolved an incident in the console.

publish owns incidents and escalations: it applies the action to the incident and to every
escalation of it (stops the paging, tells the pager) in one transaction. Idempotent by
action_id; an acknowledgement after a resolution changes nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "incident.action.requested"
SCHEMA_VERSION = 1


class IncidentAction(EventModel):
    action_id: str = Field(min_length=1, max_length=64, description="idempotency key of the request")
    incident_id: str = Field(min_length=1, max_length=255)
    brand_id: str = Field(min_length=1, max_length=200)
    action: Literal["acknowledge", "resolve"]
    requested_by: str = Field(min_length=1, max_length=200)
