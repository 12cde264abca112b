"""Geometry of the crisis board's volume chart, drawn as inline SVG by the template.

Pure: points in, coordinates out, so it is tested directly and no chart code runs in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[tuple[float, float]]  # SVG coordinates, left to right
    peak: float  # the value the top edge stands for
    baseline_y: float | None  # y of the brand's normal rate, when known
    start: datetime | None
    end: datetime | None

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)

    @property
    def area(self) -> str:
        """Closed polygon under the line, for the shaded fill."""
        if not self.points:
            return ""
        bottom = self.height - PAD
        return f"{self.points[0][0]:.1f},{bottom:.1f} {self.polyline} {self.points[-1][0]:.1f},{bottom:.1f}"


PAD = 4.0


def volume_chart(series: list[tuple[datetime, float]], *, baseline: float = 0.0, width: int = 320,
                 height: int = 80) -> Chart:
    """Scale a time series into a width × height box (PAD inside every edge). Time runs along
    x in proportion to the timestamps; the top of the box is the larger of the peak and the
    baseline, so the baseline line always fits."""
    ordered = sorted(series)
    peak = max([baseline, *(v for _, v in ordered)], default=0.0) or 1.0
    inner_w, inner_h = width - 2 * PAD, height - 2 * PAD

    def y_of(value: float) -> float:
        return PAD + inner_h * (1 - max(0.0, value) / peak)

    if not ordered:
        return Chart(width, height, [], peak, y_of(baseline) if baseline else None, None, None)
    start, end = ordered[0][0], ordered[-1][0]
    span = (end - start).total_seconds()
    points = []
    for index, (at, value) in enumerate(ordered):
        if span > 0:
            fraction = (at - start).total_seconds() / span
        else:  # one instant: spread evenly so a single point is still visible
            fraction = index / max(1, len(ordered) - 1) if len(ordered) > 1 else 1.0
        points.append((PAD + inner_w * fraction, y_of(value)))
    return Chart(width, height, points, peak, y_of(baseline) if baseline else None, start, end)
