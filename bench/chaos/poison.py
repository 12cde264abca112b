"""A corpus of malformed events for every consumed topic, built from the topic's own example.

Each entry starts from a valid example envelope (mentionflow/events/examples) and breaks it
one way: truncated JSON, wrong types, huge strings, invalid UTF-8, NUL bytes, an unknown
(newer) schema version, a tombstone, an envelope of another topic. Every entry must be
refused by `decode` with a DecodeError; the runner sends it to `<topic>.dlq` with the reason.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

CONSUMED_TOPICS = ("mentions.raw", "mentions.classified", "incidents", "mentions.routed", "escalations",
                   "incidents.actions", "replies.requested", "accounts.snapshots", "posts.requested", "posts.metrics")
# Large enough to blow every max_length, small enough for Kafka's default 1 MB message limit.
HUGE = 300_000


@dataclass(frozen=True)
class Poison:
    name: str
    topic: str
    value: bytes | None
    expected_kind: str  # DecodeError.kind the runner should name in dlq.error.class


def example(topic: str) -> dict[str, Any]:
    path = resources.files("mentionflow.events") / "examples" / f"{topic}.json"
    return json.loads(path.read_text())[0]


def _dumps(document: Any) -> bytes:
    return json.dumps(document).encode()


# A required string field of each payload that has a max_length.
_BOUNDED_FIELD = {
    "mentions.raw": ["mention", "text"],
    "mentions.classified": ["mention", "text"],
    "mentions.routed": ["mention", "text"],
    "incidents": ["incident_id"],
    "escalations": ["dedup_key"],
    "incidents.actions": ["incident_id"],
    "replies.requested": ["text"],
    "accounts.snapshots": ["handle"],
    "posts.requested": ["post_id"],
    "posts.metrics": ["tweet_id"],
}


def _set(document: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def corpus(topic: str) -> list[Poison]:
    """The malformed messages for one topic (about ten), each with the refusal expected."""
    good = example(topic)
    raw = _dumps(good)
    text_path = ["payload", *_BOUNDED_FIELD[topic]]
    other_topic = "replies.requested" if topic != "replies.requested" else "mentions.raw"
    entries = [
        Poison("truncated-json", topic, raw[: len(raw) // 2], "json"),
        Poison("empty-value", topic, b"", "json"),
        Poison("tombstone", topic, None, "json"),
        Poison("json-array", topic, b"[" + raw + b"]", "schema"),
        Poison("wrong-types", topic, _dumps({**good, "brand_id": 42, "occurred_at": "yesterday",
                                             "payload": ["not", "an", "object"]}), "schema"),
        Poison("wrong-payload-field-type", topic, _dumps(_set(good, text_path, {"nested": True})), "schema"),
        Poison("huge-string", topic, _dumps(_set(good, text_path, "x" * HUGE)), "schema"),
        Poison("huge-brand", topic, _dumps({**good, "brand_id": "b" * HUGE}), "schema"),
        Poison("invalid-utf8", topic, raw.replace(b'"brand_id": "', b'"brand_id": "\xff\xfe\xc3(', 1), "json"),
        Poison("nul-byte-outside-strings", topic, raw[:1] + b"\x00" + raw[1:], "json"),
        Poison("unknown-schema-version", topic, _dumps({**good, "schema_version": 999}), "version"),
        Poison("missing-payload", topic, _dumps({k: v for k, v in good.items() if k != "payload"}), "schema"),
        Poison("other-topic-event", topic, _dumps(example(other_topic)), "type"),
    ]
    if topic in ("mentions.raw", "mentions.classified", "mentions.routed"):
        # A NUL inside the text is valid JSON; the Mention model refuses it (PostgreSQL would too).
        entries.append(Poison("nul-in-text", topic,
                              _dumps(_set(good, ["payload", "mention", "text"], "bad\u0000text")), "schema"))
    return entries


def full_corpus() -> list[Poison]:
    return [entry for topic in CONSUMED_TOPICS for entry in corpus(topic)]
