"""Normalisation shared by every way a mention enters mentionflow (ingest service, replay CLI).

    post = ObservedPost(...)                       # what a source saw, platform-neutral
    mentions = to_mentions(post, resolver)         # one Mention per client brand addressed
    key, value = encode_mention_event(mention)     # the mentions.raw record, ready for Kafka

The ingest service adds the dedup claim in PostgreSQL around `to_mentions` and the produce;
the replay CLI relies on the deterministic ids computed here (see `encoding`).
"""

from mentionflow.ingestion.encoding import MENTIONS_RAW, dedup_key, encode_mention_event, event_id_for
from mentionflow.ingestion.observed import ObservedPost, to_mentions
from mentionflow.ingestion.resolve import BrandResolver, ResolvedBrand
from mentionflow.ingestion.text import (
    TextRejected,
    clean_text,
    handles_in_text,
    parse_post_time,
)

__all__ = [
    "MENTIONS_RAW",
    "BrandResolver",
    "ObservedPost",
    "ResolvedBrand",
    "TextRejected",
    "clean_text",
    "dedup_key",
    "encode_mention_event",
    "event_id_for",
    "handles_in_text",
    "parse_post_time",
    "to_mentions",
]
