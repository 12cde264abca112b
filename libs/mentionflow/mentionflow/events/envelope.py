"""The one envelope every topic carries.

Payload models live one module per topic; the envelope is generic over them so a decoded
event is fully typed. Models ignore unknown fields on purpose: changes inside a schema
version are additive, so an older consumer must accept a newer producer's extra fields.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventModel(BaseModel):
    """Base of every payload model: immutable, tolerant of additive fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")


PayloadT = TypeVar("PayloadT", bound=EventModel)


class Envelope(EventModel, Generic[PayloadT]):
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    schema_version: int = Field(ge=1)
    occurred_at: datetime
    produced_at: datetime = Field(default_factory=utcnow)
    brand_id: str = Field(min_length=1, max_length=200)
    # The mention's id, carried unchanged through the whole chain (raw → routed → queue row).
    correlation_id: str = Field(min_length=1, max_length=200)
    payload: PayloadT
