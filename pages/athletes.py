"""Pages: the athletes roster, an athlete's profile, CSV exports and the upload form.
They read the same services as the API (one computation, two faces)."""

from __future__ import annotations

import csv
import zipfile
import zoneinfo
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from analytics import plans as plan_analytics
from analytics import records, roster, services
from analytics.series import load_series
from api.athletes import serializers as s
from astral import cache, spreadsheet
from astral.api.errors import ApiError
from astral.api.pagination import Page, page_number
from astral.api.requests import finite_float
from astral.localtime import local_date, local_start, local_today
from athletes import files
from athletes.models import ZONE_FIELDS, Activity, User
from athletes.services import imports
from athletes.services.activities import activity_import_file, upload_slot
from athletes.services.plans import goal_create
from metrics.formatting import format_duration
from metrics.units import meters_per_unit
from metrics.vdot import predict_race_seconds
from organizations.models import Group, Label, Membership, Role
from pages.chrome import (
    SPORTS,
    Units,
    current_organization,
    failed_form,
    form_failed,
    page_athlete,
)

PAGE_SIZE = 50
HEALTH_VIEWS = {"day": 90, "week": 26 * 7, "month": 365}


def roster_filters_from(
    request: HttpRequest, organization: Any
) -> tuple[roster.RosterFilters, dict[str, str]]:
    params = {
        k: request.GET.get(k, "").strip()
        for k in ("q", "label", "coach", "group", "ordering", "all")
    }
    # A Monday-morning view: who needs a call first (the API keeps its own default, by name).
    ordering = params["ordering"] if params["ordering"] in roster.ORDERINGS else "-attention"
    params["ordering"] = ordering
    # A coach with athletes of their own opens on them; one click shows the whole club.
    if (
        not params["coach"]
        and params["all"] != "1"
        and organization.memberships.filter(assigned_coach=request.user).exists()
    ):
        params["coach"] = request.user.public_id  # type: ignore[union-attr]
        params["mine"] = "1"
    try:
        filters = roster.roster_filters(
            organization,
            caller_user=request.user,  # type: ignore[arg-type]
            filter_by_coach=False,
            group_id=params["group"] or None,
            unassigned_only=False,
            search=params["q"][:100] or None,
            label=params["label"][:64] or None,
            assigned_coach_id=params["coach"] or None,
            ordering=ordering,
        )
    except ApiError:
        filters = roster.RosterFilters(ordering=ordering)
    return filters, params


