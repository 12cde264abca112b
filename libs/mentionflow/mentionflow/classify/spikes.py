"""Per-brand spike detector: negative + crisis volume in a sliding window vs the brand's baseline.

Contract:
- Pure and single-threaded: no clock, no I/O. Time is the caller's *event time* (the
  mention's created_at); events may arrive slightly out of order, the window uses the
  latest time seen per brand.
- `observe(...)` returns the `Incident` events to publish now (usually none):
  "opened" when the window's bad volume exceeds both an absolute floor and `ratio` x the
  brand's own baseline; "updated" at most once per `update_interval` while open and only if
  counts changed; "closed" once the window has stayed under the close threshold for
  `calm_period`.
- Incident ids are deterministic: brand + open time (same history replayed -> same id), so
  the service can rebuild state after a rebalance with `replay(...)` (same logic, no output)
  and publish updates for an incident it did not open itself.
- The baseline is an EWMA of bad mentions per minute, updated once per elapsed minute and
  frozen while an incident is open, so a long incident does not become the new normal.

Hot-brand trade-off: a brand's state lives in the one consumer owning its partition (mention
topics are keyed by brand_id), so detection needs no coordination; a very hot brand costs one
partition's throughput.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mentionflow.events.incidents import Incident

_MAX_SAMPLES = 20


@dataclass(frozen=True)
class SpikeSettings:
    window: timedelta = timedelta(minutes=5)
    min_count: int = 30  # absolute floor: 5 angry tweets are not an incident, even at baseline 0
    ratio: float = 4.0  # window rate must exceed ratio x baseline rate
    close_ratio: float = 1.5  # calm = window rate under close_ratio x baseline (and < floor/2)
    calm_period: timedelta = timedelta(minutes=10)
    update_interval: timedelta = timedelta(minutes=1)
    ewma_alpha: float = 0.1  # per minute; ~10 minutes of memory
    initial_baseline_per_minute: float = 0.5


@dataclass
class _BrandState:
    window: deque[tuple[datetime, bool, str]] = field(default_factory=deque)  # (t, crisis, id)
    last_time: datetime | None = None
    baseline: float = 0.0
    minute_start: datetime | None = None
    minute_count: int = 0
    incident_id: str | None = None
    opened_at: datetime | None = None
    last_update: datetime | None = None
    last_counts: tuple[int, int] = (0, 0)
    calm_since: datetime | None = None
    last_bad: datetime | None = None
    crises_in_window: int = 0


def incident_id_for(brand_id: str, opened_at: datetime) -> str:
    """Stable id: the same brand and open time always give the same id."""
    digest = hashlib.sha256(f"{brand_id}|{opened_at.isoformat()}".encode()).hexdigest()[:16]
    return f"inc-{digest}"


class SpikeDetector:
    def __init__(self, settings: SpikeSettings | None = None) -> None:
        self.settings = settings or SpikeSettings()
        self._brands: dict[str, _BrandState] = {}

    def open_incident(self, brand_id: str) -> str | None:
        """Id of the brand's open incident, if any (for `classifier.classification_of`)."""
        state = self._brands.get(brand_id)
        return state.incident_id if state else None

    def baseline_per_minute(self, brand_id: str) -> float:
        state = self._brands.get(brand_id)
        return state.baseline if state else self.settings.initial_baseline_per_minute

    def replay(self, events: list[tuple[str, datetime, bool, bool, str]]) -> None:
        """Rebuild state from recent history: (brand, time, negative, crisis, mention id)."""
        for brand_id, at, negative, crisis, mention_id in events:
            self.observe(brand_id, at, negative=negative, crisis=crisis, mention_id=mention_id)

    def observe(
        self, brand_id: str, at: datetime, *, negative: bool, crisis: bool, mention_id: str
    ) -> list[Incident]:
        """Feed one classified mention; returns the incident events to publish (maybe none)."""
        s = self.settings
        state = self._brands.get(brand_id)
        if state is None:
            state = _BrandState(baseline=s.initial_baseline_per_minute, minute_start=at)
            self._brands[brand_id] = state
        now = at if state.last_time is None or at > state.last_time else state.last_time
        state.last_time = now
        bad = negative or crisis
        self._roll_baseline(state, now)
        if bad:
            state.last_bad = at if state.last_bad is None else max(state.last_bad, at)
            state.window.append((at, crisis, mention_id))
            state.crises_in_window += crisis
            state.minute_count += 1
        cutoff = now - s.window
        while state.window and state.window[0][0] <= cutoff:
            state.crises_in_window -= state.window.popleft()[1]
        return self._decide(brand_id, state, now)

    def tick(self, now: datetime) -> list[Incident]:
        """Advance every brand with an open incident to event time `now` (e.g. the latest
        created_at seen on the partition), so a brand that went silent still gets "closed"."""
        out: list[Incident] = []
        for brand_id, state in self._brands.items():
            if state.incident_id is None or (state.last_time and now <= state.last_time):
                continue
            state.last_time = now
            self._roll_baseline(state, now)
            cutoff = now - self.settings.window
            while state.window and state.window[0][0] <= cutoff:
                state.crises_in_window -= state.window.popleft()[1]
            out += self._decide(brand_id, state, now)
        return out

    def _roll_baseline(self, state: _BrandState, now: datetime) -> None:
        s = self.settings
        assert state.minute_start is not None
        while now - state.minute_start >= timedelta(minutes=1):
            if state.incident_id is None:
                state.baseline += s.ewma_alpha * (state.minute_count - state.baseline)
            state.minute_count = 0
            state.minute_start += timedelta(minutes=1)
            # Long silences: skip ahead instead of looping minute by minute forever.
            if now - state.minute_start > timedelta(hours=6):
                state.baseline *= (1 - s.ewma_alpha) ** 360
                state.minute_start = now

    def _decide(self, brand_id: str, state: _BrandState, now: datetime) -> list[Incident]:
        s = self.settings
        minutes = s.window.total_seconds() / 60
        count = len(state.window)
        rate = count / minutes
        crisis_count = state.crises_in_window
        if state.incident_id is None:
            if count >= s.min_count and rate > s.ratio * max(state.baseline, 0.1):
                state.incident_id = incident_id_for(brand_id, now)
                state.opened_at = now
                state.last_update = now
                state.last_counts = (count, crisis_count)
                state.calm_since = None
                return [self._incident(brand_id, state, "opened", now, count, crisis_count)]
            return []
        calm = rate <= s.close_ratio * max(state.baseline, 0.1) or count < s.min_count / 2
        if calm:
            if state.calm_since is None:
                # A brand gone silent has been calm since its last bad mention left the window.
                quiet_from = state.last_bad + s.window if state.last_bad and not state.window else now
                state.calm_since = min(now, quiet_from)
            if now - state.calm_since >= s.calm_period:
                event = self._incident(brand_id, state, "closed", now, count, crisis_count)
                state.incident_id = state.opened_at = state.last_update = state.calm_since = None
                return [event]
            return []
        state.calm_since = None
        assert state.last_update is not None
        if (count, crisis_count) != state.last_counts and now - state.last_update >= s.update_interval:
            state.last_update = now
            state.last_counts = (count, crisis_count)
            return [self._incident(brand_id, state, "updated", now, count, crisis_count)]
        return []

    def _incident(
        self, brand_id: str, state: _BrandState, status: str, now: datetime, count: int, crises: int
    ) -> Incident:
        assert state.incident_id is not None and state.opened_at is not None
        minutes = self.settings.window.total_seconds() / 60
        tail = itertools.islice(reversed(state.window), _MAX_SAMPLES)
        samples = [mid for _, _, mid in reversed(list(tail))]
        return Incident(
            incident_id=state.incident_id,
            brand_id=brand_id,
            status=status,  # type: ignore[arg-type]
            opened_at=state.opened_at,
            window_start=now - self.settings.window,
            window_end=now,
            negative_count=count,
            crisis_count=crises,
            baseline_per_minute=round(state.baseline, 4),
            rate_per_minute=round(count / minutes, 4),
            sample_mention_ids=samples,
            summary=(
                f"{count} negative/crisis mentions of {brand_id} in the last {minutes:g} min "
                f"({count / minutes:.1f}/min vs baseline {state.baseline:.2f}/min)"
            ),
        )
