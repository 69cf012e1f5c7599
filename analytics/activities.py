"""One run in detail, for the API's `?include=` parts and the activity page alike: charts
reduced on the server (LTTB, at most `SERIES_POINTS` per series, so a six-hour ultra loads
like a 5K), laps as recorded, splits, time in zones, places among the athlete's efforts and
the comment thread."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from analytics.records import MARKS, mark_labels
from astral.db import fetch_rows
from athletes import streams
from athletes.models import (
    ZONE_FIELDS,
    Activity,
    ActivityComment,
    ActivityStream,
    BestEffort,
    User,
)
from athletes.selectors import TrainingContext
from athletes.streams import cadence_factor
from metrics.efforts import BY_KEY
from metrics.streams import stream_views

INCLUDES = ("samples", "series", "laps", "splits", "zones", "best_efforts", "comments")


def stream_of(
    activity: Activity, *, samples: bool = True
) -> tuple[dict[str, list[Any]], ActivityStream | None]:
    """The stream row and, when `samples`, its unpacked columns (the views alone are small)."""
    rows = ActivityStream.objects.filter(activity=activity)
    stream = (rows if samples else rows.defer("data")).first()
    return (streams.unpack(stream.data) if stream and samples else {}), stream


def views_of(activity: Activity, stream: ActivityStream | None) -> dict[str, Any]:
    """The stored page views of the run's samples, computed now for a run stored before they
    existed (`manage.py rebuild_efforts` stores them)."""
    if stream is None:
        return {"series": {}, "splits": {"km": [], "mi": []}, "route": {"lat": [], "lon": []}}
    stored = streams.unpack_views(stream.views)
    if stored is not None:
        return stored
    return stream_views(streams.unpack(stream.data), cadence_factor=cadence_factor(activity.sport))


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


def comment_row(comment: ActivityComment) -> dict[str, Any]:
    return {
        "comment_id": comment.pk,
        "author_id": comment.author.public_id if comment.author else None,
        "author_name": comment.author.name if comment.author else "Deleted user",
        "text": comment.text,
        "created_at": comment.created_at,
    }


def comment_rows(activity: Activity) -> list[dict[str, Any]]:
    rows = ActivityComment.objects.filter(activity=activity).select_related("author")
    return [comment_row(comment) for comment in rows]


def event_legs(activity: Activity) -> list[dict[str, Any]]:
    """Every leg of the multisport event the run belongs to, in order (empty otherwise)."""
    if not activity.multisport_id:
        return []
    return list(
        Activity.objects.filter(user_id=activity.user_id, multisport_id=activity.multisport_id)
        .order_by("leg")
        .values("public_id", "leg", "sport", "name", "distance", "duration", "start_time")
    )


# A page of an athlete's activities, newest first, with how many there are in all (from the
# index alone; a page past the end is one row with the count) and, per row, its stored
# places among the athlete's efforts (records.MARKS_SQL): one statement, no model per row.
PAGE_SQL = """
SELECT p.*, COALESCE(e.places, '{{}}') AS places, t.total
FROM (SELECT count(*) AS total FROM athletes_activity a WHERE {where}) t
LEFT JOIN LATERAL (
  SELECT {columns} FROM athletes_activity a WHERE {where}{after}
  ORDER BY a.start_time DESC, a.id DESC OFFSET %(offset)s LIMIT %(limit)s
) p ON true
LEFT JOIN LATERAL (
  SELECT array_agg(ARRAY[b.distance_key, b.place::text]) AS places
  FROM athletes_besteffort b WHERE b.activity_id = p.id AND b.place IS NOT NULL
) e ON true
ORDER BY p.start_time DESC, p.id DESC
"""
PAGE_COLUMNS = [
    "id",
    "public_id",
    "start_time",
    "name",
    "notes",
    "sport",
    "distance",
    "duration",
    "elapsed_time",
    "avg_heart_rate",
    "max_heart_rate",
    "calories",
    "elevation_gain",
    "source",
    "multisport_id",
    "leg",
    "external_id",
    "training_load",
    "created_at",
    "updated_at",
    *ZONE_FIELDS,
]


def page_statement(
    athlete_pk: int,
    *,
    since: datetime | None,
    before: datetime | None,
    offset: int,
    limit: int,
    updated_since: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The one statement of `activity_page` and its parameters (the benchmark times it as
    the list's own SQL). `after`: the (start, id) a cursor names; the page starts past it in
    the list's order, whatever was written since (API.md §5, stable pages)."""
    where = "a.user_id = %(user)s"
    where += " AND a.start_time >= %(since)s" if since else ""
    where += " AND a.start_time < %(before)s" if before else ""
    where += " AND a.updated_at >= %(updated_since)s" if updated_since else ""
    columns = ", ".join(f"a.{name}" for name in PAGE_COLUMNS)
    params = {
        "user": athlete_pk,
        "since": since,
        "before": before,
        "updated_since": updated_since,
        "after_start": after[0] if after else None,
        "after_id": after[1] if after else None,
        "offset": offset,
        "limit": limit - offset,
    }
    keyset = " AND (a.start_time, a.id) < (%(after_start)s, %(after_id)s)" if after else ""
    return PAGE_SQL.format(columns=columns, where=where, after=keyset), params


def activity_page(
    athlete: User,
    *,
    since: datetime | None,
    before: datetime | None,
    offset: int,
    limit: int,
    updated_since: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> tuple[list[tuple[SimpleNamespace, list[str]]], int]:
    """The athlete's activities starting in [since, before), newest first, rows offset to
    limit: each as the fields the API shows (with `user` set) and its marks ("PR 5 km"), and
    how many there are in all."""
    sql, params = page_statement(
        athlete.pk,
        since=since,
        before=before,
        offset=offset,
        limit=limit,
        updated_since=updated_since,
        after=after,
    )
    page = []
    rows = fetch_rows(Activity.objects.db, sql, params)
    for row in rows:
        if row[0] is None:  # a page past the end: the count's row alone
            continue
        fields = SimpleNamespace(**dict(zip(PAGE_COLUMNS, row, strict=False)), user=athlete)
        places = [(key, int(place)) for key, place in row[-2]]
        page.append((fields, mark_labels(places)))
    return page, rows[0][-1]
