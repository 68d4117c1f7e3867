"""The score's pictures as inline SVG geometry: drawn on the server, readable without script.

The templates (feedback/_score_charts.html) print these numbers into `<svg>` elements with
presentation attributes only (the site's CSP allows no inline styles), next to a table
with the same numbers for screen readers. Coordinates are in the SVG's own units; the
drawing scales to its container through its viewBox.
"""

from dataclasses import dataclass
from datetime import date

from feedback.selectors import StarSummary, WeekScore

WEEKS_WIDTH = 400
WEEKS_HEIGHT = 200
PLOT_LEFT = 36
PLOT_RIGHT = WEEKS_WIDTH - 8
PLOT_TOP = 12
PLOT_BOTTOM = WEEKS_HEIGHT - 28
# A week at 0 % still shows a sliver, so that it differs from a week without ratings.
MIN_BAR = 2.0
# Four dates under the bars: the last week's, then every eighth week back.
TICK_EVERY = 8

STARS_WIDTH = 400
STAR_ROW = 26
STARS_LABEL = 36
STARS_BAR_MAX = 270


def _r(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class WeekBar:
    week: WeekScore
    x: float
    y: float
    width: float
    height: float

    @property
    def has_data(self) -> bool:
        return self.week.positive_percent is not None


@dataclass(frozen=True)
class WeeksChart:
    weeks: list[WeekScore]
    bars: list[WeekBar]
    gridlines: list[tuple[float, int]]  # (y, percent)
    ticks: list[tuple[float, date, str]]  # (x, the week's first day, text-anchor)
    width: int = WEEKS_WIDTH
    height: int = WEEKS_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    bottom: int = PLOT_BOTTOM

    @property
    def has_data(self) -> bool:
        return any(bar.has_data for bar in self.bars)


def weeks_chart(weeks: list[WeekScore]) -> WeeksChart:
    """One bar per week, its height the week's positive-feedback %; no bar for a week without ratings."""
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(1, len(weeks))
    plot_height = PLOT_BOTTOM - PLOT_TOP
    bars = []
    for n, week in enumerate(weeks):
        percent = week.positive_percent
        height = max(MIN_BAR, plot_height * percent / 100) if percent is not None else 0.0
        bars.append(
            WeekBar(
                week=week,
                x=_r(PLOT_LEFT + n * slot + slot * 0.15),
                y=_r(PLOT_BOTTOM - height),
                width=_r(slot * 0.7),
                height=_r(height),
            )
        )
    gridlines = [(_r(PLOT_BOTTOM - plot_height * percent / 100), percent) for percent in (0, 50, 100)]
    last = len(weeks) - 1
    # The last date ends at the plot's right edge rather than spilling past the drawing.
    ticks = [
        (_r(PLOT_RIGHT), weeks[n].start, "end")
        if n == last
        else (_r(PLOT_LEFT + n * slot + slot / 2), weeks[n].start, "middle")
        for n in range(last, -1, -TICK_EVERY)
    ][::-1]
    return WeeksChart(weeks=weeks, bars=bars, gridlines=gridlines, ticks=ticks)


@dataclass(frozen=True)
class StarRow:
    stars: int
    count: int
    percent: int
    y: float
    width: float


@dataclass(frozen=True)
class StarsChart:
    total: int
    rows: list[StarRow]
    width: int = STARS_WIDTH
    height: int = STAR_ROW * 5
    label_width: int = STARS_LABEL
    row_height: int = STAR_ROW


def stars_chart(summary: StarSummary) -> StarsChart:
    """One horizontal bar per star value, 5★ first, its length the share of all ratings."""
    rows = []
    for n, (stars, count, _rounded) in enumerate(summary.distribution):
        share = count / summary.count if summary.count else 0.0
        rows.append(
            StarRow(
                stars=stars,
                count=count,
                percent=round(share * 100),
                y=float(n * STAR_ROW),
                width=_r(max(MIN_BAR, STARS_BAR_MAX * share) if count else 0.0),
            )
        )
    return StarsChart(total=summary.count, rows=rows)
