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


# --- analytics charts --------------------------------------------------------------------------

# Fixed colours per known value (the same on the page, in the PDF and from one period to the next).
COLOURS = {
    "complaint": "#c0392b", "crisis": "#6c1a12", "question": "#2e6da4", "praise": "#2e8b57", "other": "#7f8c8d",
    "negative": "#c0392b", "neutral": "#7f8c8d", "positive": "#2e8b57",
}
PALETTE = ("#2e6da4", "#d98c1f", "#8e44ad", "#16a085", "#b03a69", "#5d6d7e", "#a0522d", "#27ae60")


def colour_of(name: str, position: int) -> str:
    return COLOURS.get(name, PALETTE[position % len(PALETTE)])


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    segments: list[str]  # SVG polyline points, one string per run of steps with a value
    total: int

    @property
    def points(self) -> str:
        """All the points, for a line without gaps."""
        return " ".join(self.segments)


@dataclass(frozen=True)
class SeriesChart:
    width: int
    height: int
    lines: list[Line]
    peak: int  # the value the top edge stands for
    floor: int  # the value the axis stands for (0 unless the chart is zoomed on its range)
    labels: list[tuple[float, str]]  # x, text under the axis
    plot_left: float
    plot_bottom: float


AXIS_LEFT = 52.0
AXIS_BOTTOM = 20.0
PAD_RIGHT = 22.0  # room for half of the last step's label, centred on it


def series_chart(buckets: list[datetime], counts: dict[str, list[int | None]], *, label_format: str = "%d %b",
                 width: int = 960, height: int = 200, max_labels: int = 10, from_zero: bool = True) -> SeriesChart:
    """Several series over the same steps, scaled to one range: x evenly per step, y from the
    floor at the axis (0, or the smallest value when not `from_zero`: a follower count moves by
    a fraction of a percent) to the largest value at the top. A None step is a gap in its line,
    never a zero. At most `max_labels` step labels, evenly spread."""
    known = [v for values in counts.values() for v in values if v is not None]
    floor = 0 if from_zero or not known else min(known)
    peak = max(known, default=0)
    if peak <= floor:
        peak = floor + 1
    inner_w = width - AXIS_LEFT - PAD_RIGHT
    inner_h = height - AXIS_BOTTOM - PAD
    steps = max(1, len(buckets) - 1)

    def x_of(index: int) -> float:
        return AXIS_LEFT + (inner_w * index / steps if len(buckets) > 1 else inner_w / 2)

    def y_of(value: int) -> float:
        return PAD + inner_h * (1 - (value - floor) / (peak - floor))

    def segments(values: list[int | None]) -> list[str]:
        runs: list[list[str]] = [[]]
        for j, v in enumerate(values):
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append(f"{x_of(j):.1f},{y_of(v):.1f}")
        return [" ".join(run) for run in runs if run]

    lines = [Line(name, colour_of(name, i), segments(values), sum(v for v in values if v is not None))
             for i, (name, values) in enumerate(counts.items())]
    every = max(1, -(-len(buckets) // max_labels))
    labels = [(x_of(i), b.strftime(label_format)) for i, b in enumerate(buckets) if i % every == 0]
    return SeriesChart(width, height, lines, peak, floor, labels, AXIS_LEFT, height - AXIS_BOTTOM)


@dataclass(frozen=True)
class Bar:
    name: str
    value: float
    colour: str
    length: float  # in the chart's units, 0..width of the bar area
    previous: float | None
    previous_length: float | None


def bar_rows(current: dict[str, float], previous: dict[str, float] | None = None, *,
             width: float = 220.0) -> list[Bar]:
    """Horizontal bars on one scale for the current values and (thin, beside them) the previous."""
    values = list(current.values()) + (list(previous.values()) if previous else [])
    peak = max([v for v in values if v is not None], default=0) or 1
    bars = []
    for i, (name, value) in enumerate(current.items()):
        before = previous.get(name, 0) if previous is not None else None
        bars.append(Bar(name, value, colour_of(name, i), width * (value or 0) / peak, before,
                        width * before / peak if before is not None else None))
    return bars
