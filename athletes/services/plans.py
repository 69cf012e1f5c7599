"""Goals, plans, plan instances and the training calendar's workouts.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from astral.api.errors import ApiError
from athletes.models import (
    Goal,
    Plan,
    PlanInstance,
    PlannedWorkout,
    User,
)
from athletes.services.accounts import _athlete_row_update
from athletes.services.changes import athlete_data_changed, lock_athlete
from metrics.plans import plan_day, week_monday


def goal_create(*, athlete: User, fields: dict[str, Any]) -> Goal:
    with transaction.atomic():
        goal = Goal.objects.create(user=athlete, **fields)
        athlete_data_changed([athlete.pk])
    return goal


def goal_update(*, goal: Goal, changes: dict[str, Any]) -> None:
    _athlete_row_update(goal, changes, goal.user_id)
    goal.refresh_from_db(fields=["goal_time_text"])  # the database formats it


def goal_delete(*, goal: Goal) -> None:
    with transaction.atomic():
        goal.delete()
        athlete_data_changed([goal.user_id])


def plan_create(
    *,
    organization: Any,
    name: str,
    total_weeks: int,
    description: str,
    created_by: User | None,
    workouts: list[dict[str, Any]],
) -> tuple[Plan, list[PlannedWorkout]]:
    """Not a data change: a plan nobody follows yet changes no athlete's numbers (`plan_assign` does)."""
    with transaction.atomic():
        plan = Plan.objects.create(
            organization=organization,
            name=name,
            total_weeks=total_weeks,
            description=description,
            created_by=created_by,
        )
        rows = PlannedWorkout.objects.bulk_create(
            [PlannedWorkout(plan=plan, **workout) for workout in workouts]
        )
    return plan, rows


def plan_update(*, plan: Plan, changes: dict[str, Any]) -> None:
    """A plan's name, description or length: its followers' current week, calendar and
    compliance follow."""
    with transaction.atomic():
        for name, value in changes.items():
            setattr(plan, name, value)
        if changes:
            plan.save(update_fields=list(changes))
            plan.refresh_from_db(fields=["updated_at"])  # PostgreSQL moved it
        athlete_data_changed(plan.instances.values_list("user_id", flat=True))


WORKOUT_FIELDS = (
    "week",
    "day",
    "type",
    "distance",
    "duration",
    "pace_zone",
    "note",
    "steps",
    "athlete_note",
)


def plan_assign(*, plan: Plan, athletes: list[User], start_date: date) -> list[PlanInstance]:
    with transaction.atomic():
        created = PlanInstance.objects.bulk_create(
            [PlanInstance(plan=plan, user=athlete, start_date=start_date) for athlete in athletes]
        )
        athlete_data_changed([athlete.pk for athlete in athletes])
    return created


def plan_instance_update(*, instance: PlanInstance, changes: dict[str, Any]) -> None:
    _athlete_row_update(instance, changes, instance.user_id)


def plan_workouts_set(*, plan: Plan, workouts: list[dict[str, Any]]) -> None:
    """The plan's weeks as a whole: what is not in `workouts` is no longer planned. Everyone
    following the plan gets new compliance and calendars."""
    with transaction.atomic():
        plan.workouts.all().delete()
        PlannedWorkout.objects.bulk_create(
            [PlannedWorkout(plan=plan, **workout) for workout in workouts]
        )
        athlete_data_changed(plan.instances.values_list("user_id", flat=True))


def plan_copy(*, plan: Plan, name: str, created_by: User | None) -> Plan:
    """A new plan with the same weeks, for another block or another group.

    Not a data change: the copy is followed by nobody yet."""
    copied, _ = plan_create(
        organization=plan.organization,
        name=name,
        total_weeks=plan.total_weeks,
        description=plan.description,
        created_by=created_by,
        workouts=[{name: getattr(w, name) for name in WORKOUT_FIELDS} for w in plan.workouts.all()],
    )
    return copied