@login_required
def athletes_list(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    filters, params = roster_filters_from(request, organization)
    number = page_number(request.GET.get("page", "1"))
    page = roster.roster_page(organization, filters, Page(number=number, per_page=PAGE_SIZE))
    last = page["metadata"]["total_pages"]
    if 1 <= last < number:  # past the end: the last page
        page = roster.roster_page(organization, filters, Page(number=last, per_page=PAGE_SIZE))
    units = Units(request.user.units)
    viewer_today = local_today(request.user.tz)
    rows = [_roster_row(a, units, viewer_today) for a in page["athletes"]]
    query = urlencode({k: v for k, v in params.items() if v and k != "mine"})
    everyone = urlencode({k: v for k, v in params.items() if v and k not in ("coach", "mine")})
    return render(
        request,
        "athletes/list.html",
        {
            "organization": organization,
            "rows": rows,
            "meta": page["metadata"],
            "params": params,
            "query": query,
            "labels": Label.objects.filter(organization=organization).order_by("name"),
            "groups": Group.objects.filter(organization=organization).order_by("name"),
            "coaches": User.objects.filter(
                memberships__organization=organization,
                memberships__role__in=[Role.OWNER, Role.COACH],
            ).order_by("display_name"),
            "everyone_query": everyone + ("&" if everyone else "") + "all=1",
            "mine": params.get("mine") == "1",
            "orderings": [
                ("-attention", "Needs attention"),
                ("display_name", "Name"),
                ("-weekly_distance", "Weekly distance"),
                ("-last_activity", "Last activity"),
            ],
            "units": units,
        },
    )


# What each attention flag is called on a page; its reason (the flag's message) follows it.
FLAG_TITLES = {
    "hrv_drop": "HRV dropping",
    "recovery_drop": "Recovery dropping",
    "vo2max_change": "VO2max changing",
    "load_spike": "Load spike",
    "inactive": "Inactive",
}


# The data-quality hints as a coach reads them about an athlete (the athlete reads their own).
COACH_HINTS = {
    "pace_zones": "No pace zones: set a VDOT or custom zones for the athlete.",
    "vdot": "No VDOT: enter a recent race result to get one.",
    "hr_zones": "No heart-rate zones: set max HR or custom zones.",
    "max_hr": "No max heart rate on the profile.",
    "integrations": "No watch or app connected: ask the athlete to connect Garmin or Strava.",
    "timezone": "No time zone chosen: days may be cut at the wrong midnight.",
    "unit_system": "No unit system chosen.",
}


def page_flags(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flags as a page shows them: a title in words, the reason, since when."""
    return [
        {
            **flag,
            "title": FLAG_TITLES.get(flag["code"], flag["code"]),
            "since_day": date.fromisoformat(flag["since"]) if flag.get("since") else None,
        }
        for flag in flags
    ]


def their_day(tz_name: str | None, viewer_today: date) -> str | None:
    """When an athlete's local day is not the viewer's: what "this week so far" counts for
    them ("their week began Mon 7 Dec", "still their week of Mon 30 Nov"), or the day."""
    today = local_today(zoneinfo.ZoneInfo(tz_name or "UTC"))
    if today == viewer_today:
        return None
    theirs = today - timedelta(days=today.weekday())
    if theirs > viewer_today - timedelta(days=viewer_today.weekday()):
        return f"their new week began {theirs:%a} {theirs.day} {theirs:%b}"
    if theirs < viewer_today - timedelta(days=viewer_today.weekday()):
        return f"still their week of {theirs:%a} {theirs.day} {theirs:%b}"
    return f"{today:%a} {today.day} {today:%b} there"


def _roster_row(athlete: dict[str, Any], units: Units, viewer_today: date) -> dict[str, Any]:
    metrics = athlete["metrics"]
    current = metrics["fitness"]["current"]
    hrv, hrv_prev = current.get("hrv_avg"), current.get("hrv_avg_prev")
    trend = None
    if hrv is not None and hrv_prev:
        change = round((hrv - hrv_prev) / hrv_prev * 100)
        direction = "up" if change > 0 else "down" if change < 0 else "flat"
        trend = (direction, f"{change:+d}%" if change else "±0%")
    return {
        **athlete,
        "weekly_distance": units.distance(metrics["running_analytics"]["weekly_distance"]),
        "their_day": their_day(athlete["timezone"], viewer_today),
        "acr": metrics["training"]["acute_chronic_ratio"],
        "acr_band": metrics["training"]["acr_band"],
        "hrv": hrv,
        "hrv_trend": trend,
        "flags": page_flags(metrics["attention_signals"]["flags"]),
        "last_activity_at": metrics.get("last_activity_at"),
        "last_activity_day": _athlete_day(metrics.get("last_activity_at"), athlete["timezone"]),
        "plan": plan_view(athlete["current_plans"][0], athlete["timezone"])
        if athlete["current_plans"]
        else None,
    }


def plan_view(plan: dict[str, Any], tz_name: str | None) -> dict[str, Any]:
    """A plan as a page says it: one not started yet reads "starts Mon 14 Dec", not week 1."""
    start = plan["start_date"]
    start = date.fromisoformat(start) if isinstance(start, str) else start
    today = local_today(zoneinfo.ZoneInfo(tz_name or "UTC"))
    return {**plan, "starts": start if start > today else None}


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b} {day.year}"


def calendar_weeks(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The streak calendar as Monday-to-Sunday columns (padded with None before the first
    day), each named by its month where a month begins."""
    if not days:
        return []
    first = date.fromisoformat(str(days[0]["date"]))
    # Each day named once here in the one date style ("Sun 6 Dec 2026", DATE_FORMAT), not by
    # the template's localisation twice per cell: 182 of those were a third of the page.
    labelled = [{**d, "day": date.fromisoformat(str(d["date"]))} for d in days]
    cells: list[dict[str, Any] | None] = [None] * first.weekday() + labelled
    weeks = []
    for start in range(0, len(cells), 7):
        week = cells[start : start + 7]
        dated = [d["day"] for d in week if d]
        starts_month = start == 0 or any(d.day == 1 for d in dated)
        weeks.append(
            {"days": week, "month": dated[-1].strftime("%b") if starts_month and dated else ""}
        )
    return weeks


def streak_calendar(days: list[dict[str, Any]]) -> SafeString:
    """The streak calendar's columns as HTML, written here: its 91 cells through the template
    language cost more than the rest of the profile page together."""
    columns = []
    for week in calendar_weeks(days):
        cells = []
        for day in week["days"]:
            if day is None:
                cells.append('<span class="cal-day empty"></span>')
                continue
            # A date's name and a count: nothing in a cell needs escaping (format_html's
            # checks on each of 91 cells were a tenth of the page).
            runs = f"{int(day['runs'])} run{'' if day['runs'] == 1 else 's'}"
            label = _day_label(day["day"])
            cells.append(
                f'<span class="cal-day{" active" if day["active"] else ""}" title="{label}: '
                f'{runs}"><span class="sr-only">{label}: {runs if day["active"] else "rest"}'
                "</span></span>"
            )
        columns.append(
            format_html(
                '<div class="cal-week"><span class="cal-month" aria-hidden="true">{}</span>{}</div>',
                week["month"],
                mark_safe("".join(cells)),  # noqa: S308 - dates and counts, written above
            )
        )
    return mark_safe("".join(columns))  # noqa: S308 - each column escaped by format_html


def _week_change(this_week: float, same_days: float | None, units: Units) -> str:
    """What the week so far is compared with, said plainly (METRICS.md §8)."""
    if same_days is None:
        return ""
    if same_days <= 0:
        return f"{units.distance(0)} on the same days last week"
    change = round((this_week - same_days) / same_days * 100)
    trend = "level with" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change)}% on"
    return f"{trend} the same days last week ({units.distance(same_days)})"


