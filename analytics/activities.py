"""One run in detail, for the API's `?include=` parts and the activity page alike: charts
reduced on the server (LTTB, at most `SERIES_POINTS` per series, so a six-hour ultra loads
like a 5K), laps as recorded, splits, time in zones, places among the athlete's efforts and
the comment thread."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from analytics.metrics.efforts import BY_KEY, lttb
from analytics.metrics.formatting import METERS_PER_MILE
from analytics.metrics.splits import splits
from analytics.records import MARKS
from athletes import streams
from athletes.models import RUNNING_SPORTS, Activity, ActivityComment, ActivityStream, BestEffort
from athletes.selectors import TrainingContext

SERIES_POINTS = 1000
SPEED_WINDOW_S = 10.0  # pace from the distance covered over 10 s around each sample
STOPPED_SPEED_M_S = 0.5
INCLUDES = ("samples", "series", "laps", "splits", "zones", "best_efforts", "comments")


def stream_of(activity: Activity) -> tuple[dict[str, list[Any]], ActivityStream | None]:
    stream = ActivityStream.objects.filter(activity=activity).first()
    return (streams.unpack(stream.data) if stream else {}), stream


def _speeds(times: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """m/s at each sample: distance over the `SPEED_WINDOW_S` around it (interpolated)."""
    half = SPEED_WINDOW_S / 2
    low = np.clip(times - half, times[0], times[-1])
    high = np.clip(times + half, times[0], times[-1])
    span = np.where(high > low, high - low, np.nan)
    return (np.interp(high, times, distances) - np.interp(low, times, distances)) / span


def series(columns: dict[str, list[Any]], sport: str) -> dict[str, Any]:
    """Pace (s/km), heart rate, elevation and cadence over distance and time, each reduced
    to at most `SERIES_POINTS` points that keep its shape. Cadence is steps per minute for a
    run (devices store strides, one foot), revolutions for anything else."""
    times = columns.get("t") or []
    distances = columns.get("distance") or []
    out: dict[str, Any] = {}
    if len(times) < 2:
        return out
    t = np.array(times, dtype=np.float64)
    d = np.array([np.nan if v is None else v for v in distances] or [np.nan] * len(t))
    has_d = ~np.isnan(d)
    values: dict[str, np.ndarray] = {}
    if has_d.sum() >= 2:
        filled = np.interp(t, t[has_d], np.maximum.accumulate(d[has_d]))
        speed = _speeds(t, filled)
        values["pace"] = np.where(speed >= STOPPED_SPEED_M_S, 1000.0 / speed, np.nan)
        d = filled
    doubling = 2.0 if sport in RUNNING_SPORTS else 1.0
    for name, factor in (("heart_rate", 1.0), ("altitude", 1.0), ("cadence", doubling)):
        column = columns.get(name)
        if column and any(v is not None for v in column):
            raw = np.array([np.nan if v is None else float(v) * factor for v in column])
            if name == "heart_rate":
                raw[raw <= 0] = np.nan  # a 0 from a strap is "no reading"
            values[name] = raw
    x_axis = d if not np.isnan(d).all() else t
    for name, column in values.items():
        keep = np.flatnonzero(~np.isnan(column))
        if keep.size < 2:
            continue
        chosen = keep[lttb(x_axis[keep].tolist(), column[keep].tolist(), SERIES_POINTS)]
        out[name] = {
            "t": [round(float(v), 1) for v in t[chosen]],
            "distance": [round(float(v), 1) for v in d[chosen]] if has_d.any() else None,
            "value": [round(float(v), 1) for v in column[chosen]],
        }
    return out


def split_rows(columns: dict[str, list[Any]], unit_system: str) -> list[dict[str, Any]]:
    """Splits per km, or per mile for an imperial viewer; pace in seconds per that unit."""
    length = METERS_PER_MILE if unit_system == "imperial" else 1000.0
    rows = splits(
        columns.get("t", []),
        columns.get("distance") or [],
        columns.get("heart_rate"),
        columns.get("altitude"),
        length=length,
    )
    return [
        {
            "number": s.number,
            "distance": round(s.distance, 1),
            "seconds": round(s.seconds, 1),
            "pace": round(s.seconds / (s.distance / length), 1) if s.distance else None,
            "avg_heart_rate": round(s.avg_heart_rate, 1) if s.avg_heart_rate else None,
            "elevation_change": round(s.elevation_change, 1)
            if s.elevation_change is not None
            else None,
        }
        for s in rows
    ]


def lap_rows(stream: ActivityStream | None) -> list[dict[str, Any]]:
    return [{"number": i, **lap} for i, lap in enumerate(stream.laps if stream else [], start=1)]


def zone_rows(activity: Activity, context: TrainingContext) -> dict[str, Any]:
    """Time in each HR and pace zone (stored at import, METRICS.md §2) with the bounds they
    were cut at: HR upper bounds in bpm, pace boundaries in seconds per km."""
    return {
        "hr": {
            "seconds": [getattr(activity, f"hr_z{i}_time") for i in range(1, 6)],
            "upper_bounds": context.hr_zones,
        },
        "pace": {
            "seconds": [getattr(activity, f"pace_z{i}_time") for i in range(1, 6)],
            "boundaries": context.pace_zones,
        },
    }


def effort_rows(activity: Activity) -> list[dict[str, Any]]:
    """The run's best efforts, each with its place among the athlete's efforts all time."""
    faster = (
        BestEffort.objects.filter(
            user_id=OuterRef("user_id"),
            distance_key=OuterRef("distance_key"),
            seconds__lt=OuterRef("seconds"),
        )
        .values("user_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    mine = list(
        BestEffort.objects.filter(activity=activity)
        .annotate(faster=Coalesce(Subquery(faster), 0))
        .values("distance_key", "seconds", "start_offset", "faster")
    )
    order = list(BY_KEY)
    return [
        {
            "distance": row["distance_key"],
            "label": BY_KEY[row["distance_key"]].label,
            "seconds": row["seconds"],
            "start_offset": row["start_offset"],
            "place": row["faster"] + 1,
            "mark": MARKS.get(row["faster"] + 1),
        }
        for row in sorted(mine, key=lambda r: order.index(r["distance_key"]))
    ]


def comment_rows(activity: Activity) -> list[dict[str, Any]]:
    return [
        {
            "comment_id": comment.pk,
            "author_id": comment.author.public_id if comment.author else None,
            "author_name": comment.author.name if comment.author else "Deleted user",
            "text": comment.text,
            "created_at": comment.created_at,
        }
        for comment in ActivityComment.objects.filter(activity=activity).select_related("author")
    ]
