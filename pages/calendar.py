"""The training calendar page: a month of an athlete's days, planned against done, and the
coach's hand on it (add, move or delete a planned workout on one athlete's day)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from analytics import calendar
from astral.api.errors import ApiError
from astral.localtime import MAX_DATE, MIN_DATE, local_today
from athletes.models import PlanInstance, PlannedWorkout, User
from athletes.services import plans as plan_services
from metrics.formatting import format_duration
from organizations.access import coached_org_ids
from organizations.models import Membership, Organization, Role
from pages.chrome import Units, page_athlete, page_caller, sidebar
from pages.plans import TYPES, typed_workout

STATUS_WORDS = {
    "done": "done as planned",
    "partial": "partly done",
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
                "days": [_day_view(day, month, today, units) for day in days],
                "distance": units.distance(total["distance"]),
                "planned": units.distance(total["planned_distance"])
                if total["planned_distance"]
                else None,
                "time": format_duration(total["duration"]) or "0:00",
                "load": round(total["training_load"]),
                "ratio": round(100 * total["distance"] / total["planned_distance"])
                if total["planned_distance"]
                else None,
            }
        )
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "athletes/calendar.html",
        {
            **sidebar(request),
            "athlete": athlete,
            "month": month,
            "weeks": weeks,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "can_plan": _coaching_org(request, athlete) is not None,
            "types": TYPES,
            "units": units,
            "legend": STATUS_WORDS,
        },
    )


def _day_view(day: dict[str, Any], month: date, today: date, units: Units) -> dict[str, Any]:
    return {
        **day,
        "in_month": day["date"].month == month.month,
        "is_today": day["date"] == today,
        "status_words": STATUS_WORDS.get(day["status"] or "", ""),
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
            }
            for w in day["planned"]
        ],
        "activities": [
            {**a, "text": f"{units.distance(a['distance'])} · {format_duration(a['duration'])}"}
            for a in day["activities"]
        ],
    }


def _workout_fields(request: HttpRequest, units: Units) -> dict[str, Any]:
    raw = {k: request.POST.get(k, "") for k in ("type", "distance", "note")}
    raw["type"] = raw["type"] or "easy"
    return typed_workout(raw, units)


@login_required
@require_POST
def calendar_workout(request: HttpRequest, user_id: str) -> HttpResponse:
    """A coach adds, moves or deletes a planned workout on this athlete's calendar."""
    athlete = page_athlete(request, user_id)
    organization = _coaching_org(request, athlete)
    if organization is None:
        raise PermissionDenied("Only the athlete's coaches plan their days.")
    action = request.POST.get("action", "add")
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
                plan_services.calendar_workout_move(
                    instance=instance, workout=workout, day=day, by=request.user
                )
                messages.success(request, f"Moved to {day:%a %-d %b}.")
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