def _athlete_day(instant: str | None, tz_name: str) -> date | None:
    """The athlete's own calendar date of an instant (never the UTC date)."""
    if not instant:
        return None
    return local_date(datetime.fromisoformat(instant), zoneinfo.ZoneInfo(tz_name))


@login_required
def athletes_export(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    filters, _ = roster_filters_from(request, organization)
    page = roster.roster_page(organization, filters, Page(number=1, per_page=10_000))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="athletes-{local_today(request.user.tz):%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "user_id",
            "display_name",
            "username",
            "email",
            "groups",
            "labels",
            "assigned_coach_id",
            "current_plan",
            "plan_week",
            "weekly_distance_m",
            "acute_chronic_ratio",
            "acr_band",
            "hrv_avg",
            "hrv_avg_prev",
            "attention_flags",
            "last_activity_at",
        ]
    )
    for athlete in page["athletes"]:
        metrics = athlete["metrics"]
        plan = athlete["current_plans"][0] if athlete["current_plans"] else None
        writer.writerow(
            spreadsheet.row(
                [
                    athlete["user_id"],
                    athlete["display_name"],
                    athlete["username"],
                    athlete["email"],
                    "; ".join(athlete["groups"]),
                    "; ".join(athlete["labels"]),
                    athlete["assigned_coach_id"] or "",
                    plan["name"] if plan else "",
                    # Words, not "6/8", which a spreadsheet reads as a date.
                    f"week {plan['current_week']} of {plan['total_weeks']}" if plan else "",
                    metrics["running_analytics"]["weekly_distance"],
                    metrics["training"]["acute_chronic_ratio"] or "",
                    metrics["training"]["acr_band"] or "",
                    metrics["fitness"]["current"]["hrv_avg"] or "",
                    metrics["fitness"]["current"]["hrv_avg_prev"] or "",
                    "; ".join(f["code"] for f in metrics["attention_signals"]["flags"]),
                    metrics.get("last_activity_at") or "",
                ]
            )
        )
    return response


