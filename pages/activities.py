"""One run in detail: its summary, splits per km or mile in the viewer's units, pace, heart
rate and elevation over distance, and the route drawn from its GPS track as an SVG line
(offline: no map tiles). Who may see it: the athlete and their club's coaches."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from analytics import activities as detail
from analytics.plans import matched_workout
from astral.api.pagination import page_number
from astral.localtime import local_date, local_midnight, local_start, local_today
from athletes.models import RUNNING_SPORTS, Activity, ActivityComment
from athletes.representations import original_file_response
from athletes.selectors import original_file_of, training_context
from athletes.services import activities as activity_services
from metrics.formatting import format_duration
from metrics.units import meters_per_unit
from organizations.access import can_view_athlete
from pages.chrome import SPORTS, Units, page_athlete, page_caller
from pages.templatetags.astral import sport_name

MAX_COMMENT = 2000
ROUTE_BOX = 320  # the SVG's user units


def route_path(lats: list[Any], lons: list[Any]) -> dict[str, Any] | None:
    """The track as an SVG polyline in a square box, north up, scaled to fit; longitude
    shrunk by the cosine of the latitude so the shape is true."""
    points = [
        (lat, lon)
        for lat, lon in zip(lats, lons, strict=False)
        if lat is not None and lon is not None
    ]
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


TILE = 256


def _mercator(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates at `zoom` (the tile servers' projection)."""
    scale = TILE * 2**zoom
    sin = math.sin(math.radians(max(-85.0, min(85.0, lat))))
    x = (lon + 180.0) / 360.0 * scale
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def route_on_tiles(lats: list[Any], lons: list[Any], template: str) -> dict[str, Any] | None:
    """The track over map tiles from `template` ({z}/{x}/{y}): the largest zoom at which
    the route fits in 2 × 2 tiles, the tiles it crosses as SVG images, the line on top."""
    points = [
        (lat, lon)
        for lat, lon in zip(lats, lons, strict=False)
        if lat is not None and lon is not None
    ]
    if len(points) < 2:
        return None
    for zoom in range(17, 0, -1):
        projected = [_mercator(lat, lon, zoom) for lat, lon in points]
        xs, ys = [p[0] for p in projected], [p[1] for p in projected]
        if max(xs) - min(xs) <= 2 * TILE - 40 and max(ys) - min(ys) <= 2 * TILE - 40:
            break
    size = max(max(xs) - min(xs), max(ys) - min(ys)) + 40
    left = (max(xs) + min(xs) - size) / 2
    top = (max(ys) + min(ys) - size) / 2
    tiles = [
        {"href": template.format(z=zoom, x=tx, y=ty), "x": tx * TILE - left, "y": ty * TILE - top}
        for tx in range(int(left // TILE), int((left + size) // TILE) + 1)
        for ty in range(int(top // TILE), int((top + size) // TILE) + 1)
    ]
    coords = " ".join(f"{x - left:.1f},{y - top:.1f}" for x, y in projected)
    return {"points": coords, "size": round(size, 1), "tiles": tiles, "tile": TILE}


def _visible(request: HttpRequest, activity_id: str) -> Activity:
    activity = Activity.objects.select_related("user").filter(public_id=activity_id).first()
    if activity is None:
        raise Http404("No such activity.")
    if not can_view_athlete(page_caller(request), activity.user):
        raise PermissionDenied("You may not see this activity.")
    return activity


@login_required
def activity_file(request: HttpRequest, activity_id: str) -> HttpResponse:
    """The file the run was uploaded as, for whoever may see the run."""
    kept = original_file_of(_visible(request, activity_id), with_data=True)
    if kept is None:
        raise Http404("This run was not uploaded as a file.")
    return original_file_response(kept)


@login_required
@require_POST
def activity_edit(request: HttpRequest, activity_id: str) -> HttpResponse:
    """The athlete renames a run, changes its type or notes, or deletes it (their own runs)."""
    activity = _visible(request, activity_id)
    if activity.user_id != request.user.pk:
        raise PermissionDenied("Only the athlete edits their runs.")
    if request.POST.get("action") == "delete":
        activity_services.activity_delete(activity=activity)
        messages.success(request, f"{activity.name or 'The activity'} was deleted.")
        return redirect("athlete-profile", user_id=activity.user.public_id)
    name = request.POST.get("name", "").strip()[:200]
    notes = request.POST.get("notes", "").strip()[:5000]
    sport = request.POST.get("sport", activity.sport)
    if sport not in SPORTS:
        messages.error(request, "Choose one of the listed types.")
    else:
        activity_services.activity_update(
            activity=activity, fields={"name": name, "sport": sport, "notes": notes}
        )
        messages.success(request, "Saved.")
    return redirect("activity", activity_id=activity.public_id)


@login_required
@require_POST
def activity_comment(request: HttpRequest, activity_id: str) -> HttpResponse:
    """The athlete or a coach adds to the thread under a run, or deletes their own comment."""
    activity = _visible(request, activity_id)
    if request.POST.get("action") == "delete":
        comment = ActivityComment.objects.filter(
            activity=activity, pk=request.POST.get("comment_id") or 0, author=request.user
        ).first()
        if comment is not None:
            activity_services.comment_delete(comment=comment)
            messages.success(request, "Comment deleted.")
        return redirect(f"{reverse('activity', args=[activity.public_id])}#comments-h")
    text = request.POST.get("text", "").strip()
    if not text:
        messages.error(request, "Write something first.")
    elif len(text) > MAX_COMMENT:
        messages.error(request, f"A comment is at most {MAX_COMMENT:,} characters.")
    else:
        activity_services.comment_create(activity=activity, author=request.user, text=text)
    return redirect(f"{reverse('activity', args=[activity.public_id])}#comments-h")


def _chart_payload(series: dict[str, Any], units: Units) -> dict[str, Any]:
    """The server-reduced series in the viewer's units: distance in km or mi, pace in
    minutes per km or mi, elevation in m or ft, time in minutes; and the pace axis's range,
    so a stop's spike does not squash the run into a line (its points are clipped)."""
    per = meters_per_unit(units.system)
    feet = units.system == "imperial"
    out: dict[str, Any] = {
        "unit": units.label,
        "elevation_unit": "ft" if feet else "m",
        "series": {},
    }
    for name, line in series.items():
        values = line["value"]
        if name == "pace":
            values = [round(v * per / 1000 / 60, 2) if v < 30 * 60 else None for v in values]
            out["pace_range"] = pace_range([v for v in values if v is not None])
        elif name == "altitude" and feet:
            values = [None if v is None else round(v / 0.3048, 1) for v in values]
        out["series"][name] = {
            "distance": [units.value(d) for d in line["distance"]] if line["distance"] else None,
            "minutes": [round(t / 60, 2) for t in line["t"]],
            "value": values,
        }
    return out


def pace_range(paces: list[float]) -> list[float] | None:
    """[fastest, slowest] minutes per unit the pace chart shows: the 2nd to the 98th
    percentile with a margin, to the half minute; what lies beyond is a stop or a glitch."""
    if len(paces) < 5:
        return None
    ordered = sorted(paces)
    low = ordered[int(0.02 * (len(ordered) - 1))]
    high = ordered[int(0.98 * (len(ordered) - 1))]
    margin = max(0.25, (high - low) * 0.15)
    return [math.floor((low - margin) * 2) / 2, math.ceil((high + margin) * 2) / 2]


def _in_units(rows: list[dict[str, Any]], units: Units) -> list[dict[str, Any]]:
    """Splits or laps with their distance, time and pace as the viewer reads them."""
    return [
        {
            **row,
            "distance_text": units.distance(row["distance"], 2),
            "time": format_duration(row["seconds"]),
            "pace_text": units.pace(row["seconds"], row["distance"]),
        }
        for row in rows
    ]


@login_required
def activity_page(request: HttpRequest, activity_id: str) -> HttpResponse:
    activity = _visible(request, activity_id)
    units = Units(request.user.units)
    athlete = activity.user
    _, stream = detail.stream_of(activity, samples=False)
    views = detail.views_of(activity, stream)
    unit = "mi" if units.system == "imperial" else "km"
    split_rows = _in_units(views["splits"][unit], units)
    laps = _in_units(detail.lap_rows(stream), units)
    context = training_context(athlete, local_today(athlete.tz))
    track = views["route"]
    own = activity.user_id == request.user.pk
    return render(
        request,
        "athletes/activity.html",
        {
            "activity": activity,
            "athlete": athlete,
            "units": units,
            "when": local_start(activity.start_time, athlete.tz, request.user.tz),
            "distance": units.distance(activity.distance, 2),
            "duration": format_duration(activity.duration),
            "elapsed": format_duration(activity.elapsed_time)
            if activity.elapsed_time and activity.elapsed_time > activity.duration + 1
            else None,
            "pace": units.pace(activity.duration, activity.distance),
            "ascent": units.elevation(activity.elevation_gain),
            "splits": split_rows,
            "laps": laps if len(laps) > 1 else [],
            "zones": _zone_table(activity, context, units),
            "efforts": [
                {**effort, "time": format_duration(effort["seconds"])}
                for effort in detail.effort_rows(activity)
            ],
            "comments": detail.comment_rows(activity),
            "legs": [
                {
                    **leg,
                    "distance_text": units.distance(leg["distance"], 2),
                    "time": format_duration(leg["duration"]),
                    "current": leg["public_id"] == activity.public_id,
                }
                for leg in detail.event_legs(activity)
            ],
            "chart_payload": _chart_payload(views["series"], units),
            "runs_against_plan": activity.sport in RUNNING_SPORTS,
            "matched": matched_workout(
                athlete, activity.pk, local_date(activity.start_time, athlete.tz)
            )
            if activity.sport in RUNNING_SPORTS
            else None,
            "route": route_on_tiles(track.get("lat", []), track.get("lon", []), tiles)
            if (tiles := settings.ASTRAL_MAP_TILES)
            else route_path(track.get("lat", []), track.get("lon", [])),
            "own": own,
            "original_file": original_file_of(activity),
            "sports": sorted(set(SPORTS) | {activity.sport}),
            "max_comment": MAX_COMMENT,
        },
    )


ZONE_NAMES = ("Easy", "Moderate", "Steady", "Threshold", "Hard")


def _zone_table(activity: Activity, context: Any, units: Units) -> dict[str, list[dict[str, Any]]]:
    """Each zone's time and share of the run, with the bounds it was cut at, in words."""
    zones = detail.zone_rows(activity, context)
    hr_bounds = zones["hr"]["upper_bounds"]
    hr_rows = []
    for i, seconds in enumerate(zones["hr"]["seconds"]):
        low = f"{hr_bounds[i - 1]:.0f}" if i else None
        high = f"{hr_bounds[i]:.0f}"
        hr_rows.append(
            {
                "name": f"Z{i + 1}",
                "range": f"{low}–{high} bpm" if low else f"under {high} bpm",
                "seconds": seconds,
            }
        )
    pace_rows = []
    bounds = zones["pace"]["boundaries"]
    for i, seconds in enumerate(zones["pace"]["seconds"]):
        if bounds:
            slow = units.pace(bounds[i - 1], 1000) if i else None
            fast = units.pace(bounds[i], 1000) if i < len(bounds) else None
            text = (
                f"slower than {fast}"
                if slow is None
                else f"faster than {slow}"
                if fast is None
                else f"{slow} to {fast}"
            )
        else:
            text = ZONE_NAMES[i]
        pace_rows.append({"name": f"Z{i + 1}", "range": text, "seconds": seconds})
    out = {}
    for kind, rows in (("hr", hr_rows), ("pace", pace_rows)):
        if any(r["seconds"] is None for r in rows):
            continue  # not known for this run (no HR, or no pace zones): no table
        total = sum(r["seconds"] for r in rows)
        if total > 0:
            out[kind] = [
                {
                    **r,
                    "time": format_duration(r["seconds"]),
                    "percent": round(100 * r["seconds"] / total),
                }
                for r in rows
            ]
    return out


LIBRARY_PAGE = 25
LIBRARY_SORTS = {
    "newest": ("-start_time", "Newest first"),
    "oldest": ("start_time", "Oldest first"),
    "longest": ("-distance", "Longest first"),
    "shortest": ("distance", "Shortest first"),
    "fastest": ("pace", "Fastest pace first"),
}


class LibraryForm(forms.Form):
    """What a person narrows their runs down by; a bad value is named beside its field and
    every value typed stays in the form."""

    q = forms.CharField(required=False, max_length=200, label="Name contains")
    sport = forms.ChoiceField(required=False, label="Sport")
    start = forms.DateField(required=False, label="From", input_formats=["%Y-%m-%d"])
    end = forms.DateField(required=False, label="To", input_formats=["%Y-%m-%d"])
    shortest = forms.FloatField(required=False, min_value=0, max_value=1000, label="At least")
    longest = forms.FloatField(required=False, min_value=0, max_value=1000, label="At most")
    sort = forms.ChoiceField(
        required=False, choices=[(k, v[1]) for k, v in LIBRARY_SORTS.items()], label="Order"
    )

    error_messages = {
        "start": "Give the first day as a date, for example 2026-09-01.",
        "end": "Give the last day as a date, for example 2026-09-30.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sport"].choices = [("", "All sports")] + [(s, sport_name(s)) for s in SPORTS]
        for name, message in self.error_messages.items():
            self.fields[name].error_messages["invalid"] = message

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last day is before the first.")
        low, high = data.get("shortest"), data.get("longest")
        if low is not None and high is not None and high < low:
            self.add_error("longest", "The longest is shorter than the shortest.")
        return data


@login_required
def athlete_activities(request: HttpRequest, user_id: str) -> HttpResponse:
    """Every run of an athlete, found by name, sport, dates and distance, a page at a time:
    one count and one page of rows, whatever the page size."""
    athlete = page_athlete(request, user_id)
    units = Units(request.user.units)
    form = LibraryForm(request.GET or None)
    runs = Activity.objects.filter(user=athlete)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("q"):
        runs = runs.filter(name__icontains=data["q"])
    if data.get("sport"):
        runs = runs.filter(sport=data["sport"])
    tz = athlete.tz
    if data.get("start"):
        runs = runs.filter(start_time__gte=local_midnight(data["start"], tz))
    if data.get("end"):
        runs = runs.filter(start_time__lt=local_midnight(data["end"] + timedelta(days=1), tz))
    per_unit = meters_per_unit(units.system)
    if data.get("shortest") is not None:
        runs = runs.filter(distance__gte=data["shortest"] * per_unit)
    if data.get("longest") is not None:
        runs = runs.filter(distance__lte=data["longest"] * per_unit)
    order = LIBRARY_SORTS.get(data.get("sort") or "newest", LIBRARY_SORTS["newest"])[0]
    if order == "pace":
        runs = runs.filter(distance__gt=0).annotate(pace=F("duration") / F("distance"))
    total = runs.count()
    number = page_number(request.GET.get("page"))
    last_page = max(1, -(-total // LIBRARY_PAGE))
    number = min(number, last_page)
    rows = runs.order_by(order, "-pk").values(
        "public_id", "name", "sport", "start_time", "distance", "duration",
        "avg_heart_rate", "training_load",
    )[(number - 1) * LIBRARY_PAGE : number * LIBRARY_PAGE]  # fmt: skip
    activities = [
        {
            **row,
            "when": local_start(row["start_time"], tz, request.user.tz),
            "distance_text": units.distance(row["distance"], 2),
            "time": format_duration(row["duration"]),
            "pace": units.pace(row["duration"], row["distance"]),
        }
        for row in rows
    ]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "athletes/activities.html",
        {
            "athlete": athlete,
            "form": form,
            "units": units,
            "activities": activities,
            "total": total,
            "page": number,
            "last_page": last_page,
            "previous_url": f"?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
            "next_url": f"?{urlencode({**query, 'page': number + 1})}"
            if number < last_page
            else None,
            "filtered": bool(query),
        },
    )
