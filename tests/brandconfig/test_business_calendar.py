"""Business hours as instants, across DST changes in Europe/Paris and America/New_York."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.brandconfig.calendar import BusinessCalendar
from mentionflow.brandconfig.models import BusinessHours

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def calendar(zone: str, hours: dict[str, object], holidays: tuple[date, ...] = ()) -> BusinessCalendar:
    model = BusinessHours.model_validate(hours)
    return BusinessCalendar(zone, model.by_weekday(), frozenset(holidays))


EVERY_DAY_9_TO_18 = {d: "09:00-18:00" for d in
                     ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
ALL_DAY = {d: "00:00-24:00" for d in EVERY_DAY_9_TO_18}


def test_paris_spring_forward_keeps_nine_local_hours_and_local_opening() -> None:
    cal = calendar("Europe/Paris", EVERY_DAY_9_TO_18)
    # Saturday 2025-03-29 17:00 CET (+01:00), 120 business minutes: 60 on Saturday, 60 on
    # Sunday 2025-03-30 after 09:00 CEST (+02:00) — the night lost an hour, the day did not.
    due = cal.add_business_minutes(datetime(2025, 3, 29, 17, 0, tzinfo=PARIS), 120)
    assert due == datetime(2025, 3, 30, 10, 0, tzinfo=PARIS)
    assert due.astimezone(UTC) == datetime(2025, 3, 30, 8, 0, tzinfo=UTC)
    assert cal.intervals_on(date(2025, 3, 30))[0][1] - cal.intervals_on(date(2025, 3, 30))[0][0] == timedelta(hours=9)


def test_paris_fall_back_keeps_local_opening() -> None:
    cal = calendar("Europe/Paris", EVERY_DAY_9_TO_18)
    due = cal.add_business_minutes(datetime(2025, 10, 25, 17, 30, tzinfo=PARIS), 60)
    assert due == datetime(2025, 10, 26, 9, 30, tzinfo=PARIS)  # now +01:00
    assert due.astimezone(UTC) == datetime(2025, 10, 26, 8, 30, tzinfo=UTC)


def test_round_the_clock_range_lasts_23_or_25_real_hours_on_change_days() -> None:
    paris = calendar("Europe/Paris", ALL_DAY)
    (spring,) = paris.intervals_on(date(2025, 3, 30))
    (autumn,) = paris.intervals_on(date(2025, 10, 26))
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    ny = calendar("America/New_York", ALL_DAY)
    (spring_ny,) = ny.intervals_on(date(2025, 3, 9))
    (autumn_ny,) = ny.intervals_on(date(2025, 11, 2))
    assert spring_ny[1] - spring_ny[0] == timedelta(hours=23)
    assert autumn_ny[1] - autumn_ny[0] == timedelta(hours=25)
    # 1,440 business minutes from midnight on the short day end at midnight + 1h local.
    assert ny.add_business_minutes(datetime(2025, 3, 9, 0, 0, tzinfo=NEW_YORK), 1440) == datetime(
        2025, 3, 10, 1, 0, tzinfo=NEW_YORK
    )


def test_new_york_overnight_across_the_change() -> None:
    cal = calendar("America/New_York", {"saturday": "09:00-17:00", "sunday": "09:00-17:00"})
    # Saturday 2025-11-01 16:00 EDT + 120 min: 60 Saturday, 60 Sunday from 09:00 EST.
    due = cal.add_business_minutes(datetime(2025, 11, 1, 16, 0, tzinfo=NEW_YORK), 120)
    assert due == datetime(2025, 11, 2, 10, 0, tzinfo=NEW_YORK)
    assert due.astimezone(UTC) == datetime(2025, 11, 2, 15, 0, tzinfo=UTC)
    assert not cal.is_open(datetime(2025, 11, 2, 8, 59, tzinfo=NEW_YORK))
    assert cal.is_open(datetime(2025, 11, 2, 9, 0, tzinfo=NEW_YORK))


def test_holidays_and_closing_time() -> None:
    cal = calendar("Europe/Paris", {"thursday": "09:00-18:00", "friday": "09:00-18:00", "monday": "09:00-18:00"},
                   holidays=(date(2025, 12, 25),))
    # Wednesday 24 Dec 2025 is closed (not listed), Thursday 25 is a holiday, Friday opens.
    due = cal.add_business_minutes(datetime(2025, 12, 24, 12, 0, tzinfo=PARIS), 540)
    assert due == datetime(2025, 12, 26, 18, 0, tzinfo=PARIS)  # exactly at closing time
    assert cal.next_open(datetime(2025, 12, 26, 18, 0, tzinfo=PARIS)) == datetime(2025, 12, 29, 8, 0, tzinfo=UTC)


def _oracle_minutes(cal: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Business minutes in [start, end), counted one minute at a time with is_open."""
    count, t = 0, start
    while t < end:
        count += cal.is_open(t)
        t += timedelta(minutes=1)
    return count


ranges = st.sampled_from(["08:00-12:00", "13:30-18:00", "00:00-24:00", "22:00-24:00", "01:30-03:30", "06:15-06:45"])
# Any two of these ranges are disjoint except the whole day; 01:30-03:30 spans both zones' DST gaps.
day_hours = st.lists(ranges, max_size=2, unique=True).filter(lambda rs: len(rs) < 2 or "00:00-24:00" not in rs)


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Paris", "America/New_York"]),
    week=st.fixed_dictionaries({d: day_hours for d in EVERY_DAY_9_TO_18}).filter(lambda w: any(w.values())),
    start=st.datetimes(min_value=datetime(2025, 3, 7), max_value=datetime(2025, 3, 31),
                       timezones=st.just(UTC)) | st.datetimes(min_value=datetime(2025, 10, 24),
                                                               max_value=datetime(2025, 11, 4),
                                                               timezones=st.just(UTC)),
    minutes=st.integers(min_value=1, max_value=600),
)
def test_deadline_is_exactly_n_business_minutes_later(zone: str, week: dict, start: datetime, minutes: int) -> None:
    start = start.replace(second=0, microsecond=0)
    cal = calendar(zone, {d: list(v) for d, v in week.items()})
    due = cal.add_business_minutes(start, minutes)
    assert due >= start
    assert _oracle_minutes(cal, start, due) == minutes
    assert cal.is_open(due - timedelta(minutes=1))
