"""The pure parts of the analytics: periods and their bad input, business-time arrays from the
brand calendar across DST, the written summary, the chart geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from mentionflow.brandconfig import load_config
from mentionflow_console import charts
from mentionflow_console.analytics import period
from mentionflow_console.analytics.business_time import calendar_arrays
from mentionflow_console.analytics.compute import on_whole_hours
from mentionflow_console.analytics.models import Backlog, Incidents, PeriodFigures, Spread
from mentionflow_console.analytics.summary import minutes_text, summary
from mentionflow_console.errors import InvalidInput

from tests.console.harness import BRAND_CONFIG

PARIS = ZoneInfo("Europe/Paris")


def test_range_defaults_previous_period_and_bad_input():
    comparison = period.date_range(start=None, end=None, tz=PARIS, today=date(2026, 3, 31))
    assert (comparison.current.first_day, comparison.current.last_day) == (date(2026, 3, 4), date(2026, 3, 31))
    assert (comparison.previous.first_day, comparison.previous.last_day) == (date(2026, 2, 4), date(2026, 3, 3))
    # The local midnights: one CET, one CEST.
    assert comparison.current.start == datetime(2026, 3, 3, 23, tzinfo=UTC)
    assert comparison.current.end == datetime(2026, 3, 31, 22, tzinfo=UTC)
    with pytest.raises(InvalidInput) as before:
        period.date_range(start=date(2026, 3, 2), end=date(2026, 3, 1), tz=PARIS, today=date(2026, 3, 31))
    assert before.value.field == "end"
    with pytest.raises(InvalidInput) as long:
        period.date_range(start=date(2026, 1, 1), end=date(2026, 4, 3), tz=PARIS, today=date(2026, 4, 3))
    assert long.value.field == "end" and "93 days" in long.value.reason
    assert period.date_range(start=date(2026, 1, 1), end=date(2026, 4, 2), tz=PARIS,
                             today=date(2026, 4, 3)).current.days == 92
    assert period.date_range(start=date(2026, 3, 1), end=date(2026, 3, 2), tz=PARIS,
                             today=date(2026, 4, 3)).current.bucket == "hour"


def test_months():
    january = period.month_range(month="2026-01", tz=PARIS, today=date(2026, 5, 1))
    assert (january.previous.first_day, january.previous.last_day) == (date(2025, 12, 1), date(2025, 12, 31))
    default = period.month_range(month=None, tz=PARIS, today=date(2026, 1, 15))
    assert default.current.first_day == date(2025, 12, 1) and default.current.label() == "December 2025"
    for bad in ("2026-13", "2026", "march", "2026-02-01", "0999-01"):
        with pytest.raises(InvalidInput) as refused:
            period.parse_month(bad)
        assert refused.value.field == "month"


def test_business_time_arrays_count_real_hours_across_dst():
    brand = load_config(BRAND_CONFIG).brands["brand-a"]
    arrays = calendar_arrays(brand.calendar, since=datetime(2026, 3, 27, tzinfo=UTC),
                             until=datetime(2026, 3, 31, tzinfo=UTC))
    assert arrays is not None
    lengths = dict(zip(arrays.starts, arrays.secs, strict=True))
    assert lengths[datetime(2026, 3, 28, 23, tzinfo=UTC)] == 5 * 3600  # Sunday 00:00 CET - 06:00 CEST
    assert lengths[datetime(2026, 3, 27, 8, tzinfo=UTC)] == 9 * 3600  # Friday 09:00 CET
    assert lengths[datetime(2026, 3, 30, 7, tzinfo=UTC)] == 9 * 3600  # Monday 09:00 CEST
    assert arrays.cum == [sum(arrays.secs[:i]) for i in range(len(arrays.secs))]
    assert arrays.starts == sorted(arrays.starts)


def test_overnight_ranges_are_one_stretch():
    from mentionflow.brandconfig.calendar import BusinessCalendar
    from mentionflow.brandconfig.models import TimeRange

    late, early = TimeRange.model_validate("22:00-24:00"), TimeRange.model_validate("00:00-06:00")
    calendar = BusinessCalendar("UTC", ((late,), (early,), (), (), (), (), ()), frozenset())
    arrays = calendar_arrays(calendar, since=datetime(2026, 3, 2, tzinfo=UTC), until=datetime(2026, 3, 3, tzinfo=UTC))
    assert arrays is not None
    assert (arrays.starts, arrays.secs) == ([datetime(2026, 3, 2, 22, tzinfo=UTC)], [8 * 3600.0])
    assert calendar_arrays(BusinessCalendar("UTC", ((),) * 7, frozenset()), since=datetime(2026, 3, 2, tzinfo=UTC),
                           until=datetime(2026, 3, 3, tzinfo=UTC)) is None


def _figures(*, items: int, complaints: int, response: float | None = None, sla: tuple[int, int] = (0, 0),
             incidents: int = 0) -> PeriodFigures:
    nothing = Spread(median=None, p90=None)
    return PeriodFigures(
        first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), items=items,
        by_category={"complaint": complaints}, by_sentiment={}, by_language={}, answered=0, resolved=0,
        first_response_business=Spread(median=response, p90=None), first_response_wall=Spread(median=response,
                                                                                             p90=None),
        resolution_business=nothing, resolution_wall=nothing, sla_met=sla[0], sla_due=sla[1],
        backlog=Backlog(as_of=datetime(2026, 4, 1, tzinfo=UTC), open=1, median_age_hours=None, oldest_age_hours=None,
                        by_age={}),
        incidents=Incidents(opened=incidents, acknowledged=0, to_acknowledge=nothing))


def test_summary_wording():
    text = summary(_figures(items=108, complaints=44, response=14, sla=(96, 100)), _figures(items=100, complaints=50))
    assert text.startswith("Complaints fell 12 % (to 44) while volume rose 8 % (to 108). Median first response "
                           "14 min in business hours (14 min round the clock); SLA met for 96 % of items.")
    assert text.endswith("No incident. 1 item open at the end of the period.")
    both_up = summary(_figures(items=10, complaints=5, incidents=1), _figures(items=5, complaints=0))
    assert both_up.startswith("Complaints 5 (none the period before) and volume rose 100 % (to 10). "
                              "No item was answered; no SLA came due. 1 incident; none acknowledged.")
    assert [minutes_text(m) for m in (None, 14.4, 90, 47 * 60, 3 * 1440)] == ["–", "14 min", "1.5 h", "47.0 h",
                                                                                "3.0 days"]


def test_series_chart_and_bars_geometry():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    buckets = [start + timedelta(days=i) for i in range(3)]
    chart = charts.series_chart(buckets, {"complaint": [0, 4, 2], "praise": [1, 1, 1]}, width=240, height=118)
    complaint = chart.lines[0]
    assert chart.peak == 4 and complaint.total == 6 and complaint.colour == charts.COLOURS["complaint"]
    # x from the axis (52) to width - PAD_RIGHT (218); y from the bottom (98) to PAD (4).
    assert complaint.points == "52.0,98.0 135.0,4.0 218.0,51.0"
    assert [label for _, label in chart.labels] == ["01 Mar", "02 Mar", "03 Mar"]
    # A follower chart: zoomed on its range, a missing day a gap (two segments), never a zero.
    growth = charts.series_chart(buckets + [start + timedelta(days=3)], {"BrandA": [1000, None, 1010, 1020]},
                                 width=240, height=118, from_zero=False)
    assert (growth.floor, growth.peak) == (1000, 1020)
    assert growth.lines[0].segments == ["52.0,98.0", "162.7,51.0 218.0,4.0"]
    bars = charts.bar_rows({"en": 4, "fr": 2}, {"en": 8}, width=100)
    assert [(b.length, b.previous_length) for b in bars] == [(50.0, 100.0), (25.0, 0.0)]


def test_dates_outside_the_supported_years_name_their_field():
    for start, end, field in ((date(1, 1, 1), None, "start"), (None, date(9999, 12, 31), "end")):
        with pytest.raises(InvalidInput) as refused:
            period.date_range(start=start, end=end, tz=PARIS, today=date(2026, 3, 31))
        assert refused.value.field == field


@pytest.mark.parametrize(("zone", "start", "end", "hourly"), [
    ("Europe/Paris", date(2026, 3, 1), date(2026, 3, 31), True),  # across the DST change: still whole hours
    ("Europe/Paris", date(2026, 3, 29), date(2026, 3, 29), True),  # charted per hour
    ("Asia/Kolkata", date(2026, 3, 1), date(2026, 3, 31), False),  # local midnight is 18:30 UTC
    ("Asia/Kathmandu", date(2026, 3, 29), date(2026, 3, 30), False),  # +05:45, per hour
    ("UTC", date(2026, 3, 29), date(2026, 3, 29), True),
])
def test_hourly_counts_serve_only_ranges_on_whole_utc_hours(zone, start, end, hourly):  # noqa: ANN001
    comparison = period.date_range(start=start, end=end, tz=ZoneInfo(zone), today=date(2026, 4, 1))
    assert on_whole_hours(comparison) is hourly
