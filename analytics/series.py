"""Everything the per-athlete figures need, loaded in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from analytics import selectors
from athletes.models import User

HISTORY_DAYS = 365
HEALTH_DAYS = 120


@dataclass(frozen=True)
class AthleteSeries:
    today: date
    tz: tzinfo
    daily: dict[date, dict[str, float]]  # activity totals per local day, last 365 days
    readings: dict[date, dict[str, float | None]]  # health readings, last 120 days
    first_activity_day: date | None
    last_activity_at: datetime | None

    def daily_value(self, name: str) -> dict[date, float]:
        return {day: float(row[name]) for day, row in self.daily.items()}


def load_series(user: User, *, tz: tzinfo, today: date) -> AthleteSeries:
    first = today - timedelta(days=HISTORY_DAYS)
    daily = selectors.daily_loads_and_distance(user, first=first, last=today, tz=tz)
    readings = selectors.daily_readings(user, first=today - timedelta(days=HEALTH_DAYS), last=today)
    bounds = selectors.activity_bounds(user)
    first_day = bounds[0].astimezone(tz).date() if bounds[0] else None
    return AthleteSeries(
        today=today,
        tz=tz,
        daily=daily,
        readings=readings,
        first_activity_day=first_day,
        last_activity_at=bounds[1],
    )
