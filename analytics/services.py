"""Per-athlete analytics: compose selectors (SQL) and metrics (pure maths), and cache."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from analytics import selectors
from analytics.selectors import PACE_ZONES
from analytics.series import AthleteSeries
from astral.localtime import local_date, local_midnight
from athletes.models import User
from metrics import rolling
from metrics.formatting import avg_pace
from metrics.rolling import days_between, iso_week_start
from metrics.streaks import streaks

BUCKET_METRICS = ["distance", "duration", "calories", "elevation_gain", *PACE_ZONES]


# (name in the API, column of the bucket row): the metric keys of every point.
POINT_KEYS = (
    ("distance", "distance"),
    ("duration", "duration"),
    ("nexrex_training_load", "training_load"),
    ("calories", "calories"),
    *((name, name) for name in PACE_ZONES),
)
ELEVATION = (("elevation_gain", "elevation_gain"),)


def _points(
    user: User,
    *,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    days: list[date],
    granularity: str,
    with_elevation: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One point per calendar bucket, to one decimal, zeros where nothing happened (400
    points per request: each made in one step from the row the database rounded), and the
    totals of the points as shown (summed column by column)."""
    keys = POINT_KEYS + ELEVATION if with_elevation else POINT_KEYS
    rows = selectors.bucket_points(
        user,
        start=start,
        end=end,
        tz=tz,
        granularity=granularity,
        columns=[column for _, column in keys],
    )
    names = ("date", *(name for name, _ in keys), "runs")
    zero: dict[str, Any] = dict.fromkeys(names[1:-1], 0.0)
    zero["runs"] = 0
    points = [
        dict(zip(names, row)) if (row := rows.get(day)) else {"date": day, **zero}  # noqa: B905
        for day in days
    ]
    columns = list(zip(*rows.values(), strict=True)) or [()] * len(names)
    totals: dict[str, Any] = {
        name: _total(name, column) for name, column in zip(names[1:-1], columns[1:-1], strict=True)
    }
    totals["runs"] = sum(columns[-1])
    return points, totals


def _total(name: str, column: tuple[Any, ...]) -> float | None:
    """A column's sum over the buckets; a zone time none of the activities has is null."""
    known = [value for value in column if value is not None]
    if name in PACE_ZONES and column and not known:
        return None
    return round(sum(known, 0.0), 1)


def _month_starts(first: date, last: date) -> list[date]:
    months = []
    cursor = first.replace(day=1)
    while cursor <= last:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def _week_starts(first: date, last: date) -> list[date]:
    cursor = iso_week_start(first)
    weeks = []
    while cursor <= last:
        weeks.append(cursor)
        cursor += timedelta(days=7)
    return weeks


def calendar(first: date, last: date, granularity: str) -> list[date]:
    """Every bucket start from `first` to `last`, so empty buckets are present."""
    if granularity == "day":
        return days_between(first, last)
    if granularity == "week":
        return _week_starts(first, last)
    return _month_starts(first, last)


# fitness_stats -------------------------------------------------------------------------


def fitness_stats(user: User, *, days: int, tz: tzinfo, today: date) -> dict[str, Any]:
    start = local_midnight(today - timedelta(days=days - 1), tz)
    end = local_midnight(today + timedelta(days=1), tz)
    totals = selectors.activity_totals(user, start=start, end=end)
    data: dict[str, Any] = {
        "days": days,
        "from": today - timedelta(days=days - 1),
        "to": today,
        "total_activities": totals["runs"],
        "total_distance": round(totals["total_distance"], 1),
        "total_duration": round(totals["total_duration"], 1),
        "avg_pace": avg_pace(totals["total_duration"], totals["total_distance"]),
    }
    if totals["hr_duration"]:
        data["avg_heart_rate"] = round(totals["hr_weighted"] / totals["hr_duration"])
    return data


# running_stats -------------------------------------------------------------------------

RANGE_GRANULARITY = {"daily": "day", "weekly": "day", "monthly": "week", "yearly": "month"}


