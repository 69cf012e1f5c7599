"""Plan instances with their progress, for any number of athletes in a constant number of
queries. Every figure is METRICS.md §7's, from `metrics.plans` (the one rule)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import DateTimeField, F, Func, IntegerField, Prefetch, Value
from django.utils import timezone

from analytics.selectors import runs_by_user
from analytics.workout_files import Zones, fit_workout
from astral.api.errors import ApiError
from astral.localtime import MAX_DATE, local_today
from athletes.models import Goal, PlanInstance, PlannedWorkout, User
from metrics import plans as rule
from metrics.zones import default_hr_zones, effective_max_hr

# The plan week a plan instance is in: ISO weeks from its start's week to the week of the
# athlete's local today, plus 1, clamped to 1..total_weeks (API.md, plan instances; the same
# as metrics.plans.current_week). Written once, in SQL: the plan instance API reads it as an
# annotation (`PlanWeek`), the roster's statement inlines it.
PLAN_WEEK_SQL = (
    "GREATEST(1, LEAST({total}, (date_trunc('week', ({now} AT TIME ZONE "
    "COALESCE(NULLIF({tz}, ''), 'UTC')))::date - date_trunc('week', {start})::date) / 7 + 1))"
)


class PlanWeek(Func):
    output_field = IntegerField()

    def __init__(self, now: Any) -> None:
        super().__init__(
            Value(now, output_field=DateTimeField()),
            F("user__timezone"),
            F("start_date"),
            F("plan__total_weeks"),
        )

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, values = compiler.compile(expression)
            parts.append(sql)
            params.extend(values)
        now, tz, start, total = parts
        return PLAN_WEEK_SQL.format(
            now=f"{now}::timestamptz", tz=tz, start=start, total=total
        ), params


def with_plan(queryset: Any, *, related: tuple[str, ...] = ("plan__organization", "user")) -> Any:
    """Instances with what their standings read: the plan's workouts, the current week, and
    `related` joined (one athlete's own instances, read through their manager, know them
    without joining the athlete's row)."""
    return (
        queryset.select_related(*related)
        .prefetch_related(
            Prefetch("plan__workouts", queryset=PlannedWorkout.objects.order_by("week", "day"))
        )
        .annotate(current_week=PlanWeek(timezone.now()))
    )


def planning_athlete(user: User) -> rule.Athlete:
    return rule.Athlete(pace_zones=user.pace_zones, vdot=user.vdot, sex=user.sex)


def watch_zones(user: User, today: date) -> Zones:
    """The athlete's pace and HR zones a watch target is written in."""
    hr = user.hr_zones or default_hr_zones(effective_max_hr(user.max_hr, user.birth_date, today))
    return Zones(pace=rule.zone_boundaries(user.pace_zones, user.vdot), hr=hr)


def plans_of(
    athlete: User,
    first: date,
    last: date,
    *,
    statuses: tuple[str, ...] = ("active", "scheduled", "completed"),
) -> list[PlanInstance]:
    """The athlete's plan instances (not cancelled, unless told which statuses) whose weeks
    meet first..last, with their plans' workouts and the athlete on each (what the
    standings read), in one query and a prefetch."""
    instances = (
        PlanInstance.objects.filter(user=athlete, status__in=statuses)
        .select_related("plan")
        .prefetch_related(
            Prefetch("plan__workouts", queryset=PlannedWorkout.objects.order_by("week", "day"))
        )
    )
    out = []
    for instance in instances:
        if (
            instance.start_date <= last
            and rule.plan_end(instance.start_date, instance.plan.total_weeks) >= first
        ):
            instance.user = athlete
            out.append(instance)
    return out


def workout_file(athlete: User, day: date, workout_id: int | None) -> tuple[str, bytes]:
    """(file name, FIT bytes) of the athlete's planned workout on a day (the day's first
    when no id is given); ApiError 404 on a day without one."""
    today = local_today(athlete.tz)
    instances = plans_of(athlete, day, day)
    found = [
        (row, instance)
        for instance in instances
        for _, when, row in dated_workouts(instance)
        if when == day and row.type != rule.REST and (workout_id is None or row.pk == workout_id)
    ]
    if not found:
        raise ApiError("No planned workout on this day.", "NOT_FOUND", status=404)
    row, instance = sorted(found, key=lambda pair: pair[0].pk)[0]
    title = f"{row.type.capitalize()} · {day:%a %-d %b} · {instance.plan.name}"
    data = fit_workout(title, as_workout(row), watch_zones(athlete, today))
    return f"astral-{day.isoformat()}-{row.type}.fit", data


def as_workout(row: PlannedWorkout) -> rule.Workout:
    return rule.Workout(
        type=row.type,
        distance=row.distance,
        duration=row.duration,
        pace_zone=row.pace_zone,
        steps=row.steps,
    )


def dated_workouts(instance: PlanInstance) -> list[tuple[Any, date, PlannedWorkout]]:
    """((instance, workout) key, date, row) of each planned workout of the instance (the
    prefetched `plan.workouts`); week 1's days before the start are not planned."""
    out = []
    plan, start = instance.plan, instance.start_date
    for row in plan.workouts.all():
        when = rule.workout_date(start, row.week, row.day)
        if when is not None and row.week <= plan.total_weeks:
            out.append(((instance.id, row.id), when, row))
    return out


def standings_of(
    instances: Iterable[PlanInstance],
    *,
    last: date | None = None,
    through: Mapping[int, date] | None = None,
) -> dict[int, list[rule.Standing]]:
    """Each instance's workouts against its athlete's runs (METRICS.md §7), in a query per
    time zone. Each instance is matched on its own: its standing depends on nothing but its
    plan, its start, the athlete's runs and zones, and their day (what analytics.standings
    keeps it against); an athlete following two plans at once has a run count in each.
    `last`: runs up to that day too (else up to each one's today). `through`: per instance,
    its workouts up to that day only (matching goes in date order and reaches a day either
    side, so a later workout changes nothing before it)."""
    instances = list(instances)
    if not instances:
        return {}
    by_user: dict[int, list[PlanInstance]] = defaultdict(list)
    for instance in instances:
        by_user[instance.user_id].append(instance)
    todays = {i.user_id: local_today(i.user.tz) for i in instances}
    first = min(i.start_date for i in instances) - timedelta(days=1)
    runs = runs_by_user(
        {i.user for i in instances}, first=first, last=max([*todays.values(), last or first])
    )
    # One Workout per distinct planned workout (a plan's easy Tuesday of every week is one),
    # which rule.standings works out once per athlete.
    shared: dict[tuple[Any, ...], rule.Workout] = {}
    workouts: dict[int, rule.Workout] = {}
    for plan in {instance.plan_id: instance.plan for instance in instances}.values():
        for row in plan.workouts.all():
            content = (row.type, row.distance, row.duration, row.pace_zone)
            content += (json.dumps(row.steps, sort_keys=True) if row.steps else None,)
            workouts[row.id] = shared.setdefault(content, as_workout(row))
    out: dict[int, list[rule.Standing]] = {}
    for user_id, mine in by_user.items():
        athlete = planning_athlete(mine[0].user)
        for instance in mine:
            dated = [(key, when, workouts[row.id]) for key, when, row in dated_workouts(instance)]
            if through is not None:
                dated = [item for item in dated if item[1] <= through[instance.pk]]
            out[instance.pk] = rule.standings(
                dated, runs.get(user_id, []), athlete, todays[user_id]
            )
    return out


def recent_weeks(
    instance: PlanInstance, items: list[rule.Standing], current: int, today: date, count: int = 4
) -> list[dict[str, Any]]:
    """The last `count` plan weeks up to the current one: planned and done distance, planned
    load, the week's compliance and how it went; a week not begun yet is `planned`."""
    monday = rule.week_monday(instance.start_date)
    first = monday + timedelta(weeks=max(1, current - count + 1) - 1)
    shown = [item for item in items if item.day >= first]  # not the weeks before those shown
    weeks = rule.weekly(shown)
    by_week: dict[date, list[rule.Standing]] = defaultdict(list)
    for item in shown:
        by_week[rule.week_monday(item.day)].append(item)
    out = []
    for week in range(max(1, current - count + 1), current + 1):
        start = monday + timedelta(weeks=week - 1)
        rows = by_week.get(start, [])
        figures = weeks.get(start, {})
        out.append(
            {
                "week": week,
                "week_start": start.isoformat(),
                "planned_distance": figures.get("planned_distance", 0.0),
                "done_distance": round(sum(r.distance for s in rows for r in s.runs), 1),
                "planned_load": figures.get("planned_load", 0.0),
                "compliance": figures.get("compliance"),
                "status": week_status(rows, figures.get("compliance"), start, today),
            }
        )
    return out


def week_status(
    rows: list[rule.Standing], compliance: float | None, start: date, today: date
) -> str:
    """A week's colour: `rest` with nothing planned, `planned` before anything is due, else
    its compliance in the statuses' bands (done ≥ 0.80, partial ≥ 0.50, else missed)."""
    if not any(s.status for s in rows):
        return "rest"
    if compliance is None:
        return "planned"
    if compliance >= rule.DONE_BAND[0]:
        return "done"
    return "partial" if compliance >= rule.PARTIAL_BAND[0] else "missed"


def plan_instances_data(
    instances: Iterable[PlanInstance], *, with_sums: bool = False
) -> list[dict[str, Any]]:
    """Each instance as the API shows it; `with_sums`: and what its compliance is the mean
    of (the workouts due and the sum of their scores), which the kept standings keep so a
    group's compliance is the mean over all its workouts."""
    instances = list(instances)
    if not instances:
        return []
    # Each one's workouts through the Sunday of its current plan week: what it shows (its
    # recent weeks, the distance planned to date, compliance over what is due) ends there,
    # and the weeks after were most of a plan's workouts to match at every refresh.
    standings = standings_of(
        instances,
        through={
            i.pk: rule.week_monday(i.start_date) + timedelta(weeks=i.current_week, days=-1)  # type: ignore[attr-defined]
            for i in instances
        },
    )
    out = []
    for instance in instances:
        today = local_today(instance.user.tz)
        plan = instance.plan
        items = standings[instance.pk]
        current = instance.current_week  # type: ignore[attr-defined]
        scores = [s.score for s in items if s.score is not None]
        sums = {"due_workouts": len(scores), "score_sum": sum(scores)} if with_sums else {}
        out.append(
            {
                **sums,
                "plan_instance_id": instance.public_id,
                "plan_id": plan.public_id,
                "user_id": instance.user.public_id,
                "name": plan.name,
                "status": instance.status,
                "start_date": instance.start_date,
                "updated_at": instance.updated_at,
                "end_date": rule.plan_end(instance.start_date, plan.total_weeks),
                "started": instance.start_date <= today,
                "current_week": current,
                "total_weeks": plan.total_weeks,
                "compliance": rule.compliance(items),
                "recent_weeks": recent_weeks(instance, items, current, today),
                "planned_distance_to_date": round(
                    sum(s.distance or 0 for s in items if s.day <= today), 1
                ),
            }
        )
    return out


def fitness_ahead_of(athlete: User, today: date, ctl: float, atl: float) -> dict[str, Any]:
    """CTL/ATL/TSB continued over the athlete's active plans to the end of the last one
    (METRICS.md §7), and the goal race's race-day form when the race falls inside them."""
    instances = plans_of(athlete, today + timedelta(days=1), MAX_DATE, statuses=("active",))
    if not instances:
        return {"days": [], "race": None}
    loads: dict[date, float] = defaultdict(float)
    for items in standings_of(instances).values():
        for item in items:
            if item.day > today:
                loads[item.day] += item.load
    last = max(rule.plan_end(i.start_date, i.plan.total_weeks) for i in instances)
    days = rule.fitness_ahead(ctl, atl, today, loads, last)
    race = (
        Goal.objects.filter(user=athlete, race_date__gt=today, race_date__lte=last)
        .order_by("race_date")
        .first()
    )
    race_day = None
    if race is not None:
        tsb = next(t for d, _, _, t in days if d == race.race_date)
        race_day = {"name": race.race_name, "date": race.race_date, "tsb": round(tsb, 1)}
    return {
        "days": [
            {"date": d, "ctl": round(c, 1), "atl": round(a, 1), "tsb": round(t, 1)}
            for d, c, a, t in days
        ],
        "race": race_day,
    }


def matched_workout(athlete: User, run_pk: int, day: date) -> dict[str, Any] | None:
    """The planned workout a run was matched to (METRICS.md §7), with its status; None for a
    run outside the plan."""
    one = timedelta(days=1)
    instances = plans_of(athlete, day - one, day + one)
    for instance_pk, items in standings_of(instances).items():
        for item in items:
            if any(r.key == run_pk for r in item.runs):
                plan = next(i.plan for i in instances if i.pk == instance_pk)
                return {
                    "plan_name": plan.name,
                    "type": item.workout.type,
                    "day": item.day,
                    "status": item.status,
                    "planned": item.planned,
                    "key_quantity": item.key_quantity,
                }
    return None
