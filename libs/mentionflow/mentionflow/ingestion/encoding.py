"""The mentions.raw record of a Mention: key, value and the ids that make it idempotent.

Ids are deterministic, so the same mention always becomes the same event whichever source or
run produced it: mention id = uuid5(platform, external id, brand) (events.mentions_raw) and
event id = uuid5(mention id). That is what lets the replay CLI skip the ingest service's
PostgreSQL dedup table: a replayed mention the service already produced is the very same
event (same event id, same correlation id), and every sink downstream is idempotent on it.

Encoding is on the replay hot path (≥ 20,000 mentions/s): the mention (already validated) is
serialised by pydantic-core and the envelope's few scalar fields by orjson around it, which is
the envelope's JSON without building two more model instances per record. A test decodes the
result with the registry codec and compares it with `make_envelope`.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import orjson

from mentionflow.events.envelope import utcnow
from mentionflow.events.mentions_raw import MENTION_NAMESPACE, Mention
from mentionflow.events.topics import topic

MENTIONS_RAW = "mentions.raw"
_SPEC = topic(MENTIONS_RAW)
_MENTION_TO_JSON = Mention.__pydantic_serializer__.to_json
EVENT_NAMESPACE = uuid.UUID("0d7d3b7e-5c1f-4a8e-b7a2-6f3e1c9a4d20")
_EVENT_NAMESPACE_BYTES = EVENT_NAMESPACE.bytes
_MENTION_NAMESPACE_BYTES = MENTION_NAMESPACE.bytes


def uuid5_text(namespace: bytes, name: str) -> str:
    """str(uuid.uuid5(UUID(bytes=namespace), name)) without building UUID objects (hot path)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def fast_mention_id(platform: str, external_id: str, brand_id: str) -> str:
    """Equal to events.mentions_raw.mention_id(platform, external_id, brand_id)."""
    return uuid5_text(_MENTION_NAMESPACE_BYTES, f"{platform}:{external_id}:{brand_id}")


def dedup_key(mention: Mention) -> tuple[str, str, str]:
    """What is never produced twice: (platform, external id, brand)."""
    return (mention.platform, mention.external_id, mention.brand_id)


def event_id_for(mention: Mention) -> str:
    return uuid5_text(_EVENT_NAMESPACE_BYTES, mention.id)


def encode_mention_event(mention: Mention, *, produced_at: datetime | None = None) -> tuple[bytes, bytes]:
    """(key, value) of the mentions.raw record: key = brand id (the registry's key), value =
    the envelope JSON (occurred_at = when the mention was posted)."""
    head = orjson.dumps({
        "event_id": event_id_for(mention),
        "event_type": _SPEC.event_type,
        "schema_version": _SPEC.schema_version,
        "occurred_at": mention.created_at,
        "produced_at": produced_at or utcnow(),
        "brand_id": mention.brand_id,
        "correlation_id": mention.id,
    })
    return mention.brand_id.encode(), b"".join((head[:-1], b',"payload":{"mention":', _MENTION_TO_JSON(mention), b"}}"))
