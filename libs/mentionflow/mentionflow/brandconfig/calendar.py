"""A brand's business hours as real instants: is it open now, and when are N business minutes
from now.

Ranges are wall-clock times in the brand's zone ("09:00-18:00" on Mondays). Each range on a
given date becomes one interval of instants, [start, end), computed with zoneinfo, so a DST
change is handled by the zone data rather than by arithmetic on offsets: a 09:00-18:00 day is
nine real hours on either side of the change, an overnight range across the change is 23 or
25 hours. A start or end that falls in a DST gap (02:30 on a spring-forward night) is read with
fold=0, as Python does. `is_open` and `add_business_minutes` use the same intervals, so they
always agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from mentionflow.brandconfig.types import zone

if TYPE_CHECKING:  # models imports this module; the type is only needed for annotations
    from mentionflow.brandconfig.models import TimeRange

# With a non-empty week the next open interval is at most 7 days + the holidays away; this
# bound only protects against a calendar whose every open day is a holiday.
MAX_SEARCH_DAYS = 3 * 366

Interval = tuple[datetime, datetime]


class BusinessCalendar:
    """Immutable after construction; day intervals are memoised (bounded) per calendar."""

    def __init__(
        self,
        time_zone: str,
        hours_by_weekday: tuple[tuple[TimeRange, ...], ...],
        holidays: frozenset[date],
    ) -> None:
        self.time_zone = time_zone
        self.tz = zone(time_zone)
        self.hours = hours_by_weekday
        self.holidays = holidays
        self.empty = not any(hours_by_weekday)
        self._day = lru_cache(maxsize=512)(self._compute_day)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """Open intervals (UTC instants) of the ranges written for local date `day`."""
        return self._day(day)

    def _compute_day(self, day: date) -> tuple[Interval, ...]:
        if day in self.holidays:
            return ()
        out = []
        for r in self.hours[day.weekday()]:
            start = datetime.combine(day, r.start, tzinfo=self.tz).astimezone(UTC)
            end_day, end_time = (day, r.end) if r.end is not None else (day + timedelta(days=1), time(0))
            end = datetime.combine(end_day, end_time, tzinfo=self.tz).astimezone(UTC)
            if end > start:
                out.append((start, end))
        return tuple(out)

    def _intervals_from(self, instant: datetime) -> Iterator[Interval]:
        """The intervals of every local day from one before `instant`'s (a range of the previous
        day may still be open, and with odd zones a DST change at midnight can shift a day's
        edge); some already closed ones come first, which the callers skip."""
        # The local date is within a day of the UTC date (offsets stay under 24 h), so starting
        # two UTC days back covers the local day before without converting `instant` to the
        # zone: that conversion was the costliest step of routing a mention.
        first = instant.astimezone(UTC).date() - timedelta(days=2)
        for offset in range(MAX_SEARCH_DAYS + 2):
            yield from self._day(first + timedelta(days=offset))

    def is_open(self, instant: datetime) -> bool:
        """True when `instant` (aware) is inside business hours."""
        local_day = instant.astimezone(self.tz).date()
        for day in (local_day - timedelta(days=1), local_day):
            for start, end in self._day(day):
                if start <= instant < end:
                    return True
        return False

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant when `minutes` of business time have elapsed since `start` (UTC).

        Time before the next opening does not count; a deadline that lands exactly on a
        closing time is that closing time. Raises ValueError when there are no business hours
        within MAX_SEARCH_DAYS (config validation refuses such calendars)."""
        return self.business_deadline(start, minutes)[0]

    def business_deadline(self, start: datetime, minutes: int) -> tuple[datetime, bool]:
        """(add_business_minutes(start, minutes), whether business hours are open at start)."""
        if self.empty:
            raise ValueError("no business hours: a business-hours deadline is never reached")
        remaining = timedelta(minutes=minutes)
        start = start.astimezone(UTC)
        open_at_start: bool | None = None
        for open_at, close_at in self._intervals_from(start):
            if close_at <= start:
                continue
            if open_at_start is None:
                open_at_start = open_at <= start
            begin = max(open_at, start)
            available = close_at - begin
            if remaining <= available:
                return begin + remaining, open_at_start
            remaining -= available
        raise ValueError(f"no business hours within {MAX_SEARCH_DAYS} days of {start.isoformat()}")

    def next_open(self, instant: datetime) -> datetime:
        """`instant` itself when open, else the next opening (UTC)."""
        instant = instant.astimezone(UTC)
        for open_at, close_at in self._intervals_from(instant):
            if close_at > instant:
                return max(open_at, instant)
        raise ValueError(f"no business hours within {MAX_SEARCH_DAYS} days")
