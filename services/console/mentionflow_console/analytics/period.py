"""The period a figure covers, and the one it is compared with. Pure.

A range is whole local days in the brand's time zone, both ends included; it is compared with
the same number of days just before it. A month is compared with the month before. Bad input
raises InvalidInput naming the field (answered 422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mentionflow_console.errors import InvalidInput

MAX_RANGE_DAYS = 92  # a quarter: longer ranges belong in the CSV export of several ranges
HOURLY_UP_TO_DAYS = 2  # ranges of one or two days are charted per hour, longer ones per day
MIN_YEAR, MAX_YEAR = 2000, 2999  # mentions of X, with room on both sides for the period before


@dataclass(frozen=True)
class Period:
    """[first_day 00:00, last_day + 1 00:00) in `tz`, as UTC instants in start / end."""

    first_day: date
    last_day: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def bucket(self) -> str:
        """The chart step, a date_trunc unit."""
        return "hour" if self.days <= HOURLY_UP_TO_DAYS else "day"

    def label(self) -> str:
        if self.first_day.day == 1 and (self.last_day + timedelta(days=1)).day == 1 and \
                self.first_day.month == self.last_day.month:
            return self.first_day.strftime("%B %Y")
        return f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"


@dataclass(frozen=True)
class Comparison:
    current: Period
    previous: Period


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def date_range(*, start: date | None, end: date | None, tz: ZoneInfo, today: date) -> Comparison:
    """The range start..end (defaults: the 28 days ending today), and the same length before it."""
    for field, value in (("start", start), ("end", end)):
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise InvalidInput(field, f"{value} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    end = end or today
    start = start or end - timedelta(days=27)
    if end < start:
        raise InvalidInput("end", f"the end ({end}) is before the start ({start})")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise InvalidInput("end", f"the range is {days} days long; at most {MAX_RANGE_DAYS} are allowed")
    previous_last = start - timedelta(days=1)
    return Comparison(Period(start, end, tz), Period(previous_last - timedelta(days=days - 1), previous_last, tz))


def parse_month(value: str) -> tuple[int, int]:
    """'2026-03' → (2026, 3); anything else names the field `month`."""
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise InvalidInput("month", f"expected YYYY-MM, got {value!r}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput("month", f"expected YYYY-MM, got {value!r}")
    return year, month


def month_range(*, month: str | None, tz: ZoneInfo, today: date) -> Comparison:
    """A calendar month (default: the last complete one), compared with the month before."""
    if month is None:
        year, number = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    else:
        year, number = parse_month(month)
    current = _month(year, number, tz)
    return Comparison(current, _month(*((year, number - 1) if number > 1 else (year - 1, 12)), tz))


def _month(year: int, month: int, tz: ZoneInfo) -> Period:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(first, following - timedelta(days=1), tz)
