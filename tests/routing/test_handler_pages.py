"""The routing service's handler: one page trigger per dedup key and batch, every mention routed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mentionflow.events import decode, encode, make_envelope
from mentionflow.kafka.runner import IncomingMessage
from mentionflow_routing.handler import RoutingHandler

from tests.routing.builders import classified, small_config

NOW = datetime(2025, 1, 14, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def _messages(events: list) -> list[IncomingMessage]:  # noqa: ANN001
    envelopes = [make_envelope("mentions.classified", event, brand_id=event.mention.brand_id,
                               correlation_id=event.mention.id) for event in events]
    return [IncomingMessage("mentions.classified", 0, offset, None, encode(envelope), (), 0, envelope)
            for offset, envelope in enumerate(envelopes)]


async def _outputs(events: list) -> tuple[list, list]:  # noqa: ANN001
    result = await RoutingHandler(small_config()).handle(_messages(events))
    routed = [decode(o.topic, o.value).payload for o in result.outputs if o.topic == "mentions.routed"]
    pages = [o.envelope.payload for o in result.outputs if o.topic == "escalations"]
    return routed, pages


async def test_a_spike_sends_the_first_trigger_of_its_incident_once_per_batch() -> None:
    events = [classified(category="crisis", external_id=str(n), incident_id="inc-7") for n in range(5)]
    events += [classified(category="crisis", external_id=str(n), incident_id="inc-8") for n in range(5, 8)]
    routed, pages = await _outputs(events)
    assert [r.mention.id for r in routed] == [e.mention.id for e in events]  # every mention routed
    assert [(p.dedup_key, p.mention_id) for p in pages] == [("inc-7", events[0].mention.id),
                                                            ("inc-8", events[5].mention.id)]


async def test_mentions_outside_a_spike_each_page_under_their_own_key() -> None:
    events = [classified(category="crisis", external_id=str(n)) for n in range(3)]
    events.append(classified(category="complaint", external_id="9"))  # no escalation asked
    routed, pages = await _outputs(events)
    assert len(routed) == 4
    assert [p.dedup_key for p in pages] == [e.mention.id for e in events[:3]]
