"""mentions.raw: one normalised mention of one brand, from any source."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from mentionflow.events.envelope import EventModel
from mentionflow.events.urls import HttpsUrl

EVENT_TYPE = "mention.received"
SCHEMA_VERSION = 1

# X allows 280 characters (25,000 for premium long posts); anything far beyond is not a post.
MAX_TEXT_CHARS = 25_000
UNKNOWN_BRAND = "unknown"

# A fixed namespace makes mention ids deterministic: the same (platform, external id, brand)
# always gets the same id, whichever source saw it first.
MENTION_NAMESPACE = uuid.UUID("6f1c6f0e-3a4b-4d8e-9a51-0d3c2f6a9b17")

Source = Literal["x_polling", "x_webhook", "http", "replay", "generator"]


def mention_id(platform: str, external_id: str, brand_id: str) -> str:
    """Deterministic id of a mention of one brand (used as correlation id and dedup key)."""
    return str(uuid.uuid5(MENTION_NAMESPACE, f"{platform}:{external_id}:{brand_id}"))


class Author(EventModel):
    id: str = Field(min_length=1, max_length=64)
    handle: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    followers: int = Field(default=0, ge=0)
    verified: bool = False


class Mention(EventModel):
    id: str = Field(min_length=1, max_length=64, description="mention_id(platform, external_id, brand_id)")
    platform: Literal["x"] = "x"
    external_id: str = Field(min_length=1, max_length=64)
    brand_id: str = Field(min_length=1, max_length=200)
    brand_known: bool = Field(
        default=True, description="False when no brand owns the mentioned handle: routed to 'unrouted'"
    )
    account_handle: str = Field(min_length=1, max_length=64, description="the brand account mentioned")
    author: Author
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    lang: str | None = Field(default=None, max_length=16)
    created_at: datetime
    conversation_id: str | None = Field(default=None, max_length=64)
    in_reply_to: str | None = Field(default=None, max_length=64)
    quoted_id: str | None = Field(default=None, max_length=64, description="the tweet this mention quotes")
    url: HttpsUrl | None = Field(default=None, max_length=2048, description="https only: shown to people as a link")
    received_at: datetime
    source: Source

    @field_validator("text")
    @classmethod
    def _text_is_clean(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text contains a NUL character")
        return unicodedata.normalize("NFC", value)


class MentionReceived(EventModel):
    mention: Mention
