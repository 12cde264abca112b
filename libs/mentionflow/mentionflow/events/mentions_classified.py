"""mentions.classified: a mention plus what the classifier decided about it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mentionflow.events.envelope import EventModel
from mentionflow.events.mentions_raw import Mention

EVENT_TYPE = "mention.classified"
SCHEMA_VERSION = 1

Category = Literal["question", "complaint", "crisis", "praise", "other"]
Sentiment = Literal["negative", "neutral", "positive"]


class Classification(EventModel):
    category: Category
    sentiment: Sentiment
    sentiment_score: float = Field(ge=-1.0, le=1.0)
    is_question: bool
    severity: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    language: str = Field(min_length=1, max_length=16)
    reasons: list[str] = Field(default_factory=list, max_length=100)
    model_version: str = Field(min_length=1, max_length=64)
    incident_id: str | None = Field(default=None, description="set when inside a brand spike")


class MentionClassified(EventModel):
    mention: Mention
    classification: Classification
