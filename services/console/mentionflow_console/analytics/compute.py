"""One brand's report: the queries run concurrently, folded into the figures (models.py)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg

from mentionflow_console.analytics import queries
from mentionflow_console.analytics.brands import BrandContext
from mentionflow_console.analytics.business_time import calendar_arrays
from mentionflow_console.analytics.catch_up import catch_up
from mentionflow_console.analytics.definitions import MIN_TERM_COUNT, STOP_WORDS
from mentionflow_console.analytics.growth import account_growth, first_day_needed
from mentionflow_console.analytics.models import (
    AgentReplies,
    Backlog,
    IncidentRow,
    Incidents,
    PeriodFigures,
    Report,
    Series,
    Spread,
    TermGrowth,
)
from mentionflow_console.analytics.period import Comparison, Period
from mentionflow_console.analytics.summary import summary

AGE_BUCKETS = (("under 1 h", "under_1h"), ("1–4 h", "from_1h_to_4h"), ("4–24 h", "from_4h_to_1d"),
               ("1–3 days", "from_1d_to_3d"), ("over 3 days", "over_3d"))
DIMENSIONS = ("category", "sentiment", "language")


def scope_of(brand: BrandContext, comparison: Comparison, *, queue: str | None, agent: str | None) -> queries.Scope:
    return queries.Scope(brand.brand_id, comparison.previous.start, comparison.current.start, comparison.current.end,
                         queue, agent)


def _spread(values: list[float] | None) -> Spread:
    if values is None:
        return Spread(median=None, p90=None)
    return Spread(median=values[0], p90=values[1])


def _backlog(row: asyncpg.Record | None, as_of: datetime) -> Backlog:
    if row is None:  # nothing open then
        return Backlog(as_of=as_of, open=0, median_age_hours=None, oldest_age_hours=None,
                       by_age={label: 0 for label, _ in AGE_BUCKETS})
    return Backlog(as_of=as_of, open=row["open"], median_age_hours=row["median_age_h"],
                   oldest_age_hours=row["oldest_age_h"], by_age={label: row[key] for label, key in AGE_BUCKETS})


def _buckets(period: Period) -> list[datetime]:
    """Every chart step of the period (local midnights or hours), so empty steps show as zero."""
    out = []
    if period.bucket == "hour":
        at = period.start
        while at < period.end:
            out.append(at)
            at += timedelta(hours=1)
        return out
    day = period.first_day
    while day <= period.last_day:
        out.append(Period(day, day, period.tz).start)
        day += timedelta(days=1)
    return out


def on_whole_hours(comparison: Comparison) -> bool:
    """Whether every edge the figures count between (the periods' ends, the chart's steps) is a
    whole UTC hour, so the hourly counts add up to exactly the items of each period and step: in
    any zone whose offset is whole hours (not India's +05:30, say)."""
    edges = [comparison.previous.start, *_buckets(comparison.current), comparison.current.end]
    return all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in edges)


