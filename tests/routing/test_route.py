"""route(): rule order, conditions, defaults, unknown brands, SLA, explanations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from mentionflow.events.mentions_routed import UNROUTED_QUEUE
from mentionflow.routing import route

from tests.routing.builders import classified, config_from, demo_config, small_config, small_dict

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY_10 = datetime(2025, 3, 11, 10, 0, tzinfo=PARIS)


def test_first_matching_rule_wins_and_order_matters() -> None:
    rules = [
        {"id": "negative", "when": {"sentiment": "negative"}, "queue": "acme-urgent", "priority": "P2"},
        {"id": "complaint", "when": {"category": "complaint"}, "queue": "acme-care", "priority": "P3"},
    ]
    event = classified(category="complaint", sentiment="negative")
    first = route(event, small_config(rules=rules), now=TUESDAY_10)
    assert (first.rule_id, first.queue, first.priority) == ("negative", "acme-urgent", "P2")
    flipped = route(event, small_config(rules=list(reversed(rules))), now=TUESDAY_10)
    assert (flipped.rule_id, flipped.queue, flipped.priority) == ("complaint", "acme-care", "P3")
    assert flipped.explanation[0] == "rule complaint (rules[0]) of brand acme matched"
    assert first.explanation[0] == "rule negative (rules[0]) of brand acme matched"


def test_all_conditions_must_hold() -> None:
    rules = [{"id": "big-neg", "when": {"sentiment": "negative", "followers_min": 1000}, "queue": "acme-urgent",
              "priority": "P2"}]
    config = small_config(rules=rules)
    assert route(classified(sentiment="negative", followers=999), config, now=TUESDAY_10).rule_id == "default"
    hit = route(classified(sentiment="negative", followers=1000), config, now=TUESDAY_10)
    assert hit.rule_id == "big-neg"
    assert "holds: sentiment negative in [negative]" in hit.explanation
    assert "holds: author followers 1000 >= 1000" in hit.explanation


def test_explicit_default_rule() -> None:
    decision = route(classified(category="praise"), small_config(), now=TUESDAY_10)
    assert (decision.queue, decision.priority, decision.rule_id) == ("acme-low", "P4", "default")
    assert decision.explanation[0] == "no rule matched (2 tried): default rule of brand acme"
    assert decision.team == "care"


def test_synthesised_default_is_explained() -> None:
    data = small_dict()
    del data["brands"]["acme"]["default"]
    decision = route(classified(category="praise"), config_from(data), now=TUESDAY_10)
    assert (decision.queue, decision.priority, decision.rule_id) == ("acme-urgent", "P3", "default")
    assert any("synthesised" in line and "acme-urgent" in line for line in decision.explanation)


@pytest.mark.parametrize(
    ("brand_id", "known", "why"),
    [("unknown", False, "no brand owns @nobody (brand_known=false)"),
     ("ghost", True, "brand 'ghost' is not in the config")],
)
def test_unknown_brand_goes_to_unrouted(brand_id: str, known: bool, why: str) -> None:
    event = classified(brand_id=brand_id, brand_known=known, account="nobody", category="crisis", severity=1.0)
    decision = route(event, small_config(), now=TUESDAY_10)
    assert decision.queue == UNROUTED_QUEUE and decision.rule_id == "unrouted"
    assert decision.escalate is False
    assert decision.explanation[0].startswith(why)
    assert decision.sla_due_at == TUESDAY_10 + timedelta(minutes=240)  # agency P3, round the clock


def test_brand_known_false_wins_over_a_configured_brand_id() -> None:
    decision = route(classified(brand_known=False), small_config(), now=TUESDAY_10)
    assert decision.queue == UNROUTED_QUEUE


@pytest.mark.parametrize(
    ("when", "hit", "miss"),
    [
        ({"language": "fr"}, {"language": "fr-CA"}, {"language": "en"}),
        ({"severity_min": 0.5, "severity_max": 0.8}, {"severity": 0.5}, {"severity": 0.81}),
        ({"verified": True}, {"verified": True}, {"verified": False}),
        ({"vip": True}, {"handle": "bigvip"}, {"handle": "smallvip"}),
        ({"vip": False}, {"handle": "smallvip"}, {"handle": "BIGVIP"}),
        ({"keywords": ["refund", "money back"]}, {"text": "I want my Money   back now"},
         {"text": "refunding is not a word here"}),
        ({"regex": [r"(?i)order\s+#?\d{5}"]}, {"text": "Order #12345 missing"}, {"text": "order 12 missing"}),
        ({"crisis_phrase": True}, {"text": "the store is ON FIRE"}, {"text": "fireworks tonight"}),
        ({"product": True}, {"text": "my rocket skates broke"}, {"text": "my rocket broke"}),
        ({"is_question": True}, {"is_question": True}, {"is_question": False}),
        ({"category": ["question", "complaint"]}, {"category": "question"}, {"category": "praise"}),
        ({"sentiment": "positive"}, {"sentiment": "positive"}, {"sentiment": "neutral"}),
    ],
)
def test_each_condition_can_hold_or_fail(when: dict, hit: dict, miss: dict) -> None:
    config = small_config(rules=[{"id": "r", "when": when, "queue": "acme-care", "priority": "P3"}])
    matched = route(classified(**hit), config, now=TUESDAY_10)
    assert matched.rule_id == "r", matched.explanation
    assert len([line for line in matched.explanation if line.startswith("holds: ")]) == len(when)
    assert route(classified(**miss), config, now=TUESDAY_10).rule_id == "default"


def test_business_hours_condition_in_and_out() -> None:
    rules = [{"id": "night", "when": {"business_hours": "out"}, "queue": "acme-urgent", "priority": "P2"},
             {"id": "day", "when": {"business_hours": "in"}, "queue": "acme-care", "priority": "P3"}]
    config = small_config(rules=rules)
    opening = datetime(2025, 3, 11, 9, 0, tzinfo=PARIS)
    assert route(classified(), config, now=opening - timedelta(microseconds=1)).rule_id == "night"
    day = route(classified(), config, now=opening)
    assert day.rule_id == "day"
    assert "holds: inside business hours (Tue 09:00 Europe/Paris)" in day.explanation


def test_rule_sla_override_and_clock() -> None:
    rules = [{"id": "fast", "when": {"category": "question"}, "queue": "acme-care", "priority": "P3",
              "sla_minutes": 45, "sla_clock": "always"}]
    friday_evening = datetime(2025, 3, 14, 20, 0, tzinfo=PARIS)
    decision = route(classified(category="question"), small_config(rules=rules), now=friday_evening)
    assert decision.sla_due_at == friday_evening + timedelta(minutes=45)
    assert any(line.startswith("SLA 45 minutes round the clock (rule fast)") for line in decision.explanation)


def test_business_hours_sla_waits_for_the_opening() -> None:
    friday_evening = datetime(2025, 3, 14, 20, 0, tzinfo=PARIS)
    decision = route(classified(category="praise"), small_config(), now=friday_evening)
    # P4 = 600 business minutes: nothing over the weekend, 540 on Monday, 60 on Tuesday.
    assert decision.sla_due_at == datetime(2025, 3, 18, 10, 0, tzinfo=PARIS)
    assert any("outside business hours now" in line for line in decision.explanation)


def test_sla_across_paris_spring_forward() -> None:
    # Friday 2025-03-28 17:00 CET, P3 = 240 business minutes (09:00-18:00 Mon-Fri): 60 on Friday,
    # 180 on Monday 31 March after the DST change: due 12:00 CEST = 10:00 UTC.
    decision = route(classified(category="question"), small_config(
        rules=[{"id": "q", "when": {"category": "question"}, "queue": "acme-care", "priority": "P3"}]),
        now=datetime(2025, 3, 28, 17, 0, tzinfo=PARIS))
    assert decision.sla_due_at == datetime(2025, 3, 31, 12, 0, tzinfo=PARIS)
    assert decision.sla_due_at == datetime(2025, 3, 31, 10, 0, tzinfo=UTC)


def test_sla_across_new_york_fall_back() -> None:
    # Skylark: P3 = 240 business minutes, open 05:00-24:00 every day (America/New_York).
    # Saturday 2025-11-01 22:00 EDT: 120 minutes until midnight, then 120 from 05:00 EST Sunday.
    decision = route(
        classified(brand_id="skylark", account="SkylarkHelp", category="question", text="Do I need a visa?"),
        demo_config(), now=datetime(2025, 11, 1, 22, 0, tzinfo=NEW_YORK),
    )
    assert decision.rule_id == "question"
    assert decision.sla_due_at == datetime(2025, 11, 2, 7, 0, tzinfo=NEW_YORK)
    assert decision.sla_due_at == datetime(2025, 11, 2, 12, 0, tzinfo=UTC)
    assert decision.explanation[-1].endswith("due 2025-11-02T07:00-05:00 (America/New_York)")


def test_decision_carries_config_version_and_time() -> None:
    config = small_config()
    decision = route(classified(category="crisis"), config, now=TUESDAY_10)
    assert decision.config_version == config.version and decision.decided_at == TUESDAY_10
    assert decision.escalate is True and decision.tags == ["crisis"]
    assert decision.explanation[-1] == "escalate: page on-call per policy crisis"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        route(classified(), small_config(), now=datetime(2025, 3, 11, 10, 0))
