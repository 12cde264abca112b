"""The peer: our classify stage as a minimal Quix Streams app, with the same classifier function.

    bench/peer/.venv/bin/python bench/peer/quix_classify.py --broker HOST:PORT \
        --input PREFIX.mentions.raw --output PREFIX.peer.mentions.classified --group G --count N \
        --brand-config deploy/config/demo

Reads mentions.raw envelopes (JSON), builds the Mention, calls
`mentionflow.classify.classify_mention` (the function the classify service calls, with the
same brand profiles from the brand config) and writes
the envelope with `{"mention", "classification"}` as payload, keyed like its input (brand id).
It stops after N outputs. Kept minimal on purpose: no spike detection, no envelope model
validation, no metrics: what a team would write first with the library, and less work per
message than our service does.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from mentionflow.brandconfig import load_config
from mentionflow.classify import BrandProfile, classify_mention
from mentionflow.events.mentions_raw import Mention
from quixstreams import Application


def brand_profiles(config_path: str) -> dict[str, BrandProfile]:
    """The brand lexicons the classify service passes to the classifier (same config)."""
    return {
        brand_id: BrandProfile(brand_id=brand_id, crisis_phrases=tuple(brand.crisis_phrases),
                               vip_handles=frozenset(brand.vip_handles), product_names=tuple(brand.products),
                               languages=tuple(brand.languages))
        for brand_id, brand in load_config(config_path).brands.items()
    }


def classifier(profiles: dict[str, BrandProfile]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def classified(value: dict[str, Any]) -> dict[str, Any]:
        raw = value["payload"]["mention"]
        mention = Mention.model_validate(raw)
        classification = classify_mention(mention, profiles.get(mention.brand_id))
        return {**value, "event_type": "mention.classified",
                "payload": {"mention": raw, "classification": classification.model_dump(mode="json")}}

    return classified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--brand-config", required=True)
    parser.add_argument("--idle-timeout", type=float, default=60.0, help="stop when nothing arrives for this long")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    app = Application(broker_address=args.broker, consumer_group=args.group, auto_offset_reset="earliest",
                      loglevel="WARNING", use_changelog_topics=False, auto_create_topics=False)
    source = app.topic(args.input, value_deserializer="json", key_deserializer="bytes")
    sink = app.topic(args.output, value_serializer="json", key_serializer="bytes")
    app.dataframe(source).apply(classifier(brand_profiles(args.brand_config))).to_topic(sink)
    app.run(count=args.count, timeout=args.idle_timeout, collect=False)


if __name__ == "__main__":
    main()
