"""What the Quix Streams peer apps do to each record: the same library functions our services call.

No quixstreams import here, so this module loads in the workspace's environment too (the tests
check it against the services' own output there); the apps (quix_*.py) only wire it up.

- classify: `mentionflow.classify.classify_mention` with the brand profiles of the brand config;
- routing: `mentionflow.routing.route` with the brand config, `now` = the mention's received_at
  (as the routing service does, so a decision is reproducible);
- publish: publish's own `upsert_items` (mentionflow_publish.queue_store: the very SQL and row
  building of our service, imported, not copied) in one transaction per batch.

Kept minimal on purpose, as a team would write them first with the library: records are plain
JSON dicts, only the payload is parsed; no spike detection, no escalations or notifications, no
envelope validation, no metrics. So each peer app does less work per message than our service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.classify import BrandProfile, classify_mention
from mentionflow.events.mentions_classified import MentionClassified
from mentionflow.events.mentions_raw import Mention
from mentionflow.events.mentions_routed import MentionRouted
from mentionflow.events.topics import topic
from mentionflow.routing import route
from mentionflow_publish.queue_store import upsert_items

Record = dict[str, Any]
CLASSIFIED = topic("mentions.classified")
ROUTED = topic("mentions.routed")


def brand_profiles(config: AgencyConfig) -> dict[str, BrandProfile]:
    """The brand lexicons the classify service passes to the classifier (same config)."""
    return {
        brand_id: BrandProfile(brand_id=brand_id, crisis_phrases=tuple(brand.crisis_phrases),
                               vip_handles=frozenset(brand.vip_handles), product_names=tuple(brand.products),
                               languages=tuple(brand.languages))
        for brand_id, brand in config.brands.items()
    }


def classifier(config: AgencyConfig) -> Callable[[Record], Record]:
    """mentions.raw envelope → mentions.classified envelope (`{mention, classification}`)."""
    profiles = brand_profiles(config)

    def classified(value: Record) -> Record:
        raw = value["payload"]["mention"]
        mention = Mention.model_validate(raw)
        classification = classify_mention(mention, profiles.get(mention.brand_id))
        return {**value, "event_type": CLASSIFIED.event_type, "schema_version": CLASSIFIED.schema_version,
                "payload": {"mention": raw, "classification": classification.model_dump(mode="json")}}

    return classified


def router(config: AgencyConfig) -> Callable[[Record], Record]:
    """mentions.classified envelope → mentions.routed envelope (`{mention, classification, decision}`)."""

    def routed(value: Record) -> Record:
        payload = value["payload"]
        event = MentionClassified.model_validate(payload)
        decision = route(event, config, now=event.mention.received_at)
        return {**value, "event_type": ROUTED.event_type, "schema_version": ROUTED.schema_version,
                "payload": {**payload, "decision": decision.model_dump(mode="json")}}

    return routed


async def write_queue_items(conn: asyncpg.Connection, values: Sequence[Record]) -> int:
    """mentions.routed envelopes → queue rows, with publish's upsert in one transaction (idempotent:
    a redelivered batch changes nothing). Returns the rows created or updated."""
    batch = [MentionRouted.model_validate(value["payload"]) for value in values]
    async with conn.transaction():
        return len(await upsert_items(conn, batch))


def load_brand_config(path: str) -> AgencyConfig:
    return load_config(path)
