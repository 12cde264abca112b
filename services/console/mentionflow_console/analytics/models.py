"""The figures of one brand over a period and the one before: what the API returns, the pages
and the PDF show, and the CSV tables hold."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, computed_field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Spread(Frozen):
    """Median and 90th percentile (linear interpolation), in minutes; None without data."""

    median: float | None
    p90: float | None


class Backlog(Frozen):
    as_of: datetime
    open: int
    median_age_hours: float | None
    oldest_age_hours: float | None
    by_age: dict[str, int]  # "under 1 h", "1–4 h", "4–24 h", "1–3 days", "over 3 days"


class Incidents(Frozen):
    opened: int
    acknowledged: int
    to_acknowledge: Spread  # minutes, round the clock


class PeriodFigures(Frozen):
    first_day: date
    last_day: date
    items: int
    by_category: dict[str, int]
    by_sentiment: dict[str, int]
    by_language: dict[str, int]
    answered: int
    resolved: int
    first_response_business: Spread
    first_response_wall: Spread
    resolution_business: Spread
    resolution_wall: Spread
    sla_due: int
    sla_met: int
    backlog: Backlog
    incidents: Incidents

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sla_rate(self) -> float | None:
        """Percent of the items due (or answered) that were answered in time."""
        return 100.0 * self.sla_met / self.sla_due if self.sla_due else None


class Series(Frozen):
    """Counts per chart step of the current period, per value of one dimension."""

    buckets: list[datetime]
    counts: dict[str, list[int]]


class AgentReplies(Frozen):
    agent: str
    current: int
    previous: int


class TermGrowth(Frozen):
    term: str
    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous


class IncidentRow(Frozen):
    incident_id: str
    opened_at: datetime
    summary: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    minutes_to_acknowledge: float | None


class SnapshotDay(Frozen):
    """One account's counts on one UTC day; all None when X refused ('missing') or no lookup
    reached the table ('absent')."""

    day: date
    status: str  # "ok", "missing", "absent"
    followers: int | None
    following: int | None
    posts: int | None
    reason: str | None = None

    @classmethod
    def absent(cls, day: date) -> SnapshotDay:
        return cls(day=day, status="absent", followers=None, following=None, posts=None)


class CountChange(Frozen):
    """Net change of a count over the period and the one before; None without two days of counts."""

    current: int | None
    previous: int | None


class AccountGrowth(Frozen):
    account_id: str
    handle: str
    days: list[SnapshotDay]  # every day of the current period
    latest: SnapshotDay | None  # the period's last day with counts
    changes: dict[str, CountChange]  # "followers", "following", "posts"
    missing_days: int  # days of the period without counts


class Report(Frozen):
    brand_id: str
    brand_name: str
    agency: str
    time_zone: str
    business_hours: str  # written out, e.g. "Mon–Fri 09:00–18:00 (Europe/Paris), holidays closed"
    queue: str | None
    agent: str | None
    bucket: str  # "hour" or "day"
    generated_at: datetime
    current: PeriodFigures
    previous: PeriodFigures
    by_category: Series
    by_sentiment: Series
    by_language: Series
    agents: list[AgentReplies]
    terms: list[TermGrowth]
    hashtags: list[TermGrowth]
    incident_list: list[IncidentRow]
    snapshots_kept: bool  # False until publish keeps account_snapshots
    accounts: list[AccountGrowth]
    summary: str