def profile_figures(athlete: User, units: str, health_view: str) -> dict[str, Any]:
    """Everything the profile page shows that follows from the athlete's data alone (not
    from who looks): computed once, then served from the cache until the athlete's data
    changes (their generation token), their day turns, or the hour does (the pace curve's
    window), so a coach's visit costs a cache read instead of a dozen statements."""
    tz = athlete.tz
    today = local_today(tz)
    now = timezone.now()

    def compute() -> dict[str, Any]:
        profile = roster.athlete_profile(athlete, refresh=False, units=units)
        chart_data = services.charts(load_series(athlete, tz=tz, today=today))
        last_ff = chart_data["fitness_fatigue"][-1] if chart_data["fitness_fatigue"] else None
        return {
            "profile": profile,
            "chart_data": chart_data,
            "ahead": plan_analytics.fitness_ahead_of(athlete, today, last_ff["ctl"], last_ff["atl"])
            if last_ff
            else {"days": [], "race": None},
            "health": services.health_metrics(
                athlete,
                first=today - timedelta(days=HEALTH_VIEWS[health_view] - 1),
                last=today,
                granularity=health_view,
            ),
            "streak": services.running_streaks(athlete, days=91, tz=tz, today=today),
            "marks": records.marks_by_public_id(
                athlete, [a["activity_id"] for a in profile["recent_activities"]]
            ),
            "personal": records.cached_personal_records(athlete, today=today),
            "curve": records.cached_pace_curve(athlete, days=90, now=now),
        }

    key = cache.profile_page_key(athlete.public_id, today, now.hour, units, health_view)
    return cache.cached_value(key, cache.PROFILE_TTL, [cache.athlete(athlete.pk)], compute)


@login_required
def athlete_profile(request: HttpRequest, user_id: str) -> HttpResponse:
    athlete = page_athlete(request, user_id)
    units = Units(request.user.units)
    health_view = request.GET.get("health", "day")
    if health_view not in HEALTH_VIEWS:
        health_view = "day"
    figures = profile_figures(athlete, units.system, health_view)
    profile = {**figures["profile"]}
    profile["current_plans"] = [plan_view(p, athlete.tz_name) for p in profile["current_plans"]]
    tz = athlete.tz
    chart_data, ahead = figures["chart_data"], figures["ahead"]
    health, streak = figures["health"], figures["streak"]
    goals = []
    for race in profile["current_goals"]["races"]:
        predicted = predict_race_seconds(athlete.vdot, race["distance"]) if athlete.vdot else None
        goals.append(
            {
                **race,
                "distance_text": units.distance(race["distance"], 2),
                "predicted": format_duration(predicted) if predicted else None,
                # METRICS.md §7: the race day's TSB, when the race falls inside the plan.
                "race_day_tsb": ahead["race"]["tsb"]
                if ahead["race"] and str(ahead["race"]["date"]) == str(race["race_date"])
                else None,
            }
        )
    marks, personal, curve = figures["marks"], figures["personal"], figures["curve"]
    per = meters_per_unit(units.system)
    recent = [
        {
            **a,
            "marks": marks.get(a["activity_id"], []),
            "distance_text": units.distance(a["distance"], 2),
            "pace": units.pace(a["duration"], a["distance"]),
            "duration_text": format_duration(a["duration"]),
            "local_start": local_start(a["start_time"], tz, request.user.tz),
        }
        for a in profile["recent_activities"]
    ]
    chart_payload = {
        "unit": units.label,
        "daily_distance": [
            {
                "date": p["date"],
                "value": units.value(p["value"] * 1000),  # km (METRICS.md §4) to the viewer's
                "trend": units.value(p["trend"] * 1000),
            }
            for p in chart_data["daily_distance"]
        ],
        "weekly_training_load": chart_data["weekly_training_load"],
        "resting_hr": chart_data["resting_hr"],
        "hrv": chart_data["hrv"],
        "health_view": health_view,
        "fitness_fatigue": chart_data["fitness_fatigue"],
        "fitness_ahead": ahead["days"],
        "health": health["series"],
        "pace_curve": [
            {
                "seconds": p["seconds"],
                "recent": round(p["recent_pace"] * per / 1000 / 60, 2)
                if p["recent_pace"]
                else None,
                "all_time": round(p["all_time_pace"] * per / 1000 / 60, 2)
                if p["all_time_pace"]
                else None,
            }
            for p in curve["points"]
        ]
        if any(p["all_time_speed"] for p in curve["points"])
        else [],
    }
    viewing_self = athlete.pk == request.user.pk
    flags = page_flags(profile["attention_signals"]["flags"])
    checks = [
        {**check, "hint": check["hint"] if viewing_self else COACH_HINTS.get(check["key"], "")}
        for check in profile["data_quality"]["checks"]
    ]
    failed = failed_form(request)
    return render(
        request,
        "athletes/profile.html",
        {
            "athlete": athlete,
            "profile": profile,
            "flags": flags,
            "quality_checks": checks,
            "viewing_self": viewing_self,
            "units": units,
            "goals": goals,
            "recent": recent,
            "sports": SPORTS,
            "goal_failed": failed if failed and failed["form"] == "goal" else None,
            "race_distances": [
                ("5k", "5 km"),
                ("10k", "10 km"),
                ("half", "Half marathon"),
                ("marathon", "Marathon"),
                ("custom", "Other (km below)"),
            ],
            "records": [
                {
                    **r,
                    "all_time_pace": units.pace(r["all_time"]["seconds"], r["meters"])
                    if r["all_time"]
                    else None,
                }
                for r in personal["records"]
                if r["all_time"]
            ],
            "chart_payload": chart_payload,
            "ahead_until": ahead["days"][-1]["date"] if ahead["days"] else None,
            "health_view": health_view,
            "streak": streak,
            "streak_calendar": streak_calendar(streak["calendar"]),
            "weekly_distance": units.distance(
                profile["metrics"]["running_analytics"]["weekly_distance"]
            ),
            "week_change": _week_change(
                profile["metrics"]["running_analytics"]["weekly_distance"],
                profile["metrics"]["running_analytics"].get("last_week_same_days_distance"),
                units,
            ),
        },
    )


