"""The crisis chart geometry: every point inside the box, time left to right, peak at the top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from mentionflow_console.charts import PAD, volume_chart

T0 = datetime(2026, 1, 1, tzinfo=UTC)
series = st.lists(st.tuples(st.integers(0, 10_000).map(lambda s: T0 + timedelta(seconds=s)),
                            st.floats(0, 1e6, allow_nan=False)), max_size=60)


@given(series, st.floats(0, 1e6, allow_nan=False))
def test_points_stay_inside_the_box_in_time_order(points, baseline):
    chart = volume_chart(points, baseline=baseline, width=300, height=80)
    assert len(chart.points) == len(points)
    for x, y in chart.points:
        assert PAD - 1e-6 <= x <= 300 - PAD + 1e-6
        assert PAD - 1e-6 <= y <= 80 - PAD + 1e-6
    xs = [x for x, _ in chart.points]
    assert xs == sorted(xs)
    if points and max(v for _, v in points) >= baseline and max(v for _, v in points) > 0:
        assert min(y for _, y in chart.points) == PAD


def test_baseline_and_peak():
    chart = volume_chart([(T0, 2.0), (T0 + timedelta(minutes=1), 8.0)], baseline=4.0, width=108, height=108)
    assert chart.points == [(PAD, 4.0 + 100 * 0.75), (104.0, PAD)]
    assert chart.baseline_y == 54.0
    assert volume_chart([], baseline=0).points == []
