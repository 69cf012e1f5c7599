"""Everything the per-athlete figures need, loaded for many athletes at once in a
constant number of queries (one more per distinct time zone)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from analytics import selectors
from astral.localtime import local_date, local_today
from athletes.models import User

HISTORY_DAYS = 365
HEALTH_DAYS = 120  # charts: 90 days of resting HR with a 30-day trend
SNAPSHOT_HEALTH_DAYS = 31  # snapshots: 30-day histories and two 7-day windows
RECENT_DAYS = 35


@dataclass(frozen=True)
class AthleteSeries:
    today: date
    tz: tzinfo
    daily: dict[date, dict[str, float]]  # activity totals per local day, last 365 days
    readings: dict[date, dict[str, float | None]]  # health readings, last 120 days
    first_activity_day: date | None
    last_activity_at: datetime | None
    # The five latest activities of the last five weeks, newest first.
    recent: list[selectors.RecentActivity] = field(default_factory=list)

    def daily_value(self, name: str) -> dict[date, float]:
        return {day: float(row[name]) for day, row in self.daily.items()}


def load_many(
    users: Sequence[User],
    *,
    today_for: dict[int, date] | None = None,
    recent_only: Collection[int] = (),
    bounds: Mapping[int, tuple[date | None, datetime | None]] | None = None,
) -> dict[int, AthleteSeries]:
    """Series for each user, each in their own time zone and local today; for the users in
    `recent_only` (whose fitness and streak are carried from yesterday's snapshot) the
    daily totals of the last `RECENT_DAYS` only. `bounds`: the first run's local day and the
    last run's start of the users whose snapshot carries them (else read)."""
    if not users:
        return {}
    todays = today_for or {u.pk: local_today(u.tz) for u in users}
    last = max(todays.values())
    first = min(todays.values()) - timedelta(days=HISTORY_DAYS)
    ids = [u.pk for u in users]
    # A year of loads and run counts (fitness, streaks), but distance and time only for the
    # weeks the snapshot shows: half the columns to fetch for the long window.
    year = [u for u in users if u.pk not in recent_only]
    recent_first = min(todays.values()) - timedelta(days=RECENT_DAYS)
    daily = selectors.daily_totals_by_user(year, first=first, last=last, fields=("training_load",))
    recent_days = selectors.daily_totals_by_user(
        year, first=recent_first, last=last, fields=("distance", "duration")
    )
    for user_id, days in daily.items():
        recent_user = recent_days.get(user_id, {})
        for day, row in days.items():
            extra = recent_user.get(day)
            row["distance"] = extra["distance"] if extra else 0.0
            row["duration"] = extra["duration"] if extra else 0.0
    # The carried athletes' five weeks, every column at once.
    weeks = [u for u in users if u.pk in recent_only]
    daily.update(
        selectors.daily_totals_by_user(
            weeks, first=recent_first, last=last, fields=("training_load", "distance", "duration")
        )
    )
    readings = selectors.readings_by_user(
        ids, first=min(todays.values()) - timedelta(days=SNAPSHOT_HEALTH_DAYS), last=last
    )
    known = bounds or {}
    read = selectors.activity_bounds_by_user([pk for pk in ids if pk not in known])
    # The five latest of the last five weeks, by each athlete's own days (not by the hour).
    recent = selectors.recent_activities_by_user(
        {u.pk: todays[u.pk] - timedelta(days=RECENT_DAYS) for u in users}
    )
    out = {}
    for user in users:
        if user.pk in known:
            first_day, last_start = known[user.pk]
        else:
            first_start, last_start = read.get(user.pk, (None, None))
            first_day = local_date(first_start, user.tz) if first_start else None
        out[user.pk] = AthleteSeries(
            today=todays[user.pk],
            tz=user.tz,
            daily=daily.get(user.pk, {}),
            readings=readings.get(user.pk, {}),
            first_activity_day=first_day,
            last_activity_at=last_start,
            recent=recent.get(user.pk, []),
        )
    return out


def load_series(user: User, *, tz: tzinfo, today: date) -> AthleteSeries:
    """One athlete's series in a given time zone (the analytics endpoints' `timezone`)."""
    first = today - timedelta(days=HISTORY_DAYS)
    daily = selectors.daily_loads_and_distance(user, first=first, last=today, tz=tz)
    readings = selectors.daily_readings(user, first=today - timedelta(days=HEALTH_DAYS), last=today)
    first_start, last_start = selectors.activity_bounds(user)
    return AthleteSeries(
        today=today,
        tz=tz,
        daily=daily,
        readings=readings,
        first_activity_day=local_date(first_start, tz) if first_start else None,
        last_activity_at=last_start,
    )
