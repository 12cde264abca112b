"""replies.requested: a community manager asked to reply to a mention on X."""

from __future__ import annotations

from pydantic import Field

from mentionflow.events.envelope import EventModel

EVENT_TYPE = "reply.requested"
SCHEMA_VERSION = 1

MAX_REPLY_CHARS = 280


class ReplyRequested(EventModel):
    reply_id: str = Field(min_length=1, max_length=64, description="idempotency key of the post")
    brand_id: str = Field(min_length=1, max_length=200)
    account_handle: str = Field(min_length=1, max_length=64)
    in_reply_to_external_id: str = Field(min_length=1, max_length=64)
    mention_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)
    requested_by: str = Field(min_length=1, max_length=200)
