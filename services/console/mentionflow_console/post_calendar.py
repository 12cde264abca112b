"""The publishing calendar's grid: which days a month or week view shows, in the brand's time
zone, and the UTC instants that bound them (a day is midnight to midnight there, 23 or 25 hours
long across a DST change). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from mentionflow.brandconfig.types import zone

View = Literal["month", "week"]


@dataclass(frozen=True)
class Grid:
    view: View
    anchor: date          # the day asked for
    first: date           # first day shown (a Monday)
    end: date             # day after the last day shown
    time_zone: str

    @property
    def weeks(self) -> list[list[date]]:
        days = [self.first + timedelta(days=n) for n in range((self.end - self.first).days)]
        return [days[i:i + 7] for i in range(0, len(days), 7)]

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.first, time(), zone(self.time_zone))

    @property
    def end_utc(self) -> datetime:
        return datetime.combine(self.end, time(), zone(self.time_zone))

    @property
    def previous(self) -> date:
        if self.view == "week":
            return self.anchor - timedelta(days=7)
        return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view == "week":
            return self.anchor + timedelta(days=7)
        return (self.anchor.replace(day=28) + timedelta(days=4)).replace(day=1)

    @property
    def title(self) -> str:
        if self.view == "month":
            return self.anchor.strftime("%B %Y")
        last = self.end - timedelta(days=1)
        return f"{self.first.strftime('%d %b')} – {last.strftime('%d %b %Y')}"

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(zone(self.time_zone)).date()


def grid(view: View, anchor: date, time_zone: str) -> Grid:
    """Whole weeks, Monday first: the week of `anchor`, or the weeks covering its month."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return Grid(view, anchor, first, first + timedelta(days=7), time_zone)
    month_first = anchor.replace(day=1)
    month_end = (month_first.replace(day=28) + timedelta(days=4)).replace(day=1)
    first = month_first - timedelta(days=month_first.weekday())
    last = month_end - timedelta(days=1)
    end = last + timedelta(days=7 - last.weekday())
    return Grid(view, anchor, first, end, time_zone)


def today(time_zone: str, now: datetime) -> date:
    return now.astimezone(zone(time_zone)).date()
