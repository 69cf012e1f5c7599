"""Plans from the browser: build one (weeks × days of workouts), copy it, and assign it to
athletes or a whole group from a start date. Owners and coaches of the plan's club only."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from api.athletes.serializers import workout_fields
from astral.api.errors import ApiError
from astral.api.requests import finite_float
from athletes.models import Plan, PlanInstance, PlannedWorkout, User
from athletes.services import plans as plan_services
from athletes.workouts import MAX_WORKOUT_DISTANCE, WORKOUT_TYPES
from metrics.formatting import format_duration, parse_duration
from metrics.units import meters_per_unit
from organizations.access import can_coach
from organizations.models import Role
from pages.chrome import Units, current_organization, page_caller
from pages.steps import HELP as STEPS_HELP
from pages.steps import parse_steps, steps_text

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
TYPES = list(WORKOUT_TYPES)
MAX_WEEKS = 52


def typed_workout(
    raw: dict[str, str], units: Units, where: str = "", label: str = ""
) -> dict[str, Any]:
    """A workout as typed on a page (distance in the viewer's units, time as H:MM:SS),
    checked by the API's own rule (`workout_fields`). A bad value is an ApiError named by the
    page (`w2d3` in the grid, else the field) and said in the viewer's units."""
    per = meters_per_unit(units.system)
    words = {
        "type": "Choose one of the listed workout types.",
        "distance": f"Distance in {units.label}, up to {MAX_WORKOUT_DISTANCE / per:.0f}.",
        "duration": "Time as H:MM:SS or M:SS, up to 24 hours.",
        "note": "A note of up to 200 characters.",
    }
    parsers = {
        "distance": lambda text: round(finite_float(text.replace(",", ".")) * per, 1),
        "duration": lambda text: float(parse_duration(text)),
    }
    fields: dict[str, Any] = {k: v for k, v in raw.items() if k in ("week", "day", "type", "note")}
    try:
        if "steps" in raw:
            fields["steps"] = parse_steps(raw["steps"], units.system)
        for name, parse in parsers.items():
            if text := raw.get(name, "").strip():
                try:
                    fields[name] = parse(text)
                except ValueError:
                    raise ApiError(words[name], field=name) from None
        return workout_fields(fields)
    except ApiError as error:
        bad = (error.field or "").rsplit(".", 1)[-1]
        message = words.get(bad, error.message)
        raise ApiError(f"{label}: {message}" if label else message, field=where or bad) from None


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:200]
        try:
            weeks = int(request.POST.get("total_weeks", ""))
        except ValueError:
            weeks = 0
        if not name or not 1 <= weeks <= MAX_WEEKS:
            messages.error(request, f"Give the plan a name and 1 to {MAX_WEEKS} weeks.")
            return redirect(f"{reverse('plans')}?org={organization.public_id}")
        plan, _ = plan_services.plan_create(
            organization=organization,
            name=name,
            total_weeks=weeks,
            description=request.POST.get("description", "")[:5000],
            created_by=request.user,  # type: ignore[arg-type]
            workouts=[],
        )
        return redirect("plan-edit", plan_id=plan.public_id)
    # Each count its own subquery: counting both over one join multiplied every plan's
    # workouts by its athletes (100 ms for five plans of 1,600 athletes each).
    rows = (
        Plan.objects.filter(organization=organization)
        .annotate(workout_count=_count_of(PlannedWorkout), athlete_count=_count_of(PlanInstance))
        .order_by("name")
    )
    return render(
        request,
        "organizations/plans.html",
        {"organization": organization, "plans": rows},
    )


def _count_of(model: type[PlannedWorkout] | type[PlanInstance]) -> Coalesce:
    """How many rows of `model` belong to each plan of the queryset."""
    rows = model.objects.filter(plan=OuterRef("pk")).order_by().values("plan")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


def _coached_plan(request: HttpRequest, plan_id: str) -> Plan:
    plan = Plan.objects.select_related("organization").filter(public_id=plan_id).first()
    if plan is None:
        raise Http404("No such plan.")
    if not can_coach(page_caller(request), plan.organization):
        raise PermissionDenied("Only the club's coaches use its plans.")
    return plan


def _grid_workouts(post: Any, plan: Plan, units: Units) -> list[dict[str, Any]]:
    """The grid's cells as workouts; a bad cell is a 400 naming it (`w2d3`)."""
    workouts = []
    for week in range(1, plan.total_weeks + 1):
        for day in range(1, 8):
            cell = f"w{week}d{day}"
            kind = post.get(f"{cell}_type", "rest")
            if kind == "rest":
                continue
            workouts.append(
                typed_workout(
                    {
                        "week": str(week),
                        "day": str(day),
                        "type": kind,
                        "distance": post.get(f"{cell}_distance", ""),
                        "duration": post.get(f"{cell}_duration", ""),
                        "note": post.get(f"{cell}_note", ""),
                        "steps": post.get(f"{cell}_steps", ""),
                    },
                    units,
                    where=cell,
                    label=f"Week {week}, {DAYS[day - 1]}",
                )
            )
    return workouts


