"""Personal records and the pace curve, read from what each run stored at import
(`BestEffort`, `PaceCurve`): one indexed statement each, never a rescan of streams."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections

from astral import cache
from astral.localtime import local_date, local_midnight
from athletes.models import Activity, BestEffort, PaceCurve, User
from metrics.efforts import BY_KEY, CURVE_SECONDS, STANDARD_DISTANCES
from metrics.formatting import format_duration
from metrics.vdot import vdot_from_race

MARKS = {1: "PR", 2: "2nd", 3: "3rd"}
VDOT_WINDOW = timedelta(days=90)
VDOT_MIN_DISTANCE = BY_KEY["1mi"].meters  # shorter efforts overstate endurance


def _effort(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    return {
        "activity_id": row["activity__public_id"],
        "activity_name": row["activity__name"],
        "start_time": row["start_time"],
        "date": local_date(row["start_time"], tz),
        "seconds": row["seconds"],
        "time": format_duration(row["seconds"]),
    }


def personal_records(athlete: User, *, today: date) -> dict[str, Any]:
    """For each standard distance: the best all time, the best this (local) year, and the
    history of records, each effort that beat every earlier one, oldest first."""
    tz = athlete.tz
    rows = list(
        BestEffort.objects.filter(user=athlete)
        .order_by("distance_key", "start_time", "seconds")
        .values("distance_key", "seconds", "start_time", "activity__public_id", "activity__name")
    )
    year_start = local_midnight(date(today.year, 1, 1), tz)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["distance_key"], []).append(row)
    records = []
    for standard in STANDARD_DISTANCES:
        efforts = by_key.get(standard.key, [])
        history, best = [], None
        for row in efforts:  # in time order: a record is faster than all before it
            if best is None or row["seconds"] < best:
                best = row["seconds"]
                history.append(_effort(row, tz))
        this_year = [row for row in efforts if row["start_time"] >= year_start]
        records.append(
            {
                "distance": standard.key,
                "label": standard.label,
                "meters": standard.meters,
                "all_time": history[-1] if history else None,
                "this_year": _effort(min(this_year, key=lambda r: r["seconds"]), tz)
                if this_year
                else None,
                "efforts": len(efforts),
                "history": history,
            }
        )
    return {
        "user_id": athlete.public_id,
        "records": records,
        "vdot_estimate": vdot_estimate(rows, today=today, tz=tz),
    }


def vdot_estimate(rows: Iterable[dict[str, Any]], *, today: date, tz: Any) -> dict[str, Any] | None:
    """The highest VDOT among the last 90 days' efforts of a mile or more."""
    since = local_midnight(today, tz) - VDOT_WINDOW
    best: tuple[float, dict[str, Any]] | None = None
    for row in rows:
        meters = BY_KEY[row["distance_key"]].meters
        if meters < VDOT_MIN_DISTANCE or row["start_time"] < since:
            continue
        value = vdot_from_race(meters, row["seconds"])
        if best is None or value > best[0]:
            best = (value, row)
    if best is None:
        return None
    value, row = best
    return {
        "vdot": round(value, 1),
        "distance": row["distance_key"],
        "label": BY_KEY[row["distance_key"]].label,
        **_effort(row, tz),
    }


def cached_personal_records(athlete: User, *, today: date) -> dict[str, Any]:
    return cache.cached_value(
        cache.personal_records_key(athlete.public_id, today),
        cache.ANALYTICS_TTL,
        [cache.athlete(athlete.pk)],
        lambda: personal_records(athlete, today=today),
    )


MARKS_SQL = """
SELECT activity_id, distance_key, place FROM athletes_besteffort
WHERE activity_id = ANY(%s) AND place IS NOT NULL
"""


def marks_for(activity_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each listed activity's places among its athlete's efforts of every distance, all
    time: {activity pk: ["PR 5 km", "2nd 1 km"]}, records first."""
    wanted = list(set(activity_ids))
    if not wanted:
        return {}
    with connections[BestEffort.objects.db].cursor() as cursor:
        cursor.execute(MARKS_SQL, [wanted])
        rows = cursor.fetchall()
    marks: dict[int, list[tuple[str, int]]] = {}
    for activity_id, key, place in rows:
        marks.setdefault(activity_id, []).append((key, place))
    return {pk: mark_labels(found) for pk, found in marks.items()}


MARK_ORDER = {d.key: i for i, d in enumerate(STANDARD_DISTANCES)}


def mark_labels(places: Iterable[tuple[str, int]]) -> list[str]:
    """["PR 5 km", "2nd 1 km"] from an activity's efforts as (distance key, place among its
    athlete's efforts at that distance), records first."""
    found = [
        (place, MARK_ORDER[key], f"{MARKS[place]} {BY_KEY[key].label}")
        for key, place in places
        if place in MARKS
    ]
    return [label for *_, label in sorted(found)]


CURVE_SQL = """
SELECT point.n,
       max(point.speed) FILTER (WHERE curve.start_time >= %(since)s) AS recent,
       max(point.speed) AS all_time
  FROM athletes_pacecurve curve
 CROSS JOIN LATERAL unnest(curve.speeds) WITH ORDINALITY AS point(speed, n)
 WHERE curve.user_id = %(user)s
 GROUP BY point.n
"""


def pace_curve(athlete: User, *, days: int, now: datetime) -> dict[str, Any]:
    """The athlete's best average speed for every duration of the curve, over the last
    `days` and all time: one aggregate over the runs' stored curves."""
    with connections[PaceCurve.objects.db].cursor() as cursor:
        cursor.execute(CURVE_SQL, {"since": now - timedelta(days=days), "user": athlete.pk})
        found = {n: (recent, all_time) for n, recent, all_time in cursor.fetchall()}
    points = []
    for n, seconds in enumerate(CURVE_SECONDS, start=1):
        recent, all_time = found.get(n, (None, None))
        points.append(
            {
                "seconds": seconds,
                "recent_speed": recent,
                "recent_pace": round(1000 / recent, 1) if recent else None,
                "all_time_speed": all_time,
                "all_time_pace": round(1000 / all_time, 1) if all_time else None,
            }
        )
    return {"user_id": athlete.public_id, "days": days, "points": points}


def cached_pace_curve(athlete: User, *, days: int, now: datetime) -> dict[str, Any]:
    hour = now.replace(minute=0, second=0, microsecond=0)  # the window moves with the clock
    return cache.cached_value(
        cache.pace_curve_key(athlete.public_id, days, hour),
        cache.ANALYTICS_TTL,
        [cache.athlete(athlete.pk)],
        lambda: pace_curve(athlete, days=days, now=hour),
    )


def marks_by_public_id(athlete: User, public_ids: Iterable[str]) -> dict[str, list[str]]:
    """`marks_for` keyed by the activities' public ids (what pages and lists carry)."""
    pks = dict(
        Activity.objects.filter(user=athlete, public_id__in=list(public_ids)).values_list(
            "pk", "public_id"
        )
    )
    return {pks[pk]: marks for pk, marks in marks_for(pks).items()}
