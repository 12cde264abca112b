"""Who is on call at an instant: rotation arithmetic plus overrides. Pure.

A rotation is a sequence of shifts. Shifts change at each of the rotation's handoff times on
every `cycle_days`-th day counted from its anchor date, in the rotation's wall-clock time
(09:00 Paris stays 09:00 Paris across DST). Handoff k therefore happens at
`anchor + (k // K) * cycle_days` days, at `handoff_times[k % K]`, where K is the number of
handoff times per handoff day. Shift k runs from handoff k (inclusive) to handoff k+1
(exclusive) and belongs to members[k % len(members)]: at the exact handoff instant the NEW
person is on call. Before the anchor the schedule extends backwards periodically.

An override replaces the rotation for [start, end); overrides never overlap (the config
refuses overlapping ones), so at most one applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from mentionflow.brandconfig.models import CustomRotation, WeeklyRotation
from mentionflow.brandconfig.types import zone

RotationModel = WeeklyRotation | CustomRotation


@dataclass(frozen=True)
class OnCall:
    person: str
    rotation: str
    source: Literal["rotation", "override"]
    since: datetime  # start of the shift or override (UTC)
    until: datetime  # end of the shift or override (UTC), exclusive
    reason: str | None = None


def _handoff(rotation: RotationModel, k: int) -> datetime:
    """Instant (UTC) of handoff number k (k may be negative)."""
    times = rotation.handoff_clock_times()
    per_day = len(times)
    day = rotation.anchor_date() + timedelta(days=(k // per_day) * rotation.cycle_days())
    return datetime.combine(day, times[k % per_day], tzinfo=zone(rotation.time_zone)).astimezone(UTC)


def shift_index(rotation: RotationModel, now: datetime) -> int:
    """Index of the shift in progress at `now` (aware): the number of handoffs at or before
    `now`, minus one."""
    tz = zone(rotation.time_zone)
    times = rotation.handoff_clock_times()
    per_day = len(times)
    days = (now.astimezone(tz).date() - rotation.anchor_date()).days
    cycles, into_cycle = divmod(days, rotation.cycle_days())
    if into_cycle:
        # Today is not a handoff day: every handoff of this cycle's handoff day has happened.
        passed = (cycles + 1) * per_day
    else:
        base = cycles * per_day
        passed = base + sum(1 for j in range(per_day) if _handoff(rotation, base + j) <= now)
    return passed - 1


def on_call(rotation_id: str, rotation: RotationModel, now: datetime) -> OnCall:
    """The person on call for `rotation` at `now` (aware), and since/until when."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    for start, end, person, reason in rotation.aware_overrides:
        if start <= now < end:
            return OnCall(person, rotation_id, "override", start.astimezone(UTC), end.astimezone(UTC), reason)
    index = shift_index(rotation, now)
    return OnCall(
        person=rotation.members[index % len(rotation.members)],
        rotation=rotation_id,
        source="rotation",
        since=_handoff(rotation, index),
        until=_handoff(rotation, index + 1),
    )
