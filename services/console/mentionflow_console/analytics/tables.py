"""CSV exports: every table of the analytics page, and the period's items (streamed).

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) are prefixed
with a quote: a mention's text is written by strangers."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Literal

import asyncpg

from mentionflow_console.analytics import queries
from mentionflow_console.analytics.brands import BrandContext
from mentionflow_console.analytics.business_time import calendar_arrays
from mentionflow_console.analytics.models import PeriodFigures, Report, Series, Spread
from mentionflow_console.analytics.period import Comparison

TableName = Literal["items", "summary", "volume", "categories", "sentiment", "languages", "response-times", "backlog",
                    "agents", "terms", "hashtags", "incidents", "followers", "follower-days"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ITEM_CHUNK = 2000


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV text with CRLF line ends; no header line when `header` is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _spread_rows(name: str, current: Spread, previous: Spread) -> list[list[object]]:
    return [[name, "median", current.median, previous.median], [name, "p90", current.p90, previous.p90]]


def _series_rows(series: Series) -> list[list[object]]:
    return [[bucket, value, counts[i]] for value, counts in series.counts.items()
            for i, bucket in enumerate(series.buckets)]


def _counts(current: dict[str, int], previous: dict[str, int]) -> list[list[object]]:
    keys = list(current) + [k for k in previous if k not in current]
    return [[k, current.get(k, 0), previous.get(k, 0)] for k in keys]


def _summary(c: PeriodFigures, p: PeriodFigures) -> list[list[object]]:
    return [["items", c.items, p.items], ["answered", c.answered, p.answered], ["resolved", c.resolved, p.resolved],
            ["sla_due", c.sla_due, p.sla_due], ["sla_met", c.sla_met, p.sla_met],
            ["sla_percent", c.sla_rate, p.sla_rate], ["backlog_open", c.backlog.open, p.backlog.open],
            ["incidents", c.incidents.opened, p.incidents.opened],
            ["incidents_acknowledged", c.incidents.acknowledged, p.incidents.acknowledged]]


def table(report: Report, name: TableName) -> str:
    """One table of the report as CSV text (current and previous period side by side); the
    items are streamed by item_rows instead."""
    c, p = report.current, report.previous
    if name == "summary":
        return to_csv(["figure", "current", "previous"], _summary(c, p))
    if name == "volume":
        return to_csv(["bucket_start", "category", "items"], _series_rows(report.by_category))
    if name == "categories":
        return to_csv(["category", "current", "previous"], _counts(c.by_category, p.by_category))
    if name == "sentiment":
        return to_csv(["sentiment", "current", "previous"], _counts(c.by_sentiment, p.by_sentiment))
    if name == "languages":
        return to_csv(["language", "current", "previous"], _counts(c.by_language, p.by_language))
    if name == "response-times":
        rows = (_spread_rows("first_response_business_min", c.first_response_business, p.first_response_business)
                + _spread_rows("first_response_wall_min", c.first_response_wall, p.first_response_wall)
                + _spread_rows("resolution_business_min", c.resolution_business, p.resolution_business)
                + _spread_rows("resolution_wall_min", c.resolution_wall, p.resolution_wall))
        return to_csv(["figure", "statistic", "current", "previous"], rows)
    if name == "backlog":
        rows = [["open", c.backlog.open, p.backlog.open],
                ["median_age_hours", c.backlog.median_age_hours, p.backlog.median_age_hours],
                ["oldest_age_hours", c.backlog.oldest_age_hours, p.backlog.oldest_age_hours]]
        rows += [[f"age {label}", n, p.backlog.by_age.get(label, 0)] for label, n in c.backlog.by_age.items()]
        return to_csv(["figure", "current", "previous"], rows)
    if name == "agents":
        return to_csv(["agent", "replies_current", "replies_previous"],
                      [[a.agent, a.current, a.previous] for a in report.agents])
    if name in ("terms", "hashtags"):
        growth = report.terms if name == "terms" else report.hashtags
        return to_csv(["term", "complaints_current", "complaints_previous", "change"],
                      [[t.term, t.current, t.previous, t.change] for t in growth])
    if name == "followers":
        rows = [[a.account_id, a.handle, count, a.latest and getattr(a.latest, count), change.current,
                 change.previous, a.missing_days] for a in report.accounts for count, change in a.changes.items()]
        return to_csv(["account_id", "handle", "count", "latest", "change_current", "change_previous",
                       "days_missing"], rows)
    if name == "follower-days":
        return to_csv(["account_id", "handle", "day", "status", "followers", "following", "posts", "reason"],
                      [[a.account_id, a.handle, d.day, d.status, d.followers, d.following, d.posts, d.reason]
                       for a in report.accounts for d in a.days])
    return to_csv(["incident_id", "opened_at", "summary", "acknowledged_at", "acknowledged_by", "resolved_at",
                   "minutes_to_acknowledge"],
                  [[i.incident_id, i.opened_at, i.summary, i.acknowledged_at, i.acknowledged_by, i.resolved_at,
                    i.minutes_to_acknowledge] for i in report.incident_list])


ITEM_HEADER = ["id", "posted_at", "queue", "priority", "category", "sentiment", "language", "status", "assignee",
               "sla_due_at", "first_replied_at", "first_replied_by", "resolved_at", "first_response_min",
               "first_response_business_min", "resolution_min", "resolution_business_min", "sla_met",
               "author_handle", "text"]


async def item_rows(pool: asyncpg.Pool, *, brand: BrandContext, comparison: Comparison, queue: str | None,
                    agent: str | None, now: datetime) -> AsyncIterator[str]:
    """The current period's items as CSV, header first, in chunks read with a cursor."""
    current = comparison.current
    arrays = calendar_arrays(brand.calendar, since=current.start, until=max(current.end, now)) \
        if brand.calendar is not None else None
    starts, bases, ends = arrays.as_params() if arrays is not None else (None, None, None)
    yield to_csv(ITEM_HEADER, [])
    async with pool.acquire() as conn, conn.transaction():
        cursor = conn.cursor(queries.ITEM_ROWS, brand.brand_id, current.start, current.end, queue, starts, bases,
                             ends, now, agent, prefetch=ITEM_CHUNK)
        chunk: list[list[object]] = []
        async for row in cursor:
            chunk.append([str(row["id"]), *(row[k] for k in ITEM_HEADER[1:])])
            if len(chunk) >= ITEM_CHUNK:
                yield to_csv([], chunk)
                chunk = []
        if chunk:
            yield to_csv([], chunk)
