"""The training calendar page: a month of an athlete's days, planned against done, and the
coach's hand on it (add, move or delete a planned workout on one athlete's day)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from analytics import calendar
from analytics.plans import workout_file
from analytics.workout_files import steps_in_words
from astral.api.errors import ApiError
from astral.localtime import MAX_DATE, MIN_DATE, local_today
from athletes.models import PlanInstance, PlannedWorkout, User
from athletes.services import plans as plan_services
from metrics.formatting import format_duration
from metrics.plans import workout_date
from organizations.access import coached_org_ids
from organizations.models import Membership, Organization, Role
from pages.chrome import Units, page_athlete, page_caller
from pages.plans import TYPES, typed_workout
from pages.steps import HELP as STEPS_HELP
from pages.steps import steps_text

# METRICS.md §7's statuses in the colours coaches know (done green, partial yellow, off
# orange, missed red, planned neutral), said in words beside every colour.
STATUS_WORDS = {
    "done": "done as planned",
    "partial": "partly done",
    "off": "run, but far from the plan",
    "missed": "missed",
    "planned": "planned",
    "rest": "rest day",
    "unplanned": "run outside the plan",
}


def _coaching_org(request: HttpRequest, athlete: User) -> Organization | None:
    """The club in which the viewer coaches this athlete, if any."""
    membership = (
        Membership.objects.filter(
            user=athlete,
            role=Role.ATHLETE,
            organization_id__in=coached_org_ids(page_caller(request)),
        )
        .select_related("organization")
        .first()
    )
    return membership.organization if membership else None


def _month(text: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        month_start = date(year, month, 1)
    except ValueError:
        return today.replace(day=1)
    return month_start if MIN_DATE <= month_start <= MAX_DATE else today.replace(day=1)


@login_required
def calendar_page(request: HttpRequest, user_id: str) -> HttpResponse:
    athlete = page_athlete(request, user_id)
    units = Units(request.user.units)
    today = local_today(athlete.tz)
    month = _month(request.GET.get("month"), today)
    first, last = calendar.month_grid(month)
    data = calendar.cached_calendar(athlete, first=first, last=last, today=today)
    weeks = []
    for index, total in enumerate(data["weeks"]):
        days = data["days"][index * 7 : index * 7 + 7]
        weeks.append(
            {
                "days": [_day_view(day, month, today, units, athlete) for day in days],
                "distance": units.distance(total["distance"]),
                "planned": units.distance(total["planned_distance"])
                if total["planned_distance"]
                else None,
                "time": format_duration(total["duration"]) or "0:00",
                "load": round(total["training_load"]),
                "planned_load": round(total["planned_load"]) if total["planned_load"] else None,
                # A week not begun has no ratio: it is planned, not "0 % done".
                "ratio": round(100 * total["distance"] / total["planned_distance"])
                if total["planned_distance"] and total["week_start"] <= today
                else None,
            }
        )
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "athletes/calendar.html",
        {
            "athlete": athlete,
            "month": month,
            "weeks": weeks,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "can_plan": _coaching_org(request, athlete) is not None,
            "types": TYPES,
            "units": units,
            "legend": STATUS_WORDS,
            "is_athlete": request.user.pk == athlete.pk,
            "steps_help": STEPS_HELP,
        },
    )


def _day_view(
    day: dict[str, Any], month: date, today: date, units: Units, athlete: User
) -> dict[str, Any]:
    monday = day["date"] - timedelta(days=day["date"].weekday())
    return {
        **day,
        "in_month": day["date"].month == month.month,
        "is_today": day["date"] == today,
        "status_words": STATUS_WORDS.get(day["status"] or "", ""),
        "week_first": monday,
        "week_last": monday + timedelta(days=6),
        "planned": [
            {
                **w,
                "text": " · ".join(
                    part
                    for part in (
                        w["type"],
                        units.distance(w["distance"]) if w["distance"] else "",
                        format_duration(w["duration"]) if w["duration"] else "",
                    )
                    if part
                ),
                "status_words": STATUS_WORDS.get(w["status"], ""),
                "steps_words": steps_in_words(w["steps"], units.system),
                "steps_text": steps_text(w["steps"], units.system),
                "distance_value": units.value(w["distance"]) if w["distance"] else "",
                "duration_text": format_duration(w["duration"]) if w["duration"] else "",
                "fit_url": reverse("athlete-calendar-fit", args=[athlete.public_id])
                + f"?date={day['date']:%Y-%m-%d}&workout_id={w['workout_id']}",
            }
            for w in day["planned"]
        ],
        "activities": [
            {**a, "text": f"{units.distance(a['distance'])} · {format_duration(a['duration'])}"}
            for a in day["activities"]
        ],
    }


def _workout_fields(request: HttpRequest, units: Units) -> dict[str, Any]:
    raw = {k: request.POST.get(k, "") for k in ("type", "distance", "duration", "note", "steps")}
    raw["type"] = raw["type"] or "easy"
    fields = typed_workout(raw, units)
    # Edited in place: what was cleared is cleared.
    return {"distance": None, "duration": None, "steps": None, "note": "", **fields}


@login_required
def calendar_workout_file(request: HttpRequest, user_id: str) -> HttpResponse:
    """The planned workout as a FIT file for the watch (the API's `calendar/workout.fit`)."""
    athlete = page_athlete(request, user_id)
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
        workout_id = int(request.GET.get("workout_id") or 0) or None
        name, data = workout_file(athlete, day, workout_id)
    except (ValueError, ApiError):
        raise Http404("No planned workout on this day.") from None
    response = HttpResponse(data, content_type="application/vnd.ant.fit")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def calendar_workout(request: HttpRequest, user_id: str) -> HttpResponse:
    """A coach adds, edits, moves or deletes a planned workout on this athlete's calendar;
    the athlete moves their own workout within its week, or leaves a note on it."""
    athlete = page_athlete(request, user_id)
    organization = _coaching_org(request, athlete)
    action = request.POST.get("action", "add")
    own = request.user.pk == athlete.pk
    if organization is None and not (own and action in ("move", "athlete_note")):
        raise PermissionDenied("Only the athlete's coaches plan their days.")
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        day = None
    back = reverse("athlete-calendar", args=[athlete.public_id])
    if day is None:
        messages.error(request, "Choose a day.")
        return redirect(back)
    try:
        if action == "add":
            plan_services.calendar_workout_add(
                athlete=athlete,
                organization=organization,
                day=day,
                fields=_workout_fields(request, Units(request.user.units)),
                by=request.user,
            )
            messages.success(request, f"Planned on {day:%a %-d %b}.")
        else:
            instance = PlanInstance.objects.select_related("plan", "user").get(
                user=athlete, public_id=request.POST.get("plan_instance_id", "")
            )
            workout = PlannedWorkout.objects.get(
                plan=instance.plan, pk=request.POST.get("workout_id") or 0
            )
            if action == "move":
                if organization is None:  # the athlete: within the workout's own week
                    was = instance_day(instance, workout)
                    if was is None or day - timedelta(days=day.weekday()) != was - timedelta(
                        days=was.weekday()
                    ):
                        raise ApiError("Move your workout to another day of its week.")
                plan_services.calendar_workout_move(
                    instance=instance, workout=workout, day=day, by=request.user
                )
                messages.success(request, f"Moved to {day:%a %-d %b}.")
            elif action == "edit":
                plan_services.calendar_workout_update(
                    instance=instance,
                    workout=workout,
                    fields=_workout_fields(request, Units(request.user.units)),
                    by=request.user,
                )
                messages.success(request, f"Workout of {day:%a %-d %b} changed.")
            elif action == "athlete_note":
                note = request.POST.get("athlete_note", "").strip()[:200]
                plan_services.calendar_workout_update(
                    instance=instance, workout=workout, fields={"athlete_note": note}, by=None
                )
                messages.success(request, "Note saved: your coach sees it beside the workout.")
            else:
                plan_services.calendar_workout_delete(
                    instance=instance, workout=workout, by=request.user
                )
                messages.success(request, "Workout removed from this athlete's plan.")
    except ApiError as error:
        messages.error(request, str(error.message))
    except (PlanInstance.DoesNotExist, PlannedWorkout.DoesNotExist, ValueError):
        messages.error(request, "That workout is no longer planned.")
    return redirect(f"{back}?month={day:%Y-%m}")


def instance_day(instance: PlanInstance, workout: PlannedWorkout) -> date | None:
    return workout_date(instance.start_date, workout.week, workout.day)
