"""publish's pure parts: posting budget, backoff, HTTP outcome classes, message shapes, timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from mentionflow_publish.channels import ChannelDirectory, ChannelUnavailable
from mentionflow_publish.delivery_worker import backoff_s, classify_status
from mentionflow_publish.escalation_store import EscalationRow, paged_channels, step_due_at
from mentionflow_publish.messages import PAGERDUTY_SUMMARY_MAX, page_body, pagerduty_body
from mentionflow_publish.ratelimit import PostingBudget
from mentionflow_publish.settings import PublishSettings
from pydantic import SecretStr


@given(limit=st.integers(1, 10), window=st.floats(1, 100),
       gaps=st.lists(st.floats(0, 30), min_size=1, max_size=60))
def test_a_budget_never_allows_more_than_its_limit_in_any_window(limit: int, window: float,
                                                                 gaps: list[float]) -> None:
    budget = PostingBudget(limit, window)
    now, posts = 0.0, []
    for gap in gaps:
        now += gap
        at = budget.next_free_at(now)
        assert at >= now
        budget.record_post(at)
        posts.append(at)
        now = at
    for start in posts:
        assert sum(start <= p < start + window for p in posts) <= limit


def test_a_429_reset_blocks_the_budget_until_then() -> None:
    budget = PostingBudget(100, 900)
    budget.block_until(50.0)
    assert budget.next_free_at(10.0) == 50.0
    assert budget.next_free_at(60.0) == 60.0


@given(st.integers(1, 40))
def test_backoff_grows_and_is_capped(attempt: int) -> None:
    assert backoff_s(attempt, 0.5, 60) <= 60
    assert backoff_s(attempt + 1, 0.5, 60) >= backoff_s(attempt, 0.5, 60)


def test_http_outcomes() -> None:
    assert [classify_status(s) for s in (200, 202, 400, 404, 408, 429, 500, 503)] == [
        "sent", "sent", "failed", "failed", "retry", "retry", "retry", "retry"]


def test_pagerduty_bodies_follow_events_v2() -> None:
    trigger = pagerduty_body(action="trigger", dedup_key="inc-1", summary="x" * 5000, severity="critical",
                             details={"a": 1})
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == "inc-1"
    assert len(trigger["payload"]["summary"]) == PAGERDUTY_SUMMARY_MAX
    assert trigger["payload"]["source"] == "mentionflow" and trigger["payload"]["custom_details"] == {"a": 1}
    assert "routing_key" not in trigger, "the secret is added at send time only"
    assert pagerduty_body(action="resolve", dedup_key="inc-1", summary="s", severity="error", details={}) == {
        "event_action": "resolve", "dedup_key": "inc-1"}
    assert "text" in page_body("slack", action="trigger", dedup_key="k", brand_id="b", summary="s",
                               severity="error", step=0, target="ana", details={})


def test_steps_are_due_after_their_minutes_from_the_trigger() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    steps = [{"target": "a", "after_minutes": 0, "channels": ["pd", "chat"]},
             {"target": "b", "after_minutes": 15, "channels": ["pd", "leads"]}]
    assert step_due_at(t0, steps, 1, 60) == t0 + timedelta(minutes=15)
    assert step_due_at(t0, steps, 1, 0.5) == t0 + timedelta(seconds=7.5)
    assert step_due_at(t0, steps, 2, 60) is None
    row = EscalationRow("k", "b", "incident", "critical", "s", "p", steps, 1, "triggered", t0, None, "k")
    assert paged_channels(row) == ["pd", "chat", "leads"]


def test_channels_resolve_from_settings_and_never_show_secrets() -> None:
    settings = PublishSettings(
        channels={"pd": {"type": "pagerduty", "routing_key": "rk-secret"}},
        queue_webhooks={"care": SecretStr("https://hooks.example/T/secret")})
    channels = ChannelDirectory(settings, None, environ={})
    pd = channels.resolve("pd")
    assert (pd.type, pd.url, pd.routing_key) == ("pagerduty", settings.pagerduty_events_url, "rk-secret")
    assert "secret" not in repr(channels.resolve("queue:care"))
    assert channels.type_of("queue:care") == "slack" and channels.type_of("nope") is None
    try:
        channels.resolve("nope")
    except ChannelUnavailable as exc:
        assert "unknown channel" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("an unknown channel must not resolve")
    assert "rk-secret" not in str(settings.redacted())
