"""The training calendar: each local day's planned workouts (from the athlete's plan
instances) beside what was run, coloured by the compliance rule of the plans (API.md, Plans:
a workout is done by what was run on its day or a day either side, each kilometre once), and
a weekly total of distance, time and load against the plan. Weeks start on Monday."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch

from analytics.records import marks_for
from analytics.selectors import daily_totals_by_user
from astral import cache
from astral.localtime import local_date, local_midnight
from athletes.models import Activity, PlanInstance, PlannedWorkout, PlanStatus, User
from metrics.plans import (
    PlannedDay,
    day_status,
    uncredited,
    workout_credits,
    workout_date,
)


def month_grid(month: date) -> tuple[date, date]:
    """The Monday on or before the 1st to the Sunday on or after the month's last day."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def instances_of(athlete: User) -> list[PlanInstance]:
    return list(
        PlanInstance.objects.filter(user=athlete)
        .exclude(status=PlanStatus.CANCELLED)
        .select_related("plan")
        .prefetch_related(
            Prefetch("plan__workouts", queryset=PlannedWorkout.objects.order_by("week", "day"))
        )
    )


def training_calendar(athlete: User, *, first: date, last: date, today: date) -> dict[str, Any]:
    tz = athlete.tz
    instances = [
        i
        for i in instances_of(athlete)
        if i.start_date <= last and i.start_date + timedelta(weeks=i.plan.total_weeks) > first
    ]
    # Credits need every day since the earliest plan start (a kilometre counts once).
    since = min([first, *(i.start_date - timedelta(days=1) for i in instances)])
    totals = daily_totals_by_user(
        [athlete],
        first=since,
        last=max(last, today),
        fields=("distance", "duration", "training_load"),
    ).get(athlete.pk, {})
    distance_by_day = {day: row["distance"] for day, row in totals.items() if day <= today}
    planned: dict[date, list[dict[str, Any]]] = defaultdict(list)
    left = dict(distance_by_day)
    for instance in instances:
        workouts = list(instance.plan.workouts.all())
        plan_days = [PlannedDay(w.week, w.day, w.distance) for w in workouts]
        credits = {
            day: (p, c)
            for day, p, c in workout_credits(instance.start_date, plan_days, distance_by_day, today)
        }
        for day, rest in uncredited(instance.start_date, plan_days, distance_by_day, today).items():
            left[day] = min(left.get(day, 0.0), rest)
        for workout in workouts:
            day = workout_date(instance.start_date, workout.week, workout.day)
            if not first <= day <= last:
                continue
            if workout.type == "rest":
                status = "rest"
            elif workout.distance:
                p, c = credits.get(day, (workout.distance, 0.0))
                status = day_status(day, p, c, today)
            else:  # a session by time: done by any run on its day or a day either side
                ran = any(totals.get(day + timedelta(days=s)) for s in (-1, 0, 1))
                status = "done" if ran and day <= today else day_status(day, 1, 0, today)
            planned[day].append(
                {
                    "workout_id": workout.pk,
                    "plan_instance_id": instance.public_id,
                    "plan_name": instance.plan.name,
                    "type": workout.type,
                    "distance": workout.distance,
                    "duration": workout.duration,
                    "pace_zone": workout.pace_zone,
                    "note": workout.note,
                    "status": status,
                }
            )
    activities = list(
        Activity.objects.filter(
            user=athlete,
            start_time__gte=local_midnight(first, tz),
            start_time__lt=local_midnight(last + timedelta(days=1), tz),
        )
        .order_by("start_time")
        .values("pk", "public_id", "name", "sport", "distance", "duration", "training_load",
                "start_time")
    )  # fmt: skip
    marks = marks_for([a["pk"] for a in activities])
    done: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in activities:
        day = local_date(row["start_time"], tz)
        done[day].append(
            {
                "activity_id": row["public_id"],
                "name": row["name"],
                "sport": row["sport"],
                "distance": row["distance"],
                "duration": row["duration"],
                "training_load": row["training_load"],
                "marks": marks.get(row["pk"], []),
            }
        )
    days, weeks = [], []
    day = first
    while day <= last:
        ran = totals.get(day)
        unplanned = (
            bool(done.get(day))
            and not planned.get(day)
            and (not ran or left.get(day, ran["distance"]) >= ran["distance"] - 0.5)
        )
        days.append(
            {
                "date": day,
                "planned": planned.get(day, []),
                "activities": done.get(day, []),
                "status": _day_colour(planned.get(day, []), unplanned),
            }
        )
        day += timedelta(days=1)
    for start in range(0, len(days), 7):
        week = days[start : start + 7]
        weeks.append(_week_total(week, totals))
    return {
        "user_id": athlete.public_id,
        "from": first,
        "to": last,
        "today": today,
        "days": days,
        "weeks": weeks,
    }


def _day_colour(planned: list[dict[str, Any]], unplanned: bool) -> str | None:
    """One colour for the day: the worst of its workouts, `unplanned` for a run outside the
    plan, None for an empty day."""
    statuses = {w["status"] for w in planned}
    for status in ("missed", "partial", "planned", "done", "rest"):
        if status in statuses:
            return status
    return "unplanned" if unplanned else None


def _week_total(week: list[dict[str, Any]], totals: dict[date, dict[str, float]]) -> dict[str, Any]:
    ran = [totals[d["date"]] for d in week if d["date"] in totals]
    plan = [w for d in week for w in d["planned"]]
    return {
        "week_start": week[0]["date"],
        "distance": round(sum(r["distance"] for r in ran), 1),
        "duration": round(sum(r["duration"] for r in ran), 1),
        "training_load": round(sum(r["training_load"] for r in ran), 1),
        "planned_distance": round(sum(w["distance"] or 0 for w in plan), 1),
        "planned_duration": round(sum(w["duration"] or 0 for w in plan), 1),
    }


def cached_calendar(athlete: User, *, first: date, last: date, today: date) -> dict[str, Any]:
    """The calendar as the API and the page read it, valid until the athlete's data changes
    (a run, a plan edit) or their day does."""
    return cache.cached_value(
        cache.calendar_key(athlete.public_id, first, last, today),
        cache.ANALYTICS_TTL,
        [cache.athlete(athlete.pk)],
        lambda: training_calendar(athlete, first=first, last=last, today=today),
    )