def _own_plan(instance: PlanInstance, created_by: User | None) -> PlanInstance:
    """The instance's plan, made the athlete's own first when others follow it too, so a
    change to one athlete's day never moves anyone else's (copy on write)."""
    plan = instance.plan
    if plan.instances.exclude(pk=instance.pk).exists():
        copy = plan_copy(plan=plan, name=f"{plan.name} · {instance.user.name}"[:200],
                         created_by=created_by)  # fmt: skip
        instance.plan = copy
        instance.save(update_fields=["plan"])
    return instance


def _plan_day(instance: PlanInstance, day: date) -> tuple[int, int] | None:
    """(week, day) of a date inside the instance's weeks, None outside them."""
    return plan_day(instance.start_date, instance.plan.total_weeks, day)


def calendar_workout_add(
    *, athlete: User, organization: Any, day: date, fields: dict[str, Any], by: User | None
) -> PlannedWorkout:
    """A workout on an athlete's day: into the plan they follow on that day, or, on a day no
    plan covers, into a one-week plan of their own that starts on that Monday."""
    with transaction.atomic():
        lock_athlete(athlete)
        covering = [
            i
            for i in PlanInstance.objects.filter(user=athlete)
            .exclude(status="cancelled")
            .select_related("plan", "user")
            if _plan_day(i, day) is not None
        ]
        if covering:
            instance = _own_plan(covering[0], by)
        else:
            monday = week_monday(day)
            plan, _ = plan_create(
                organization=organization,
                name=f"{athlete.name} · week of {monday:%-d %b %Y}"[:200],
                total_weeks=1,
                description="Sessions added on the calendar.",
                created_by=by,
                workouts=[],
            )
            instance = PlanInstance.objects.create(plan=plan, user=athlete, start_date=monday)
        week, weekday = _plan_day(instance, day) or (1, 1)
        workout = PlannedWorkout.objects.create(
            plan=instance.plan, week=week, day=weekday, **fields
        )
        athlete_data_changed([athlete.pk])
    return workout


def calendar_workout_move(
    *, instance: PlanInstance, workout: PlannedWorkout, day: date, by: User | None
) -> PlannedWorkout:
    """Moves one planned workout to another day inside the same plan's weeks.

    Raises ApiError 400 (field `date`) for a day outside them."""
    with transaction.atomic():
        lock_athlete(instance.user)
        if _plan_day(instance, day) is None:
            raise ApiError("Move the workout to a day inside the plan's weeks.", field="date")
        moved = _copied(instance, workout, by)
        moved.week, moved.day = _plan_day(instance, day) or (moved.week, moved.day)
        moved.save(update_fields=["week", "day"])
        athlete_data_changed([instance.user_id])
    return moved


def calendar_workout_update(
    *, instance: PlanInstance, workout: PlannedWorkout, fields: dict[str, Any], by: User | None
) -> PlannedWorkout:
    """Edits one planned workout in place (type, distance, duration, zone, note, steps, or
    the athlete's own note), in the athlete's own copy of the plan."""
    with transaction.atomic():
        lock_athlete(instance.user)
        edited = _copied(instance, workout, by)
        for name, value in fields.items():
            setattr(edited, name, value)
        edited.save(update_fields=list(fields))
        athlete_data_changed([instance.user_id])
    return edited


def calendar_workout_delete(
    *, instance: PlanInstance, workout: PlannedWorkout, by: User | None
) -> None:
    with transaction.atomic():
        lock_athlete(instance.user)
        _copied(instance, workout, by).delete()
        athlete_data_changed([instance.user_id])


def _copied(instance: PlanInstance, workout: PlannedWorkout, by: User | None) -> PlannedWorkout:
    """The workout in the athlete's own plan (the same one when the plan was theirs)."""
    before = instance.plan_id
    _own_plan(instance, by)
    if instance.plan_id == before:
        return workout
    same = (
        instance.plan.workouts.filter(
            week=workout.week, day=workout.day, type=workout.type, distance=workout.distance
        )
        .order_by("pk")
        .first()
    )
    if same is None:  # pragma: no cover - the copy holds every workout
        raise ApiError("The workout is no longer in the plan.", "NOT_FOUND", status=404)
    return same
