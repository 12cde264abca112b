"""Encode and decode envelopes to and from Kafka message values.

orjson parses (rejecting invalid UTF-8 and malformed JSON with a precise message), pydantic
validates against the topic's payload model. Every failure becomes a DecodeError whose class
and message end up in the DLQ headers.

`encode_extending` builds a stage's output from its input without re-encoding what passes
through unchanged (the mention, the classification): see there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import msgspec
import orjson
from pydantic import ValidationError

from mentionflow.events.envelope import Envelope, EventModel, random_event_id, utcnow
from mentionflow.events.topics import TopicSpec, topic

_ENVELOPE_BY_TOPIC: dict[str, type[Envelope[Any]]] = {}


class DecodeError(ValueError):
    """A message that can never be processed: it belongs in the DLQ, not in a retry loop."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "json" | "schema" | "version" | "type"


def envelope_model(spec: TopicSpec) -> type[Envelope[Any]]:
    model = _ENVELOPE_BY_TOPIC.get(spec.name)
    if model is None:
        model = Envelope[spec.payload_model]  # type: ignore[name-defined]
        _ENVELOPE_BY_TOPIC[spec.name] = model
    return model


def make_envelope(
    topic_name: str,
    payload: EventModel,
    *,
    brand_id: str,
    correlation_id: str,
    occurred_at: datetime | None = None,
) -> Envelope[Any]:
    spec = topic(topic_name)
    if not isinstance(payload, spec.payload_model):
        raise TypeError(f"{topic_name} carries {spec.payload_model.__name__}, got {type(payload).__name__}")
    # The validator is called directly (the hot path of every producing service); the payload,
    # already a validated instance, is not validated again, the envelope's own fields are.
    envelope: Envelope[Any] = envelope_model(spec).__pydantic_validator__.validate_python({
        "event_id": random_event_id(),
        "event_type": spec.event_type,
        "schema_version": spec.schema_version,
        "occurred_at": occurred_at or utcnow(),
        "produced_at": utcnow(),
        "brand_id": brand_id,
        "correlation_id": correlation_id,
        "payload": payload,
    })
    return envelope


def encode(envelope: Envelope[Any]) -> bytes:
    """The envelope as JSON bytes, serialised by pydantic-core in one pass (no intermediate
    dict). UTC datetimes come out as "...Z"; `decode` reads them back to equal values."""
    return type(envelope).__pydantic_serializer__.to_json(envelope)


class _PayloadSpans(msgspec.Struct):
    """A message's payload fields as the raw JSON text they were sent as: msgspec finds where
    each one starts and ends, and parses nothing inside."""

    payload: dict[str, msgspec.Raw]


_PAYLOAD_SPANS = msgspec.json.Decoder(_PayloadSpans)


def payload_documents(value: bytes) -> dict[str, msgspec.Raw]:
    """The payload's fields of a message the runner decoded, each as the JSON text it was sent
    as (a buffer: `bytes(...)` copies one out), without parsing them again."""
    return _PAYLOAD_SPANS.decode(value).payload


@cache
def _extension_plan(topic_name: str, source_topic: str) -> tuple[tuple[str, bytes, Any], ...]:
    """Per field of `topic_name`'s payload, in order: its name, its JSON key text, and the type
    the caller adds it as (None: copied from `source_topic`'s payload, which must declare the
    very same field). Checked once per pair of topics."""
    if topic(topic_name).key != "brand_id":
        raise ValueError(f"{topic_name} is keyed by {topic(topic_name).key}: only brand-keyed events are extended")
    target = topic(topic_name).payload_model.model_fields
    source = topic(source_topic).payload_model.model_fields
    plan: list[tuple[str, bytes, Any]] = []
    for name, field in target.items():
        copied = name in source and source[name].annotation == field.annotation
        plan.append((name, orjson.dumps(name) + b":", None if copied else field.annotation))
    return tuple(plan)


