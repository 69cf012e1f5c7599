"""The training calendar: each local day's planned workouts (from the athlete's plan
instances) beside what was run, each workout with its planned quantities, planned load and
status by METRICS.md §7 (metrics.plans, through analytics.plans.standings_of), and a weekly
total of distance, time and load against the plan. Weeks start on Monday."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from analytics.plans import plans_of, standings_of
from analytics.records import marks_for
from astral import cache
from astral.localtime import local_date, local_midnight
from athletes.models import RUNNING_SPORTS, Activity, User
from metrics import plans as rule


def month_grid(month: date) -> tuple[date, date]:
    """The Monday on or before the 1st to the Sunday on or after the month's last day."""
    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def training_calendar(athlete: User, *, first: date, last: date, today: date) -> dict[str, Any]:
    tz = athlete.tz
    instances = plans_of(athlete, first, last)
    standings = standings_of(instances)
    rows = {row.pk: row for i in instances for row in i.plan.workouts.all()}
    names = {i.pk: (i.public_id, i.plan.name) for i in instances}
    planned: dict[date, list[dict[str, Any]]] = defaultdict(list)
    everything = [s for items in standings.values() for s in items]
    taken_runs = {r.key for s in everything for r in s.runs}
    for item in sorted(everything, key=lambda s: (s.day, s.key[1])):
        if not first <= item.day <= last:
            continue
        instance_pk, workout_pk = item.key
        row = rows[workout_pk]
        planned[item.day].append(
            {
                "workout_id": workout_pk,
                "plan_instance_id": names[instance_pk][0],
                "plan_name": names[instance_pk][1],
                "type": row.type,
                "distance": _round(item.distance),
                "duration": _round(item.duration),
                "pace_zone": row.pace_zone,
                "note": row.note,
                "athlete_note": row.athlete_note,
                "steps": row.steps,
                "planned_load": item.load,
                "key_quantity": item.key_quantity,
                "done": _round(item.done),
                "activity_ids": [],
                "status": item.status or rule.REST,
                "_runs": [r.key for r in item.runs],
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
    public = {row["pk"]: row["public_id"] for row in activities}
    marks = marks_for([a["pk"] for a in activities])
    done: dict[date, list[dict[str, Any]]] = defaultdict(list)
    outside: dict[date, bool] = {}
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
                "in_plan": row["pk"] in taken_runs,
            }
        )
        if row["sport"] in RUNNING_SPORTS and row["pk"] not in taken_runs:
            outside[day] = True
    for workouts in planned.values():
        for workout in workouts:
            workout["activity_ids"] = [public[k] for k in workout.pop("_runs") if k in public]
    days = []
    day = first
    while day <= last:
        mine = planned.get(day, [])
        days.append(
            {
                "date": day,
                "planned": mine,
                "activities": done.get(day, []),
                "status": _day_colour(mine, outside.get(day, False)),
            }
        )
        day += timedelta(days=1)
    totals = {
        d["date"]: {
            "distance": sum(a["distance"] or 0 for a in d["activities"]),
            "duration": sum(a["duration"] or 0 for a in d["activities"]),
            "training_load": sum(a["training_load"] or 0 for a in d["activities"]),
        }
        for d in days
    }
    weeks = [_week_total(days[start : start + 7], totals) for start in range(0, len(days), 7)]
    return {
        "user_id": athlete.public_id,
        "from": first,
        "to": last,
        "today": today,
        "days": days,
        "weeks": weeks,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _day_colour(planned: list[dict[str, Any]], unplanned: bool) -> str | None:
    """API.md, calendar: the day's workout's status when it has one (the worst of missed,
    off, partial, planned, done; `rest` for a rest day), else `unplanned` when it has runs
    no workout took, else None."""
    if planned:
        return rule.worst(w["status"] for w in planned) or rule.REST
    return "unplanned" if unplanned else None


def _week_total(week: list[dict[str, Any]], totals: dict[date, dict[str, float]]) -> dict[str, Any]:
    ran = [totals[d["date"]] for d in week]
    plan = [w for d in week for w in d["planned"]]
    return {
        "week_start": week[0]["date"],
        "distance": round(sum(r["distance"] for r in ran), 1),
        "duration": round(sum(r["duration"] for r in ran), 1),
        "training_load": round(sum(r["training_load"] for r in ran), 1),
        "planned_distance": round(sum(w["distance"] or 0 for w in plan), 1),
        "planned_duration": round(sum(w["duration"] or 0 for w in plan), 1),
        "planned_load": round(sum(w["planned_load"] for w in plan), 1),
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