@login_required
def plan_edit(request: HttpRequest, plan_id: str) -> HttpResponse:
    plan = _coached_plan(request, plan_id)
    units = Units(request.user.units)
    organization = plan.organization
    grid_error: ApiError | None = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "save":
                try:
                    workouts = _grid_workouts(request.POST, plan, units)
                except ApiError as error:
                    grid_error = error  # the page again, as typed, the bad cell marked
                else:
                    plan_services.plan_workouts_set(plan=plan, workouts=workouts)
                    messages.success(request, "Plan saved.")
            elif action == "copy":
                name = request.POST.get("name", "").strip()[:200] or f"{plan.name} (copy)"
                copied = plan_services.plan_copy(
                    plan=plan,
                    name=name,
                    created_by=request.user,  # type: ignore[arg-type]
                )
                messages.success(request, f"Copied as {name}.")
                return redirect("plan-edit", plan_id=copied.public_id)
            elif action == "assign":
                _assign(request, plan)
        except ApiError as error:
            messages.error(request, error.message)
        if grid_error is None:
            return redirect("plan-edit", plan_id=plan.public_id)
    cells: dict[tuple[int, int], Any] = {(w.week, w.day): w for w in plan.workouts.all()}
    weeks = [
        {
            "number": week,
            "days": [
                _typed_cell(request.POST, week, day, grid_error)
                if grid_error
                else _cell(week, day, cells.get((week, day)), units)
                for day in range(1, 8)
            ],
        }
        for week in range(1, plan.total_weeks + 1)
    ]
    athletes = User.objects.filter(
        memberships__organization=organization, memberships__role=Role.ATHLETE, is_active=True
    ).order_by("display_name", "username")
    followers = plan.instances.select_related("user").order_by("-start_date")
    return render(
        request,
        "organizations/plan_edit.html",
        {
            "organization": organization,
            "plan": plan,
            "weeks": weeks,
            "day_names": DAYS,
            "types": TYPES,
            "units": units,
            "athletes": athletes,
            "groups": organization.groups.order_by("name"),
            "followers": followers,
            "steps_help": STEPS_HELP,
            "grid_error": grid_error.message if grid_error else "",
        },
        status=400 if grid_error else 200,
    )


def _cell(week: int, day: int, workout: Any, units: Units) -> dict[str, Any]:
    steps = workout.steps if workout else None
    return {
        "name": f"w{week}d{day}",
        "type": workout.type if workout else "rest",
        # With steps, the distance and time are theirs: the steps are what is edited.
        "distance": f"{units.value(workout.distance):g}"
        if workout and workout.distance and not steps
        else "",
        "duration": format_duration(workout.duration)
        if workout and workout.duration and not steps
        else "",
        "steps": steps_text(steps, units.system),
        "note": workout.note if workout else "",
    }


def _typed_cell(post: Any, week: int, day: int, error: ApiError) -> dict[str, Any]:
    """A cell as it was typed (a save that failed keeps every value)."""
    name = f"w{week}d{day}"
    return {
        "name": name,
        "type": post.get(f"{name}_type", "rest"),
        "distance": post.get(f"{name}_distance", ""),
        "duration": post.get(f"{name}_duration", ""),
        "steps": post.get(f"{name}_steps", ""),
        "note": post.get(f"{name}_note", ""),
        "error": error.field == name,
    }


def _assign(request: HttpRequest, plan: Plan) -> None:
    try:
        start = date.fromisoformat(request.POST.get("start_date", ""))
    except ValueError:
        raise ApiError("Choose the day the plan starts.", field="start_date") from None
    chosen = set(request.POST.getlist("user_ids"))
    group_id = request.POST.get("group_id", "")
    athletes = {
        u.pk: u
        for u in User.objects.filter(
            memberships__organization=plan.organization,
            memberships__role=Role.ATHLETE,
            public_id__in=chosen,
        )
    }
    if group_id:
        group = plan.organization.groups.filter(public_id=group_id).first()
        if group is None:
            raise ApiError("No such group.", field="group_id")
        for athlete in group.members.filter(memberships__organization=plan.organization):
            athletes[athlete.pk] = athlete
    if not athletes:
        raise ApiError("Choose athletes or a group.", field="user_ids")
    plan_services.plan_assign(plan=plan, athletes=list(athletes.values()), start_date=start)
    messages.success(
        request,
        f"{plan.name} assigned to {len(athletes)} athlete{'s' if len(athletes) != 1 else ''} "
        f"from {start:%a %-d %b %Y}.",
    )
