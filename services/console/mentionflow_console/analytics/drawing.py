"""The charts of a report, ready for the templates (page, print and PDF draw the same ones)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mentionflow_console import charts
from mentionflow_console.analytics.models import Report


def chart_context(report: Report) -> dict:
    """The charts every rendering of a report draws (page, print, PDF)."""
    label = "%H:%M" if report.bucket == "hour" else "%d %b"
    c, p = report.current, report.previous
    return {
        "category_chart": charts.series_chart(_local(report, report.by_category.buckets), report.by_category.counts,
                                              label_format=label),
        "sentiment_chart": charts.series_chart(_local(report, report.by_sentiment.buckets),
                                               report.by_sentiment.counts, label_format=label),
        "language_bars": charts.bar_rows(c.by_language, p.by_language),
        "sentiment_bars": charts.bar_rows(c.by_sentiment, p.by_sentiment),
        "category_bars": charts.bar_rows(c.by_category, p.by_category),
        "age_bars": charts.bar_rows(c.backlog.by_age, p.backlog.by_age),
        "agent_bars": charts.bar_rows({a.agent: a.current for a in report.agents},
                                      {a.agent: a.previous for a in report.agents}),
        # One chart per account: accounts of one brand can differ by orders of magnitude.
        "follower_charts": [(account, charts.series_chart(
            [d.day for d in account.days], {f"@{account.handle}": [d.followers for d in account.days]},
            from_zero=False, height=160)) for account in report.accounts],
    }


def _local(report: Report, buckets: list[datetime]) -> list[datetime]:
    tz = ZoneInfo(report.time_zone)
    return [b.astimezone(tz) for b in buckets]
