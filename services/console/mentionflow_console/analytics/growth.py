"""Follower growth of a brand's X accounts from their daily snapshots (publish's
account_snapshots): the current period's days, and the net change of each count over the
period and the one before. Pure: rows in, figures out.

Snapshot days are UTC days; a period's days are taken as those dates. A day X refused
('missing') or never looked up has no counts: it is a gap in the chart, never a zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from mentionflow_console.analytics.models import AccountGrowth, CountChange, SnapshotDay
from mentionflow_console.analytics.period import Comparison, Period

COUNTS = ("followers", "following", "posts")
BASELINE_DAYS = 7  # how far before a period its starting count is looked for


def first_day_needed(comparison: Comparison) -> date:
    return comparison.previous.first_day - timedelta(days=BASELINE_DAYS)


def net_change(days: list[SnapshotDay], period: Period, count: str) -> int | None:
    """The count on the period's last day with counts, minus the count on the last day with
    counts in the week before the period (else the period's first day with counts). None
    without two such days."""
    known = [d for d in days if d.status == "ok"]
    before = [d for d in known if period.first_day - timedelta(days=BASELINE_DAYS) <= d.day < period.first_day]
    inside = [d for d in known if period.first_day <= d.day <= period.last_day]
    if not inside:
        return None
    start = before[-1] if before else inside[0]
    end = inside[-1]
    if end.day == start.day:
        return None
    return getattr(end, count) - getattr(start, count)


def account_growth(rows: Iterable[Mapping], comparison: Comparison) -> list[AccountGrowth]:
    """One entry per account, ordered by handle; `days` holds every day of the current period."""
    by_account: dict[str, list[SnapshotDay]] = {}
    handles: dict[str, str] = {}
    for row in rows:
        handles[row["account_id"]] = row["handle"]
        by_account.setdefault(row["account_id"], []).append(SnapshotDay(
            day=row["day"], status=row["status"], followers=row["followers"], following=row["following"],
            posts=row["posts"], reason=row["reason"]))
    current, previous = comparison.current, comparison.previous
    out = []
    for account_id, days in by_account.items():
        days.sort(key=lambda d: d.day)
        kept = {d.day: d for d in days}
        period_days = [kept.get(current.first_day + timedelta(days=i)) or SnapshotDay.absent(
            current.first_day + timedelta(days=i)) for i in range(current.days)]
        last_known = next((d for d in reversed(period_days) if d.status == "ok"), None)
        out.append(AccountGrowth(
            account_id=account_id, handle=handles[account_id], days=period_days,
            latest=last_known,
            changes={count: CountChange(current=net_change(days, current, count),
                                        previous=net_change(days, previous, count)) for count in COUNTS},
            missing_days=sum(1 for d in period_days if d.status != "ok")))
    return sorted(out, key=lambda a: a.handle.lower())
