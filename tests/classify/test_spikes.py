"""Spike detector: one incident for a burst, none for normal traffic, closes after calm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify.spikes import SpikeDetector, incident_id_for

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _normal_traffic(det: SpikeDetector, brands: list[str], minutes: int, start: datetime) -> list:
    """Each brand: 6 mentions a minute, one in six negative (a plausible steady state)."""
    events = []
    for minute in range(minutes):
        for k in range(6):
            at = start + timedelta(minutes=minute, seconds=k * 10)
            for b in brands:
                events += det.observe(b, at, negative=k == 0, crisis=False, mention_id=f"{b}-{minute}-{k}")
    return events


def test_burst_opens_exactly_one_incident_and_closes_after_calm() -> None:
    det = SpikeDetector()
    brands = ["acme", "globex", "initech"]
    assert _normal_traffic(det, brands, 60, T0) == []
    burst_start = T0 + timedelta(minutes=60)
    events = []
    for i in range(200):
        at = burst_start + timedelta(seconds=i * 60 / 200)
        events += det.observe("acme", at, negative=True, crisis=i % 20 == 0, mention_id=f"burst-{i}")
        for b in ("globex", "initech"):
            if i % 33 == 0:
                events += det.observe(b, at, negative=False, crisis=False, mention_id=f"{b}-b{i}")
    opened = [e for e in events if e.status == "opened"]
    assert len(opened) == 1 and opened[0].brand_id == "acme"
    assert opened[0].incident_id == incident_id_for("acme", opened[0].opened_at)
    assert det.open_incident("acme") == opened[0].incident_id
    assert det.open_incident("globex") is None
    # Updates are rate-limited: far fewer than one per mention.
    assert sum(e.status == "updated" for e in events) <= 2
    after = _normal_traffic(det, brands, 30, burst_start + timedelta(minutes=1))
    closed = [e for e in after if e.status == "closed"]
    assert [e.incident_id for e in closed] == [opened[0].incident_id]
    assert not [e for e in after if e.status == "opened"]
    assert det.open_incident("acme") is None


def test_tick_closes_an_incident_of_a_brand_gone_silent() -> None:
    det = SpikeDetector()
    for i in range(200):
        det.observe("acme", T0 + timedelta(seconds=i * 0.3), negative=True, crisis=False, mention_id=str(i))
    assert det.open_incident("acme") is not None
    # Still inside the window: at most an update, never a close.
    assert all(e.status == "updated" for e in det.tick(T0 + timedelta(minutes=3)))
    closed = det.tick(T0 + timedelta(minutes=30))
    assert [e.status for e in closed] == ["closed"]


def test_replay_rebuilds_state_without_emitting() -> None:
    history = [
        ("acme", T0 + timedelta(seconds=i * 0.3), True, False, f"m{i}") for i in range(200)
    ]
    live = SpikeDetector()
    opened = [e for h in history for e in live.observe(h[0], h[1], negative=h[2], crisis=h[3], mention_id=h[4])]
    rebuilt = SpikeDetector()
    rebuilt.replay(history)
    assert rebuilt.open_incident("acme") == live.open_incident("acme") == opened[0].incident_id


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3600), st.booleans(), st.booleans()), max_size=300))
def test_arbitrary_streams_never_crash_and_ids_are_stable(stream: list[tuple[int, bool, bool]]) -> None:
    outputs = []
    for _ in range(2):
        det = SpikeDetector()
        out = []
        for i, (sec, neg, cri) in enumerate(stream):
            out += det.observe("b", T0 + timedelta(seconds=sec), negative=neg, crisis=cri, mention_id=str(i))
        outputs.append([(e.incident_id, e.status) for e in out])
    assert outputs[0] == outputs[1]