def running_stats(
    user: User, *, start: datetime, end: datetime, range_type: str, tz: tzinfo
) -> list[dict[str, Any]]:
    granularity = RANGE_GRANULARITY[range_type]
    first_day = local_date(start, tz)
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    if range_type == "weekly":
        last_day = first_day + timedelta(days=6)
    points, _ = _points(
        user,
        start=start,
        end=end,
        tz=tz,
        days=calendar(first_day, last_day, granularity),
        granularity=granularity,
        with_elevation=False,
    )
    return points


# activity_stats ------------------------------------------------------------------------


def activity_stats(
    user: User, *, first: date, last: date, tz: tzinfo, tz_name: str, granularity: str
) -> dict[str, Any]:
    points, totals = _points(
        user,
        start=local_midnight(first, tz),
        end=local_midnight(last + timedelta(days=1), tz),
        tz=tz,
        days=calendar(first, last, granularity),
        granularity=granularity,
        with_elevation=True,
    )
    return {
        "from": first,
        "to": last,
        "timezone": tz_name,
        "granularity": granularity,
        "totals": totals,
        "buckets": points,
    }


# health_metrics ------------------------------------------------------------------------

HEALTH_FIELDS = ("resting_hr", "hrv", "vo2_max", "recovery_score")


def health_metrics(user: User, *, first: date, last: date, granularity: str) -> dict[str, Any]:
    buckets = selectors.health_buckets(user, first=first, last=last, granularity=granularity)
    series = []
    for day in calendar(first, last, granularity):
        row = buckets.get(day) or {}
        point: dict[str, Any] = {"date": day}
        for name in HEALTH_FIELDS:
            point[name] = rolling.round1(row.get(name))
        point["samples"] = int(row.get("samples", 0))
        series.append(point)
    return {"from": first, "to": last, "granularity": granularity, "series": series}


# running_streaks -----------------------------------------------------------------------


def running_streaks(user: User, *, days: int, tz: tzinfo, today: date) -> dict[str, Any]:
    first = today - timedelta(days=days - 1)
    daily = selectors.activity_buckets(
        user,
        start=local_midnight(first, tz),
        end=local_midnight(today + timedelta(days=1), tz),
        tz=tz,
        granularity="day",
        sport="run",
    )
    active = {day for day, row in daily.items() if row["runs"] > 0}
    result = streaks(active, first, today)
    return {
        "current_streak": result.current,
        "longest_streak": result.longest,
        "active_days": len(active),
        "calendar": [
            {
                "date": day,
                "active": day in active,
                "runs": int(daily[day]["runs"]) if day in daily else 0,
                "distance": round(float(daily[day]["distance"]), 1) if day in daily else 0.0,
            }
            for day in days_between(first, today)
        ],
    }


# charts and summary (from one AthleteSeries) -------------------------------------------


def weekly_totals(daily: Mapping[date, float], weeks: list[date], today: date) -> list[float]:
    return [
        round(rolling.sum_days(daily, monday, min(monday + timedelta(days=6), today)), 1)
        for monday in weeks
    ]


