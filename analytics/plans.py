"""Plan instances with their progress, for any number of athletes in a constant number of
queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import DateTimeField, F, Func, IntegerField, Prefetch, Value
from django.utils import timezone

from analytics.selectors import daily_totals_by_user
from astral.localtime import local_today
from athletes.models import PlanInstance, PlannedWorkout
from metrics.plans import (
    PlannedDay,
    compliance_of,
    recent_weeks,
    workout_credits,
    workout_date,
)

# The plan week a plan instance is in: 1-based from its start date and the athlete's local
# today, clamped to 1..total_weeks (API.md, plan instances). Written once, in SQL: the plan
# instance API reads it as an annotation (`PlanWeek`), the roster's statement inlines it.
PLAN_WEEK_SQL = (
    "GREATEST(1, LEAST({total}, floor((({now} AT TIME ZONE "
    "COALESCE(NULLIF({tz}, ''), 'UTC'))::date - {start}) / 7.0)::int + 1))"
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


def with_plan(queryset: Any) -> Any:
    return (
        queryset.select_related("plan__organization", "user")
        .prefetch_related(
            Prefetch("plan__workouts", queryset=PlannedWorkout.objects.order_by("week", "day"))
        )
        .annotate(current_week=PlanWeek(timezone.now()))
    )


def plan_instances_data(instances: Iterable[PlanInstance]) -> list[dict[str, Any]]:
    instances = list(instances)
    if not instances:
        return []
    todays = {i.user_id: local_today(i.user.tz) for i in instances}
    first = min(i.start_date for i in instances) - timedelta(days=1)  # a day-early run counts
    last = max(todays.values())
    done: dict[int, dict[Any, float]] = {}
    if first <= last:
        totals = daily_totals_by_user(
            {i.user for i in instances}, first=first, last=last, fields=("distance",)
        )
        done = {
            user_id: {day: row["distance"] for day, row in days.items()}
            for user_id, days in totals.items()
        }
    out = []
    for instance in instances:
        today = todays[instance.user_id]
        plan = instance.plan
        workouts = [PlannedDay(w.week, w.day, w.distance) for w in plan.workouts.all()]
        credits = workout_credits(
            instance.start_date, workouts, done.get(instance.user_id, {}), today
        )
        planned_to_date = sum(
            w.distance or 0
            for w in workouts
            if workout_date(instance.start_date, w.week, w.day) <= today
        )
        out.append(
            {
                "plan_instance_id": instance.public_id,
                "plan_id": plan.public_id,
                "user_id": instance.user.public_id,
                "name": plan.name,
                "status": instance.status,
                "start_date": instance.start_date,
                "current_week": instance.current_week,  # type: ignore[attr-defined]
                "total_weeks": plan.total_weeks,
                "compliance": compliance_of(credits),
                "recent_weeks": recent_weeks(
                    instance.start_date,
                    credits,
                    instance.current_week,  # type: ignore[attr-defined]
                ),
                "planned_distance_to_date": planned_to_date,
            }
        )
    return out
