"""Who is on call: hand-offs exactly at the boundary, DST, custom shifts, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.brandconfig.models import CustomRotation, WeeklyRotation
from mentionflow.routing.oncall import on_call

from tests.routing.builders import demo_config

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TICK = timedelta(microseconds=1)


def weekly(**changes: object) -> WeeklyRotation:
    data = {"kind": "weekly", "time_zone": "Europe/Paris", "handoff_day": "monday", "handoff_time": "09:00",
            "start": "2025-01-06", "members": ["ann", "bob", "cy"], **changes}
    return WeeklyRotation.model_validate(data)


def test_weekly_handoff_happens_exactly_at_the_boundary() -> None:
    rotation = weekly()
    boundary = datetime(2025, 1, 13, 9, 0, tzinfo=PARIS)
    before, at = on_call("r", rotation, boundary - TICK), on_call("r", rotation, boundary)
    assert (before.person, at.person) == ("ann", "bob")
    assert before.until == at.since == boundary
    assert at.until == boundary + timedelta(days=7)


def test_first_shift_and_wrap_around() -> None:
    rotation = weekly()
    start = datetime(2025, 1, 6, 9, 0, tzinfo=PARIS)
    people = [on_call("r", rotation, start + timedelta(days=7 * k, hours=1)).person for k in range(7)]
    assert people == ["ann", "bob", "cy", "ann", "bob", "cy", "ann"]
    # Before the start the schedule extends backwards: the last member held the previous week.
    assert on_call("r", rotation, start - TICK).person == "cy"


def test_weekly_start_on_another_day_anchors_on_the_next_handoff_day() -> None:
    rotation = weekly(start="2025-01-08", handoff_day="friday", handoff_time="18:00")
    assert rotation.anchor_date().isoformat() == "2025-01-10"
    assert on_call("r", rotation, datetime(2025, 1, 10, 18, 0, tzinfo=PARIS)).person == "ann"
    assert on_call("r", rotation, datetime(2025, 1, 17, 17, 59, tzinfo=PARIS)).person == "ann"
    assert on_call("r", rotation, datetime(2025, 1, 17, 18, 0, tzinfo=PARIS)).person == "bob"


def test_handoff_stays_at_local_time_across_dst() -> None:
    rotation = weekly()
    # Monday 2025-03-24 09:00 CET is 08:00 UTC; Monday 2025-03-31 09:00 CEST is 07:00 UTC.
    first = on_call("r", rotation, datetime(2025, 3, 24, 8, 0, tzinfo=UTC))
    second = on_call("r", rotation, datetime(2025, 3, 31, 7, 0, tzinfo=UTC))
    assert first.since == datetime(2025, 3, 24, 8, 0, tzinfo=UTC)
    assert second.since == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    assert first.until == second.since  # that week lasted 7 days minus one hour
    assert second.person != first.person
    assert on_call("r", rotation, datetime(2025, 3, 31, 7, 0, tzinfo=UTC) - TICK).person == first.person


def test_custom_twelve_hour_shifts_in_new_york_across_dst() -> None:
    rotation = CustomRotation.model_validate({
        "kind": "custom", "time_zone": "America/New_York", "every_days": 1, "handoff_times": ["19:00", "07:00"],
        "start": "2025-03-08", "members": ["ann", "bob"],
    })
    day = on_call("r", rotation, datetime(2025, 3, 8, 7, 0, tzinfo=NEW_YORK))
    night = on_call("r", rotation, datetime(2025, 3, 8, 19, 0, tzinfo=NEW_YORK))
    assert (day.person, night.person) == ("ann", "bob")
    # The night of the spring-forward change is 11 real hours; the handoff is still 07:00 local.
    assert night.until == datetime(2025, 3, 9, 7, 0, tzinfo=NEW_YORK)
    assert night.until - night.since == timedelta(hours=11)
    assert on_call("r", rotation, datetime(2025, 3, 9, 7, 0, tzinfo=NEW_YORK)).person == "ann"


def test_override_replaces_the_rotation_for_start_inclusive_end_exclusive() -> None:
    rotation = weekly(overrides=[{"person": "dee", "start": "2025-01-08T18:00:00", "end": "2025-01-09T09:00:00",
                                  "reason": "swap"}])
    start = datetime(2025, 1, 8, 18, 0, tzinfo=PARIS)
    end = datetime(2025, 1, 9, 9, 0, tzinfo=PARIS)
    assert on_call("r", rotation, start - TICK).person == "ann"
    covered = on_call("r", rotation, start)
    assert (covered.person, covered.source, covered.reason) == ("dee", "override", "swap")
    assert (covered.since, covered.until) == (start, end)
    assert on_call("r", rotation, end - TICK).person == "dee"
    assert on_call("r", rotation, end).person == "ann"


def test_override_with_explicit_offset() -> None:
    rotation = weekly(overrides=[{"person": "dee", "start": "2025-01-08T17:00:00+00:00",
                                  "end": "2025-01-08T19:00:00+00:00"}])
    assert on_call("r", rotation, datetime(2025, 1, 8, 18, 0, tzinfo=PARIS)).person == "dee"  # 17:00 UTC


def test_demo_christmas_override() -> None:
    rotation = demo_config().rotations["fr-primary"]
    assert on_call("fr-primary", rotation, datetime(2025, 12, 25, 3, 0, tzinfo=PARIS)).person == "nadia"
    assert on_call("fr-primary", rotation, datetime(2025, 12, 26, 9, 0, tzinfo=PARIS)).source == "rotation"


@settings(max_examples=60, deadline=None)
@given(
    every_days=st.integers(min_value=1, max_value=9),
    times=st.lists(st.sampled_from(["00:00", "02:30", "07:00", "09:15", "19:00", "23:59"]), min_size=1,
                   max_size=3, unique=True),
    members=st.integers(min_value=1, max_value=4),
    zone=st.sampled_from(["Europe/Paris", "America/New_York", "UTC"]),
    now=st.datetimes(min_value=datetime(2024, 6, 1), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)),
)
def test_exactly_one_person_whose_shift_contains_now(every_days: int, times: list[str], members: int, zone: str,
                                                      now: datetime) -> None:
    rotation = CustomRotation.model_validate({
        "kind": "custom", "time_zone": zone, "every_days": every_days, "handoff_times": times,
        "start": "2025-01-01", "members": [f"p{i}" for i in range(members)],
    })
    shift = on_call("r", rotation, now)
    assert shift.since <= now < shift.until
    assert shift.person in rotation.members
    # The next shift starts where this one ends and belongs to the next member.
    following = on_call("r", rotation, shift.until)
    assert following.since == shift.until
    assert rotation.members.index(following.person) == (rotation.members.index(shift.person) + 1) % members
    assert on_call("r", rotation, shift.until - TICK).person == shift.person