def charts(series: AthleteSeries) -> dict[str, Any]:
    today = series.today
    distance = series.daily_value("distance")
    load = series.daily_value("training_load")

    # Daily distance: last 30 days in km to one decimal (METRICS.md §4), trend = trailing
    # 7-day mean (days without runs count 0), the days before the first point included.
    days = days_between(today - timedelta(days=35), today)
    values = [(d, round(distance.get(d, 0.0) / 1000, 1)) for d in days]
    trend = rolling.trailing_means(values, 7)
    daily_distance = [
        {"date": d, "value": v, "trend": t} for (d, v), t in zip(values, trend, strict=True)
    ][-30:]

    # Weekly load: last 12 ISO weeks including this one, trend = trailing 4-week mean.
    this_monday = iso_week_start(today)
    mondays = [this_monday - timedelta(weeks=i) for i in range(14, -1, -1)]
    week_values = list(zip(mondays, weekly_totals(load, mondays, today), strict=True))
    week_trend = rolling.trailing_means(week_values, 4)
    weekly_training_load = [
        {"week_start": m, "value": v, "trend": t}
        for (m, v), t in zip(week_values, week_trend, strict=True)
    ][-12:]

    # Resting HR: last 90 days, null without a reading, trend = mean of the trailing 30 days.
    rhr_days = days_between(today - timedelta(days=118), today)
    rhr_values = [(d, (series.readings.get(d) or {}).get("resting_hr")) for d in rhr_days]
    rhr_trend = rolling.trailing_means(rhr_values, 30)
    resting_hr = [
        {"date": d, "value": v, "trend": t} for (d, v), t in zip(rhr_values, rhr_trend, strict=True)
    ][-90:]

    # HRV: last 60 days in ms, the 7-day mean and the normal range (60-day mean ± 1 SD).
    hrv_days = days_between(today - timedelta(days=118), today)
    hrv_values = [(d, (series.readings.get(d) or {}).get("hrv")) for d in hrv_days]
    hrv_mean = rolling.trailing_means(hrv_values, 7)
    hrv_band = rolling.normal_ranges(hrv_values, 60)
    hrv = [
        {
            "date": d,
            "value": v,
            "mean_7d": m,
            "normal_low": band[0] if band else None,
            "normal_high": band[1] if band else None,
        }
        for (d, v), m, band in zip(hrv_values, hrv_mean, hrv_band, strict=True)
    ][-60:]

    fitness = fitness_fatigue(series)[-90:]
    return {
        "hrv": hrv,
        "daily_distance": daily_distance,
        "weekly_training_load": weekly_training_load,
        "resting_hr": resting_hr,
        "fitness_fatigue": [
            {"date": f.date, "ctl": round(f.ctl, 1), "atl": round(f.atl, 1), "tsb": round(f.tsb, 1)}
            for f in fitness
        ],
    }


def fitness_fatigue(series: AthleteSeries) -> list[rolling.FitnessDay]:
    start = series.first_activity_day or series.today
    if start > series.today:
        start = series.today
    # Pad to 90 days with zeros before the first day of data so the chart is full width.
    out = rolling.fitness_fatigue(series.daily_value("training_load"), start, series.today)
    missing = 90 - len(out)
    if missing > 0:
        first = out[0].date if out else series.today
        pad = [
            rolling.FitnessDay(first - timedelta(days=i), 0.0, 0.0, 0.0)
            for i in range(missing, 0, -1)
        ]
        out = pad + out
    return out


def readings_mean(
    series: AthleteSeries, name: str, first: date, last: date
) -> tuple[float | None, int]:
    values = {d: row.get(name) for d, row in series.readings.items()}
    return rolling.window_mean(values, first, last)


def summary(series: AthleteSeries) -> dict[str, Any]:
    today = series.today
    distance = series.daily_value("distance")
    load = series.daily_value("training_load")
    this_week, last_week = rolling.this_and_last_week(distance, today)
    recent_rhr = [
        row["resting_hr"]
        for d, row in series.readings.items()
        if today - timedelta(days=6) <= d <= today and row.get("resting_hr") is not None
    ]
    resting_hr = rolling.round1(statistics.median(recent_rhr)) if recent_rhr else None
    active = {d for d, row in series.daily.items() if row["runs"] > 0}
    return {
        "weekly_distance": round(this_week, 1),
        "weekly_distance_change_pct": rolling.change_pct(this_week, last_week),
        "current_week_load": rolling.current_week_load(load, today),
        "four_week_avg_load": rolling.four_week_avg_load(load, today),
        "acute_chronic_ratio": rolling.acute_chronic_ratio(load, today),
        "resting_hr": resting_hr,
        "resting_hr_30d_avg": readings_mean(
            series, "resting_hr", today - timedelta(days=29), today
        )[0],
        "hrv_avg": readings_mean(series, "hrv", today - timedelta(days=6), today)[0],
        "vo2_max": readings_mean(series, "vo2_max", today - timedelta(days=6), today)[0],
        "current_streak": streaks(active, today - timedelta(days=365), today).current,
        "last_activity_at": series.last_activity_at,
    }
