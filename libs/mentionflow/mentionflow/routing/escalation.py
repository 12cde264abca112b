"""Escalations: who to page for a crisis mention or a brand incident, under which policy. Pure.

The policy's steps are resolved to people at `now`: a rotation step pages whoever is on call
(overrides included), a person step pages that person. The dedup key is the incident id when
there is one — every mention of one spike, and the incident itself, page once — else the
mention id, so a redelivered event cannot page twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from mentionflow.brandconfig.crossref import resolve_policy_id
from mentionflow.brandconfig.models import AgencyConfig, RuleAction
from mentionflow.events.escalations import Escalation, EscalationStep
from mentionflow.events.incidents import Incident
from mentionflow.events.mentions_classified import MentionClassified
from mentionflow.events.mentions_routed import RoutingDecision
from mentionflow.routing.oncall import OnCall, on_call
from mentionflow.routing.router import DEFAULT_RULE_ID

log = logging.getLogger(__name__)

SUMMARY_MAX = 1024


def policy_steps(config: AgencyConfig, policy_id: str, now: datetime) -> list[tuple[EscalationStep, OnCall | None]]:
    """The steps of `policy_id` with each target resolved at `now` (on-call details for
    rotation steps, None for a named person)."""
    policy = config.escalation_policies[policy_id]
    out = []
    for step in policy.steps:
        shift = None
        if step.rotation is not None:
            shift = on_call(step.rotation, config.rotations[step.rotation], now)
            target = shift.person
        else:
            assert step.person is not None  # a step has exactly one target (validated)
            target = step.person
        out.append((EscalationStep(target=target, after_minutes=step.after_minutes,
                                   channels=list(step.channels)), shift))
    return out


def _rule_action(config: AgencyConfig, brand_id: str, rule_id: str) -> RuleAction | None:
    brand = config.brands.get(brand_id)
    if brand is None:
        return None
    if rule_id == DEFAULT_RULE_ID:
        found = config.default_rule(brand_id)
        return found[0] if found else None
    return next((rule for rule in brand.rules if rule.id == rule_id), None)


def mention_dedup_key(event: MentionClassified) -> str:
    """The dedup key of a mention's page: its incident's id inside a spike (one page for the
    whole spike), else its own id."""
    return event.classification.incident_id or event.mention.id


def escalation_for_mention(
    event: MentionClassified,
    decision: RoutingDecision,
    config: AgencyConfig,
    *,
    now: datetime,
) -> Escalation | None:
    """The page for a mention whose decision says `escalate`, or None (no escalation asked,
    unknown brand, or no policy applies — the config check refuses the latter)."""
    if not decision.escalate:
        return None
    mention, classification = event.mention, event.classification
    brand = config.brands.get(mention.brand_id) if mention.brand_known else None
    if brand is None:
        return None
    action = _rule_action(config, mention.brand_id, decision.rule_id)
    policy_id = (
        resolve_policy_id(config, mention.brand_id, action)
        if action is not None
        else brand.escalation_policy or config.escalation_policy
    )
    if policy_id is None or policy_id not in config.escalation_policies:
        log.warning("mention %s of brand %s asks to escalate but no escalation policy applies",
                    mention.id, mention.brand_id)
        return None
    steps = policy_steps(config, policy_id, now)
    author = mention.author
    summary = (
        f"{brand.name}: {classification.category} ({classification.sentiment}, severity "
        f"{classification.severity:.2f}) from @{author.handle} ({author.followers} followers) "
        f"→ {decision.queue} {decision.priority}; on call: {_on_call_text(steps)}. "
        f"\"{mention.text}\""
    )
    return Escalation(
        dedup_key=mention_dedup_key(event),
        brand_id=mention.brand_id,
        kind="mention",
        action="trigger",
        severity=_mention_severity(decision, classification.category, classification.severity),
        summary=_clip(summary),
        team=decision.team,
        policy=policy_id,
        steps=[step for step, _ in steps],
        mention_id=mention.id,
        incident_id=classification.incident_id,
    )


def escalation_for_incident(incident: Incident, config: AgencyConfig, *, now: datetime) -> Escalation | None:
    """Page (opened/updated) or resolve (closed) a brand incident under the brand's incident
    policy (else its escalation policy, else the agency's). Incidents of brands missing from
    the config use the agency policy; None when no policy applies."""
    brand = config.brands.get(incident.brand_id)
    if brand is not None:
        policy_id = brand.incident_policy or brand.escalation_policy or config.escalation_policy
        name = brand.name
    else:
        policy_id, name = config.escalation_policy, incident.brand_id
    if policy_id is None or policy_id not in config.escalation_policies:
        log.warning("incident %s of brand %s: no escalation policy applies", incident.incident_id, incident.brand_id)
        return None
    steps = policy_steps(config, policy_id, now)
    summary = incident.summary or (
        f"{name}: negative spike, {incident.rate_per_minute:.1f}/min against a baseline of "
        f"{incident.baseline_per_minute:.1f}/min ({incident.negative_count} negative, "
        f"{incident.crisis_count} crisis)"
    )
    if incident.status != "closed":
        summary = f"{summary}; on call: {_on_call_text(steps)}"
    return Escalation(
        dedup_key=incident.incident_id,
        brand_id=incident.brand_id,
        kind="incident",
        action="resolve" if incident.status == "closed" else "trigger",
        severity="critical" if incident.crisis_count > 0 else "error",
        summary=_clip(summary),
        team=None,
        policy=policy_id,
        steps=[step for step, _ in steps],
        mention_id=None,
        incident_id=incident.incident_id,
    )


def _mention_severity(
    decision: RoutingDecision, category: str, severity: float
) -> Literal["critical", "error", "warning"]:
    if decision.priority == "P1" or (category == "crisis" and severity >= 0.8):
        return "critical"
    if decision.priority == "P2":
        return "error"
    return "warning"


def _on_call_text(steps: list[tuple[EscalationStep, OnCall | None]]) -> str:
    parts = []
    for step, shift in steps:
        via = f" via {shift.rotation}" + (" (override)" if shift.source == "override" else "") if shift else ""
        parts.append(f"{step.target}{via} at +{step.after_minutes}m")
    return ", ".join(parts)


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"
