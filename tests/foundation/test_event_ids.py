"""Event ids: random RFC 4122 version 4 UUIDs, fresh for every envelope."""

from __future__ import annotations

import uuid

from mentionflow.events import decode, encode, make_envelope
from mentionflow.events.envelope import random_event_id
from mentionflow.events.mentions_raw import MentionReceived

from tests.helpers import mention_event


def test_random_event_ids_are_version_4_and_distinct() -> None:
    ids = [uuid.UUID(random_event_id()) for _ in range(5000)]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in ids)
    assert len(set(ids)) == len(ids)


def test_make_envelope_gives_each_event_its_own_v4_id_and_round_trips() -> None:
    mention = mention_event(1).payload.mention
    envelopes = [make_envelope("mentions.raw", MentionReceived(mention=mention), brand_id="acme",
                               correlation_id=mention.id) for _ in range(3)]
    assert len({e.event_id for e in envelopes}) == 3
    for envelope in envelopes:
        assert isinstance(envelope.event_id, uuid.UUID) and envelope.event_id.version == 4
        assert decode("mentions.raw", encode(envelope)) == envelope
