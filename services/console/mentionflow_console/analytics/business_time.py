"""A brand's business hours as sorted, disjoint open intervals from the brand's own
BusinessCalendar (mentionflow.brandconfig.calendar, the one the SLA clock uses), their lengths,
and the open seconds before each; `as_params` turns them into the arrays the SQL function
console_business_seconds takes (console migration 0009). Pure.

A duration in business hours is then business_seconds(end) − business_seconds(start), which
PostgreSQL evaluates per row with a binary search: no per-item Python, whatever the row count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mentionflow.brandconfig.calendar import BusinessCalendar

# An instant before the first open interval (none is, in practice: the arrays start a day before
# the range) still finds one, with nothing open before it.
START_OF_TIME = datetime(1, 1, 2, tzinfo=UTC)


@dataclass(frozen=True)
class CalendarArrays:
    starts: list[datetime]
    cum: list[float]  # open seconds before each interval, from the first one
    secs: list[float]  # each interval's length in seconds

    def as_params(self) -> tuple[list[datetime], list[float], list[float]]:
        """What console_business_seconds takes (console migration 0009): the starts behind an empty
        interval at the start of time, each interval's open seconds before it minus its start's
        epoch, and its open seconds up to its end."""
        starts = [START_OF_TIME, *self.starts]
        bases = [-START_OF_TIME.timestamp(), *(cum - start.timestamp() for cum, start in zip(self.cum, self.starts,
                                                                                              strict=True))]
        ends = [0.0, *(cum + secs for cum, secs in zip(self.cum, self.secs, strict=True))]
        return starts, bases, ends


def calendar_arrays(calendar: BusinessCalendar, *, since: datetime, until: datetime) -> CalendarArrays | None:
    """The open intervals between `since` and `until` (one local day of margin each side, so an
    edge in another zone's date is never cut). None when the calendar has no business hours."""
    if calendar.empty:
        return None
    first = since.astimezone(calendar.tz).date() - timedelta(days=1)
    last = until.astimezone(calendar.tz).date() + timedelta(days=1)
    intervals = []
    day = first
    while day <= last:
        intervals.extend(calendar.intervals_on(day))
        day += timedelta(days=1)
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:  # "22:00-24:00" then "00:00-06:00": one stretch
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts, cum, secs, total = [], [], [], 0.0
    for start, end in merged:
        length = (end - start).total_seconds()
        starts.append(start)
        cum.append(total)
        secs.append(length)
        total += length
    return CalendarArrays(starts, cum, secs)