def encode_extending(
    topic_name: str,
    source_topic: str,
    source_value: bytes,
    added: Mapping[str, EventModel],
    *,
    brand_id: str,
    correlation_id: str,
    occurred_at: datetime,
) -> tuple[bytes, bytes]:
    """The key and value of a new event of `topic_name` made from a decoded message of
    `source_topic` (the key: the brand, as the registry says for the topic). The payload
    fields both topics declare alike are copied as the bytes the source carried, `added` are
    encoded here. The same event as `encode(make_envelope(...))` of the decoded models, for
    a fraction of the cost: a stage's output is mostly its input (a routed mention is the
    classified one plus a decision), and re-encoding what was just parsed is pure waste.

    Only for a message the runner decoded: that validated every byte copied here. What decoding
    normalised (unknown additive fields dropped, text in NFC) stays as the producer sent it,
    which is what a consumer reads the same way."""
    spans = payload_documents(source_value)
    spec = topic(topic_name)
    header = orjson.dumps({
        "event_id": random_event_id(),
        "event_type": spec.event_type,
        "schema_version": spec.schema_version,
        "occurred_at": occurred_at,
        "produced_at": utcnow(),
        "brand_id": brand_id,
        "correlation_id": correlation_id,
    }, option=orjson.OPT_UTC_Z)  # datetimes as pydantic writes them: "...Z"
    parts = [header[:-1], b',"payload":{']
    for index, (name, key, added_type) in enumerate(_extension_plan(topic_name, source_topic)):
        if added_type is None:
            value: Any = spans[name]
        else:
            model = added[name]
            if not isinstance(model, added_type):
                raise TypeError(f"{topic_name}.{name} is {added_type}, got {type(model).__name__}")
            value = model.__pydantic_serializer__.to_json(model)
        parts += (b"," if index else b"", key, value)
    parts.append(b"}}")
    return brand_id.encode(), b"".join(parts)


def decode(topic_name: str, value: bytes | None) -> Envelope[Any]:
    """Decode a message value of `topic_name`; raises DecodeError for anything unusable."""
    spec = topic(topic_name)
    if value is None:
        raise DecodeError("json", "message has no value (tombstone)")
    # Fast path: pydantic parses and validates the JSON in one pass (the hot path of every
    # consumer). Anything it refuses takes the slow path below, which says precisely why.
    try:
        envelope = envelope_model(spec).model_validate_json(value)
    except ValueError:
        return _decode_explaining(spec, value)
    if envelope.schema_version > spec.schema_version:
        newer, known = envelope.schema_version, spec.schema_version
        raise DecodeError("version", f"schema_version {newer} is newer than {known} known for {spec.name}")
    if envelope.event_type != spec.event_type:
        raise DecodeError(
            "type", f"event_type {envelope.event_type!r} does not belong on {spec.name} ({spec.event_type})"
        )
    return envelope


def _decode_explaining(spec: TopicSpec, value: bytes) -> Envelope[Any]:
    """The slow path: parse, check version and type, validate; always raises DecodeError
    naming the first problem (or returns, if the fast path's failure was spurious)."""
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise DecodeError("json", f"not valid JSON/UTF-8: {exc}") from None
    if not isinstance(raw, dict):
        raise DecodeError("schema", f"envelope must be a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if isinstance(version, int) and version > spec.schema_version:
        raise DecodeError(
            "version", f"schema_version {version} is newer than {spec.schema_version} known for {spec.name}"
        )
    if raw.get("event_type") not in (None, spec.event_type):
        raise DecodeError(
            "type", f"event_type {raw.get('event_type')!r} does not belong on {spec.name} ({spec.event_type})"
        )
    try:
        return envelope_model(spec).model_validate(raw)
    except ValidationError as exc:
        raise DecodeError("schema", _short_validation_message(exc)) from None


def _short_validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def key_for(topic_name: str, envelope: Envelope[Any]) -> bytes:
    """The partitioning key the registry names for this topic."""
    spec = topic(topic_name)
    if spec.key == "brand_id":
        return envelope.brand_id.encode()
    value = getattr(envelope.payload, spec.key)
    return str(value).encode()