async def build_report(pool: asyncpg.Pool, *, brand: BrandContext, comparison: Comparison, queue: str | None,
                       agent: str | None, now: datetime) -> Report:
    scope = scope_of(brand, comparison, queue=queue, agent=agent)
    current, previous = comparison.current, comparison.previous
    await catch_up(pool)  # everything committed before the report counts in it
    hourly = on_whole_hours(comparison)
    arrays = None
    if brand.calendar is not None:
        arrays = calendar_arrays(brand.calendar, since=previous.start, until=max(current.end, now))
    as_of_now, as_of_before = min(current.end, now), min(previous.end, now)
    volume, timings_now, timings_before, backlogs, agents, growing, incident_figures, incident_list, snapshots = \
        await asyncio.gather(
            queries.volume(pool, scope, bucket=current.bucket, time_zone=brand.time_zone, hourly=hourly),
            queries.timings(pool, scope, current=True, calendar=arrays, now=now),
            queries.timings(pool, scope, current=False, calendar=arrays, now=now),
            queries.backlog(pool, scope, as_of=sorted({as_of_now, as_of_before})),
            queries.agents(pool, scope),
            queries.growing(pool, scope, stop_words=STOP_WORDS, min_count=MIN_TERM_COUNT, hourly=hourly),
            queries.incident_figures(pool, scope),
            queries.incident_list(pool, scope),
            queries.account_days(pool, brand.brand_id, first=first_day_needed(comparison), last=current.last_day))

    totals: dict[bool, dict[str, dict[str, int]]] = {flag: {d: defaultdict(int) for d in DIMENSIONS}
                                                     for flag in (True, False)}
    buckets = _buckets(current)
    index = {b: i for i, b in enumerate(buckets)}
    series: dict[str, dict[str, list[int]]] = {d: {} for d in DIMENSIONS}
    for row in volume:
        for dimension in DIMENSIONS:
            totals[row["is_current"]][dimension][row[dimension]] += row["n"]
            if row["is_current"]:
                step = index.get(row["bucket"])
                if step is not None:  # always, as both sides step the same local calendar
                    series[dimension].setdefault(row[dimension], [0] * len(buckets))[step] += row["n"]
    timed = {row["is_current"]: row for row in timings_now + timings_before}
    incidents = {row["is_current"]: row for row in incident_figures}

    def figures(period: Period, flag: bool, backlog: Backlog) -> PeriodFigures:
        t, inc = timed.get(flag), incidents.get(flag)
        return PeriodFigures(
            first_day=period.first_day, last_day=period.last_day,
            items=t["items"] if t else 0,
            by_category=_sorted(totals[flag]["category"]), by_sentiment=_sorted(totals[flag]["sentiment"]),
            by_language=_sorted(totals[flag]["language"]),
            answered=t["answered"] if t else 0, resolved=t["resolved"] if t else 0,
            first_response_business=_spread(t["response_business"] if t else None),
            first_response_wall=_spread(t["response_wall"] if t else None),
            resolution_business=_spread(t["resolution_business"] if t else None),
            resolution_wall=_spread(t["resolution_wall"] if t else None),
            sla_due=t["sla_due"] if t else 0, sla_met=t["sla_met"] if t else 0, backlog=backlog,
            incidents=Incidents(opened=inc["incidents"] if inc else 0, acknowledged=inc["acknowledged"] if inc else 0,
                                to_acknowledge=_spread(inc["to_acknowledge"] if inc else None)))

    now_figures = figures(current, True, _backlog(backlogs.get(as_of_now), as_of_now))
    before_figures = figures(previous, False, _backlog(backlogs.get(as_of_before), as_of_before))
    accounts = account_growth(snapshots or [], comparison)
    return Report(
        brand_id=brand.brand_id, brand_name=brand.name, agency=brand.agency, time_zone=brand.time_zone,
        business_hours=brand.hours_text, queue=queue, agent=agent, bucket=current.bucket, generated_at=now,
        current=now_figures, previous=before_figures,
        by_category=Series(buckets=buckets, counts=dict(sorted(series["category"].items()))),
        by_sentiment=Series(buckets=buckets, counts=dict(sorted(series["sentiment"].items()))),
        by_language=Series(buckets=buckets, counts=dict(sorted(series["language"].items()))),
        agents=[AgentReplies(agent=r["agent"], current=r["current"], previous=r["previous"]) for r in agents],
        terms=[TermGrowth(term=r["term"], current=r["current"], previous=r["previous"])
               for r in growing if r["kind"] == "term"],
        hashtags=[TermGrowth(term=r["term"], current=r["current"], previous=r["previous"])
                  for r in growing if r["kind"] == "hashtag"],
        incident_list=[IncidentRow(incident_id=r["incident_id"], opened_at=r["opened_at"], summary=r["summary"],
                                   acknowledged_at=r["acknowledged_at"], acknowledged_by=r["acknowledged_by"],
                                   resolved_at=r["resolved_at"], minutes_to_acknowledge=r["to_acknowledge"])
                       for r in incident_list],
        snapshots_kept=snapshots is not None, accounts=accounts,
        summary=summary(now_figures, before_figures, accounts))


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    """Largest first, then by name: the order of legends and tables."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
