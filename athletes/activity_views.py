"""One run in detail: its summary, splits per km or mile in the viewer's units, pace, heart
rate and elevation over distance, and the route drawn from its GPS track as an SVG line
(offline: no map tiles). Who may see it: the athlete and their club's coaches."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from analytics.metrics.formatting import METERS_PER_MILE, format_duration
from analytics.metrics.splits import splits
from astral.localtime import local_start
from athletes import services, streams
from athletes.models import Activity, ActivityStream
from organizations.access import can_view_athlete
from organizations.pages import Units, page_caller, sidebar

CHART_POINTS = 600
ROUTE_POINTS = 800
ROUTE_BOX = 320  # the SVG's user units


def route_path(lats: list[Any], lons: list[Any]) -> dict[str, Any] | None:
    """The track as an SVG polyline in a square box, north up, scaled to fit; longitude
    shrunk by the cosine of the latitude so the shape is true."""
    points = [(lat, lon) for lat, lon in zip(lats, lons, strict=False) if lat is not None and lon]
    if len(points) < 2:
        return None
    middle = math.cos(math.radians(sum(p[0] for p in points) / len(points)))
    xs = [lon * middle for _, lon in points]
    ys = [-lat for lat, _ in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1e-9
    scale = (ROUTE_BOX - 20) / span
    left, top = min(xs), min(ys)
    coords = " ".join(
        f"{10 + (x - left) * scale:.1f},{10 + (y - top) * scale:.1f}"
        for x, y in zip(xs, ys, strict=True)
    )
    return {"points": coords, "size": ROUTE_BOX}


SPORTS = ["run", "trail_run", "treadmill", "walk", "hike", "ride", "swim", "other"]


def _visible(request: HttpRequest, activity_id: str) -> Activity:
    activity = Activity.objects.select_related("user").filter(public_id=activity_id).first()
    if activity is None:
        raise Http404("No such activity.")
    if not can_view_athlete(page_caller(request), activity.user):
        raise PermissionDenied("You may not see this activity.")
    return activity


@login_required
@require_POST
def activity_edit(request: HttpRequest, activity_id: str) -> HttpResponse:
    """The athlete renames a run, changes its type, or deletes it (their own runs only)."""
    activity = _visible(request, activity_id)
    if activity.user_id != request.user.pk:
        raise PermissionDenied("Only the athlete edits their runs.")
    if request.POST.get("action") == "delete":
        services.activity_delete(activity=activity)
        messages.success(request, f"{activity.name or 'The activity'} was deleted.")
        return redirect("athlete-profile", user_id=activity.user.public_id)
    name = request.POST.get("name", "").strip()[:200]
    sport = request.POST.get("sport", activity.sport)
    if sport not in SPORTS:
        messages.error(request, "Choose one of the listed types.")
    else:
        services.activity_update(activity=activity, fields={"name": name, "sport": sport})
        messages.success(request, "Saved.")
    return redirect("activity", activity_id=activity.public_id)


@login_required
def activity_page(request: HttpRequest, activity_id: str) -> HttpResponse:
    activity = _visible(request, activity_id)
    units = Units(request.user.units)
    stream = ActivityStream.objects.filter(activity=activity).first()
    columns = streams.unpack(stream.data) if stream else {}
    length = METERS_PER_MILE if units.system == "imperial" else 1000.0
    rows = splits(
        columns.get("t", []),
        columns.get("distance") or [],
        columns.get("heart_rate"),
        columns.get("altitude"),
        length=length,
    )
    split_rows = [
        {
            "number": s.number,
            "distance": units.distance(s.distance, 2),
            "time": format_duration(s.seconds),
            "pace": units.pace(s.seconds, s.distance),
            "heart_rate": round(s.avg_heart_rate) if s.avg_heart_rate else None,
            "elevation": round(s.elevation_change) if s.elevation_change is not None else None,
        }
        for s in rows
    ]
    chart = streams.downsample(columns, CHART_POINTS) if columns.get("t") else {}
    payload = {
        "unit": units.label,
        "distance": [units.value(d) if d is not None else None for d in chart.get("distance", [])],
        "heart_rate": chart.get("heart_rate", []),
        "altitude": chart.get("altitude", []),
        "pace": _paces(chart, units),
    }
    track = streams.downsample(
        {k: columns[k] for k in ("lat", "lon") if k in columns}, ROUTE_POINTS
    )
    athlete = activity.user
    return render(
        request,
        "athletes/activity.html",
        {
            **sidebar(request),
            "activity": activity,
            "athlete": athlete,
            "units": units,
            "when": local_start(activity.start_time, athlete.tz, request.user.tz),
            "distance": units.distance(activity.distance, 2),
            "duration": format_duration(activity.duration),
            "pace": units.pace(activity.duration, activity.distance),
            "splits": split_rows,
            "chart_payload": payload,
            "route": route_path(track.get("lat", []), track.get("lon", [])),
            "own": activity.user_id == request.user.pk,
            "sports": sorted(set(SPORTS) | {activity.sport}),
        },
    )


def _paces(chart: dict[str, list[Any]], units: Units) -> list[float | None]:
    """Minutes per km (or mile) between consecutive chart points, None when standing."""
    times, distances = chart.get("t", []), chart.get("distance", [])
    per = METERS_PER_MILE if units.system == "imperial" else 1000.0
    out: list[float | None] = [None]
    for (t0, d0), (t1, d1) in zip(
        zip(times, distances, strict=False),
        zip(times[1:], distances[1:], strict=False),
        strict=False,
    ):
        if d0 is None or d1 is None or d1 - d0 <= 0.5:
            out.append(None)
            continue
        minutes = (t1 - t0) / 60 / ((d1 - d0) / per)
        out.append(round(minutes, 2) if minutes < 30 else None)
    return out
