"""Plan progress: current week and compliance. API.md §3, METRICS.md §7."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class PlannedDay:
    week: int
    day: int
    distance: float | None


def workout_date(start_date: date, week: int, day: int) -> date:
    """Week 1 day 1 is the start date; each plan week is the 7 days after it."""
    return start_date + timedelta(days=7 * (week - 1) + (day - 1))


def compliance(
    start_date: date,
    workouts: Sequence[PlannedDay],
    done_by_day: Mapping[date, float],
    today: date,
) -> float | None:
    """Σ min(done, planned) ÷ Σ planned over planned days up to today; null before the first."""
    planned_total = 0.0
    done_total = 0.0
    for workout in workouts:
        if not workout.distance:
            continue
        day = workout_date(start_date, workout.week, workout.day)
        if day > today:
            continue
        planned_total += workout.distance
        done_total += min(done_by_day.get(day, 0.0), workout.distance)
    if planned_total <= 0:
        return None
    return round(done_total / planned_total, 3)