@login_required
def athlete_activities_export(request: HttpRequest, user_id: str) -> StreamingHttpResponse:
    athlete = page_athlete(request, user_id)

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    columns = [
        "activity_id",
        "start_time",
        "name",
        "sport",
        "distance",
        "duration",
        "elapsed_time",
        "avg_heart_rate",
        "max_heart_rate",
        "calories",
        "elevation_gain",
        "source",
        "training_load",
        *ZONE_FIELDS,
    ]
    fields = ["public_id", *columns[1:]]
    rows = Activity.objects.filter(user=athlete).order_by("-start_time").values_list(*fields)

    def stream() -> Any:
        yield writer.writerow(columns)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow(spreadsheet.row(row))

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{athlete.username}-activities.csv"'
    return response


@login_required
@require_POST
def athlete_upload(request: HttpRequest, user_id: str) -> HttpResponse:
    athlete = page_athlete(request, user_id)
    target = reverse("athlete-profile", args=[athlete.public_id])
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a .fit, .gpx or .tcx file to upload.")
        return redirect(target)
    if upload.size > settings.ASTRAL_UPLOAD_MAX_BYTES:
        messages.error(request, "That file is larger than 25 MB.")
        return redirect(target)
    if (upload.name or "").lower().endswith(".zip"):
        return _upload_archive(request, athlete, upload, target)
    sport = request.POST.get("sport") or None
    if sport is not None and sport not in SPORTS:
        messages.error(request, "Choose one of the listed sports, or leave it to the file.")
        return redirect(target)
    try:
        with upload_slot(athlete):
            imported = activity_import_file(
                user=athlete, filename=upload.name or "", content=upload.read(), sport=sport
            )
    except files.UnsupportedFileType:
        messages.error(
            request, "Unsupported file type: upload a .fit, .gpx or .tcx file (optionally .gz)."
        )
    except files.InvalidActivityFile as exc:
        messages.error(request, f"That file could not be read: {exc}.")
    except ApiError as exc:
        existing = exc.extra.get("activity_id")
        if existing:  # a duplicate: the run it duplicates is one click away, so go there
            messages.info(request, f"Not imported again: {exc.message} Here it is.")
            return redirect("activity", activity_id=existing)
        messages.error(request, f"Not imported: {exc.message}")
    else:
        activity = imported.first
        units = Units(request.user.units)
        when = local_start(activity.start_time, athlete.tz, request.user.tz)
        legs = imported.activities
        what = (
            f"a multisport event of {len(legs)} legs ("
            + ", ".join(leg.sport.replace("_", " ") for leg in legs)
            + f") of {when}: {units.distance(sum(leg.distance for leg in legs), 2)} "
            f"in {format_duration(sum(leg.duration for leg in legs))}"
            if len(legs) > 1
            else f"{activity.name} of {when}: {units.distance(activity.distance, 2)} "
            f"in {format_duration(activity.duration)}"
        )
        messages.success(request, f"Imported {what}.")
        if imported.warning:
            messages.warning(request, f"Part of the file was not read: {imported.warning}.")
        if activity.sport == "other":
            messages.info(request, "The file does not say what sport it was: set it below.")
        return redirect("activity", activity_id=activity.public_id)  # the run itself
    return redirect(target)


