"""mentions.classified → mentions.routed (+ escalations); incidents → escalations.

A pure decision per event: the clock the router sees is the mention's received_at (the SLA
starts when we received it) or the incident's window end, never the wall clock, so a
redelivered or replayed event gets the very same decision.

Pages: inside a spike every escalating mention shares its incident's dedup key, and publish
keeps the first trigger of a key and drops the rest. So a batch sends one trigger per key,
the first, and builds no other: in a spike that was four mentions in ten, each adding an
event to produce, consume and look up in PostgreSQL for nothing. The first trigger of every
key is sent as before (across batches too), so the pages are the same.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from mentionflow.brandconfig import AgencyConfig
from mentionflow.events import make_envelope
from mentionflow.kafka.runner import BatchResult, IncomingMessage, Output
from mentionflow.metrics import catalog as m
from mentionflow.routing import escalation_for_incident, escalation_for_mention, mention_dedup_key, route

log = logging.getLogger(__name__)


class RoutingHandler:
    def __init__(self, config: AgencyConfig) -> None:
        self.config = config

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        result = BatchResult()
        # Metric increments are summed per batch: one labelled look-up per (brand, queue, priority).
        decisions: Counter[tuple[str, str, str]] = Counter()
        paged: set[str] = set()  # dedup keys of the mention triggers this batch sent
        for message in messages:
            if message.envelope.event_type == "incident.changed":
                self._incident(message.envelope, result)
            else:
                self._mention(message, result, decisions, paged)
        for labels, count in decisions.items():
            m.ROUTING_DECISIONS.labels(*labels).inc(count)
        return result

    def _mention(self, message: IncomingMessage, result: BatchResult, decisions: Counter[tuple[str, str, str]],
                 paged: set[str]) -> None:
        envelope = message.envelope
        event = envelope.payload
        mention = event.mention
        decision = route(event, self.config, now=mention.received_at)
        decisions[mention.brand_id, decision.queue, decision.priority] += 1
        # The routed mention is the classified one plus the decision: only the decision is encoded.
        result.outputs.append(Output.extending(
            "mentions.routed", "mentions.classified", message, {"decision": decision},
            brand_id=mention.brand_id, correlation_id=envelope.correlation_id, occurred_at=envelope.occurred_at,
        ))
        if not decision.escalate or mention_dedup_key(event) in paged:
            return
        page = escalation_for_mention(event, decision, self.config, now=mention.received_at)
        if page is not None:
            paged.add(page.dedup_key)
            self._escalate(page, envelope.correlation_id, result)

    def _incident(self, envelope, result: BatchResult) -> None:  # noqa: ANN001
        incident = envelope.payload
        page = escalation_for_incident(incident, self.config, now=incident.window_end)
        if page is not None:
            self._escalate(page, incident.incident_id, result)

    def _escalate(self, page, correlation_id: str, result: BatchResult) -> None:  # noqa: ANN001
        m.ROUTING_ESCALATIONS.labels(page.brand_id, page.kind, page.action).inc()
        result.outputs.append(Output("escalations", make_envelope(
            "escalations", page, brand_id=page.brand_id, correlation_id=correlation_id,
        )))
