"""Routing: pure decisions from the brand config (no I/O).

    decision = route(event, config, now=now)                       # -> RoutingDecision
    page = escalation_for_mention(event, decision, config, now=now) # -> Escalation | None
    key = mention_dedup_key(event)                                 # -> the page's dedup key
    page = escalation_for_incident(incident, config, now=now)       # -> Escalation | None

The operator's checks of a config (`mentionflow rules test|diff`) are in
`mentionflow_tools.rules`.
"""

from mentionflow.routing.escalation import (
    escalation_for_incident,
    escalation_for_mention,
    mention_dedup_key,
    policy_steps,
)
from mentionflow.routing.oncall import OnCall, on_call
from mentionflow.routing.router import DEFAULT_RULE_ID, UNROUTED_RULE_ID, route, rule_book

__all__ = [
    "DEFAULT_RULE_ID",
    "UNROUTED_RULE_ID",
    "OnCall",
    "escalation_for_incident",
    "escalation_for_mention",
    "mention_dedup_key",
    "on_call",
    "policy_steps",
    "route",
    "rule_book",
]