def _upload_archive(request: HttpRequest, athlete: User, upload: Any, target: str) -> HttpResponse:
    """A whole export (Strava's, Garmin's or Astral's own): unpacked by a worker, each file
    stored as an upload is; the message says how many and where to follow."""
    if upload.size > settings.ASTRAL_IMPORT_MAX_BYTES:
        messages.error(request, "That zip is larger than the import takes.")
        return redirect(target)
    try:
        batch = imports.import_archive_start(user=athlete, upload=upload)
    except (zipfile.BadZipFile, ApiError) as exc:
        reason = exc.message if isinstance(exc, ApiError) else "it is not a readable zip"
        messages.error(request, f"Not imported: {reason}")
        return redirect(target)
    batch.refresh_from_db()
    done = (
        f"{batch.imported} imported, {batch.duplicate} already here, {batch.rejected} refused"
        if batch.done >= batch.total
        else "the rest follows in a minute"
    )
    messages.success(request, f"Importing {batch.total} activities from the zip: {done}.")
    return redirect(reverse("athlete-activities", args=[athlete.public_id]))


def home_for(user: User) -> str:
    """A coach's roster, an athlete's profile; someone in no club the page that offers to
    start one or join one (staff without a club: the admin)."""
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if roles & {Role.OWNER, Role.COACH}:
        return reverse("athletes")
    if not roles:
        return "/admin/" if user.is_staff else reverse("club")
    return reverse("athlete-profile", args=[user.public_id])


# What is wrong with a goal, in words (the API's messages name fields and formats).
GOAL_WORDS = {
    "race_name": "Give the race a name.",
    "race_date": "Give the race's date, for example 2027-04-19.",
    "custom_km": "Choose a distance, or type one in km (for example 15).",
    "goal_time": "Write the goal time as hours, minutes and seconds: 3:30:00, or 45:00.",
}

RACE_DISTANCES = {"5k": 5000.0, "10k": 10000.0, "half": 21097.5, "marathon": 42195.0}


@login_required
@require_POST
def athlete_goal(request: HttpRequest, user_id: str) -> HttpResponse:
    """The athlete's goal race, set by them or their coach; the API's rules."""
    athlete = page_athlete(request, user_id)
    target = reverse("athlete-profile", args=[athlete.public_id]) + "#goal-form"
    post = request.POST
    distance = RACE_DISTANCES.get(post.get("distance", ""))
    if distance is None:
        try:
            distance = finite_float(post.get("custom_km", "")) * 1000
        except ValueError:
            distance = 0.0
    body = {
        "race_name": post.get("race_name", "").strip(),
        "race_date": post.get("race_date", ""),
        "distance": distance,
        "goal_time": post.get("goal_time", "").strip() or None,
    }
    serializer = s.GoalSerializer(data=body)
    if not serializer.is_valid():
        field, problems = next(iter(serializer.errors.items()))
        field = "custom_km" if field == "distance" else field
        message = GOAL_WORDS.get(field, f"{field.replace('_', ' ').capitalize()}: {problems[0]}")
        form_failed(request, "goal", field, message, post)
        return redirect(target)
    goal_create(athlete=athlete, fields=dict(serializer.validated_data))
    messages.success(request, f"Goal race {body['race_name']} saved.")
    return redirect(target)
