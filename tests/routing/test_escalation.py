"""Escalations: who is paged for a crisis mention or an incident, with which dedup key."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from mentionflow.events.incidents import Incident
from mentionflow.routing import escalation_for_incident, escalation_for_mention, route

from tests.routing.builders import classified, config_from, demo_config, small_config, small_dict

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2025, 1, 14, 10, 0, tzinfo=PARIS)  # second week of the rotation: bob


def test_crisis_mention_pages_the_on_call_person_then_the_next_step() -> None:
    config = small_config()
    event = classified(category="crisis", severity=0.9, handle="angry", followers=12)
    decision = route(event, config, now=NOW)
    page = escalation_for_mention(event, decision, config, now=NOW)
    assert page is not None
    assert (page.kind, page.action, page.policy, page.severity) == ("mention", "trigger", "crisis", "critical")
    assert [(s.target, s.after_minutes, s.channels) for s in page.steps] == [("bob", 0, ["pd"]), ("dee", 15, ["pd"])]
    assert page.dedup_key == event.mention.id and page.mention_id == event.mention.id
    assert page.team == "care" and page.brand_id == "acme"
    assert "bob via primary at +0m" in page.summary


def test_mentions_inside_an_incident_share_the_incident_dedup_key() -> None:
    config = small_config()
    keys = set()
    for n in range(3):
        event = classified(category="crisis", external_id=str(n), incident_id="inc-7")
        page = escalation_for_mention(event, route(event, config, now=NOW), config, now=NOW)
        assert page is not None
        keys.add(page.dedup_key)
    assert keys == {"inc-7"}


def test_no_page_without_escalate_or_for_unknown_brands() -> None:
    config = small_config()
    calm = classified(category="complaint")
    assert escalation_for_mention(calm, route(calm, config, now=NOW), config, now=NOW) is None
    lost = classified(category="crisis", brand_known=False)
    assert escalation_for_mention(lost, route(lost, config, now=NOW), config, now=NOW) is None


def test_rule_policy_overrides_the_brand_policy() -> None:
    data = small_dict(rules=[{"id": "crisis", "when": {"category": "crisis"}, "queue": "acme-urgent",
                              "priority": "P1", "escalate": True, "escalation_policy": "dee-only"}])
    data["escalation_policies"]["dee-only"] = {"steps": [{"person": "dee", "after_minutes": 0, "channels": ["pd"]}]}
    config = config_from(data)
    event = classified(category="crisis")
    page = escalation_for_mention(event, route(event, config, now=NOW), config, now=NOW)
    assert page is not None and page.policy == "dee-only" and [s.target for s in page.steps] == ["dee"]


def _incident(status: str, brand: str = "hexafone", crisis: int = 2) -> Incident:
    at = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)
    return Incident(incident_id="inc-42", brand_id=brand, status=status, opened_at=at, window_start=at,
                    window_end=at, negative_count=40, crisis_count=crisis, baseline_per_minute=1.0,
                    rate_per_minute=12.5)


def test_incident_opened_triggers_and_closed_resolves_with_the_same_key() -> None:
    config = demo_config()
    now = datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)
    opened = escalation_for_incident(_incident("opened"), config, now=now)
    closed = escalation_for_incident(_incident("closed"), config, now=now)
    assert opened is not None and closed is not None
    assert (opened.action, closed.action) == ("trigger", "resolve")
    assert opened.dedup_key == closed.dedup_key == "inc-42"
    assert opened.policy == "crisis-fr" and opened.severity == "critical"
    assert opened.steps[0].target == "camille"
    assert "12.5/min" in opened.summary


def test_incident_of_a_brand_missing_from_config_uses_the_agency_policy() -> None:
    page = escalation_for_incident(_incident("opened", brand="ghost", crisis=0), demo_config(),
                                   now=datetime(2025, 3, 11, 10, 0, tzinfo=PARIS))
    assert page is not None and page.policy == "agency-fallback" and page.severity == "error"
