"""Event contracts: the envelope, one payload module per topic, the topic registry, the codec."""

from mentionflow.events.codec import (
    DecodeError,
    decode,
    encode,
    encode_extending,
    key_for,
    make_envelope,
    payload_documents,
)
from mentionflow.events.envelope import Envelope, EventModel
from mentionflow.events.topics import TOPICS, TopicSpec, all_topic_names, topic

__all__ = [
    "TOPICS",
    "DecodeError",
    "Envelope",
    "EventModel",
    "TopicSpec",
    "all_topic_names",
    "decode",
    "encode",
    "encode_extending",
    "key_for",
    "make_envelope",
    "payload_documents",
    "topic",
]
