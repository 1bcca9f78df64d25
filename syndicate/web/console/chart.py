"""The dashboard's growth chart: active subscribers per day over the last 90 days, drawn on
the server as SVG (no script, no chart library, no asset from anywhere: the numbers become
one polyline the template draws). Written by hand: a line of 90 points needs arithmetic,
not a plotting library (matplotlib alone is ~40 MB).

The series comes from each subscriber's current row (store/subscriber_pages.subscriber_growth):
the day it was added, and the day it left if it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from syndicate.store.db import Database
from syndicate.store.subscriber_pages import subscriber_growth

DAYS = 90
WIDTH, HEIGHT, PAD = 600.0, 160.0, 8.0


@dataclass(frozen=True)
class GrowthChart:
    first_day: str
    last_day: str
    low: int
    high: int
    now: int
    change: int  # now minus 90 days ago
    line: str  # "x,y x,y …" in the 600 × 160 box
    area: str  # the same, closed along the bottom
    width: float = WIDTH
    height: float = HEIGHT


def growth_series(conn: Database, today: date) -> list[tuple[date, int]]:
    """(day, active subscribers at its end) for the DAYS days ending `today`."""
    first = today - timedelta(days=DAYS - 1)
    joined, left, count = subscriber_growth(conn, first.isoformat())
    series = []
    for n in range(DAYS):
        day = first + timedelta(days=n)
        key = day.isoformat()
        count += joined.get(key, 0) - left.get(key, 0)
        series.append((day, count))
    return series


def growth_chart(series: list[tuple[date, int]]) -> GrowthChart:
    values = [v for _d, v in series]
    low, high = min(values), max(values)
    span = max(high - low, 1)
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = [
        (PAD + i * step, HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD))
        for i, v in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    bottom = HEIGHT - PAD
    area = f"{points[0][0]:.1f},{bottom:.1f} {line} {points[-1][0]:.1f},{bottom:.1f}"
    return GrowthChart(
        first_day=series[0][0].isoformat(),
        last_day=series[-1][0].isoformat(),
        low=low,
        high=high,
        now=values[-1],
        change=values[-1] - values[0],
        line=line,
        area=area,
    )
