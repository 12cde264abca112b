"""Properties of route() over arbitrary classified mentions (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.events.mentions_routed import UNROUTED_QUEUE, RoutingDecision
from mentionflow.routing import route

from tests.routing.builders import classified, demo_config

CONFIG = demo_config()
BRANDS = sorted(CONFIG.brands)

words = st.sampled_from([
    "panne", "générale", "fuite de données", "facture", "remboursement", "smoke in the cabin", "lost bags",
    "food poisoning", "intoxication alimentaire", "Box Fibre", "merci", "help", "où", "?", "🔥", "BouffeGo",
])
texts = st.lists(words | st.text(min_size=1, max_size=12), min_size=1, max_size=12).map(" ".join).filter(
    lambda t: t.strip() and "\x00" not in t
)
events = st.builds(
    classified,
    brand_id=st.sampled_from(BRANDS) | st.sampled_from(["unknown", "ghost-brand"]),
    brand_known=st.booleans(),
    text=texts,
    category=st.sampled_from(["question", "complaint", "crisis", "praise", "other"]),
    sentiment=st.sampled_from(["negative", "neutral", "positive"]),
    severity=st.floats(min_value=0, max_value=1),
    language=st.sampled_from(["fr", "en", "fr-CA", "EN-us", "es", "und"]),
    handle=st.sampled_from(["someone", "MinNumerique", "faanews", "GuideMichelinQC", "x"]),
    followers=st.integers(min_value=0, max_value=10**8),
    verified=st.booleans(),
)
instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.sampled_from([UTC]))


@settings(max_examples=300, deadline=None)
@given(event=events, now=instants)
def test_every_mention_gets_exactly_one_well_formed_decision(event, now: datetime) -> None:  # noqa: ANN001
    decision = route(event, CONFIG, now=now)
    assert isinstance(decision, RoutingDecision)
    assert decision.sla_due_at >= now
    assert decision.decided_at == now and decision.config_version == CONFIG.version
    assert decision.explanation
    # Deterministic: same input, same output.
    assert route(event, CONFIG, now=now) == decision
    known = event.mention.brand_known and event.mention.brand_id in CONFIG.brands
    if known:
        assert decision.queue in CONFIG.queues and decision.queue != UNROUTED_QUEUE
        assert CONFIG.queues[decision.queue].brand == event.mention.brand_id
        assert decision.team == CONFIG.queues[decision.queue].team
        brand_rules = {r.id for r in CONFIG.brands[event.mention.brand_id].rules} | {"default"}
        assert decision.rule_id in brand_rules
    else:
        assert decision.queue == UNROUTED_QUEUE and decision.escalate is False


@settings(max_examples=100, deadline=None)
@given(event=events, now=instants)
def test_round_the_clock_deadlines_are_exact(event, now: datetime) -> None:  # noqa: ANN001
    decision = route(event, CONFIG, now=now)
    if any("round the clock" in line for line in decision.explanation):
        minutes = (decision.sla_due_at - now) / timedelta(minutes=1)
        assert minutes in {15, 20, 30, 60, 90, 120, 480, 1440}
