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


# A planned workout is done by what was run on its day or within a day either side: a
# Tuesday session run on Wednesday counts. Each kilometre run counts for one workout only.
MATCH_DAYS = (0, -1, 1)


def workout_credits(
    start_date: date,
    workouts: Sequence[PlannedDay],
    done_by_day: Mapping[date, float],
    today: date,
) -> list[tuple[date, float, float]]:
    """(day, planned, credited) for each planned workout with a distance up to today, in day
    order; the distance run on a day, the day before or the day after is credited once."""
    return _credit(start_date, workouts, done_by_day, today)[0]


def uncredited(
    start_date: date,
    workouts: Sequence[PlannedDay],
    done_by_day: Mapping[date, float],
    today: date,
) -> dict[date, float]:
    """The distance of each day that no planned workout took: a day whose whole distance is
    left was run outside the plan."""
    return _credit(start_date, workouts, done_by_day, today)[1]


def _credit(
    start_date: date,
    workouts: Sequence[PlannedDay],
    done_by_day: Mapping[date, float],
    today: date,
) -> tuple[list[tuple[date, float, float]], dict[date, float]]:
    available = dict(done_by_day)
    dated = sorted(
        (workout_date(start_date, w.week, w.day), float(w.distance)) for w in workouts if w.distance
    )
    out = []
    for day, planned in dated:
        if day > today:
            break
        credited = 0.0
        for shift in MATCH_DAYS:
            other = day + timedelta(days=shift)
            if other > today:
                continue
            take = min(available.get(other, 0.0), planned - credited)
            if take > 0:
                credited += take
                available[other] -= take
        out.append((day, planned, credited))
    return out, available


def day_status(day: date, planned: float, credited: float, today: date) -> str:
    """How one planned workout went: `done` (90 % of its distance or more), `partial`,
    `missed` once its day has passed with nothing run, `planned` until then."""
    if planned > 0 and credited / planned >= 0.9:
        return "done"
    if credited > 0:
        return "partial"
    return "missed" if day < today else "planned"


def compliance(
    start_date: date,
    workouts: Sequence[PlannedDay],
    done_by_day: Mapping[date, float],
    today: date,
) -> float | None:
    """Σ credited ÷ Σ planned over planned days up to today (METRICS.md §7, with a run on the
    day or within a day either side); null before the first planned day."""
    return compliance_of(workout_credits(start_date, workouts, done_by_day, today))


def compliance_of(credits: Sequence[tuple[date, float, float]]) -> float | None:
    """Σ credited ÷ Σ planned of `workout_credits`; None before the first planned day."""
    planned = sum(p for _, p, _ in credits)
    if planned <= 0:
        return None
    return round(sum(c for _, _, c in credits) / planned, 3)


def week_status(planned: float, credited: float) -> str:
    """How a plan week went: `done` (90 % of its distance or more), `partial`, `missed`."""
    if planned <= 0:
        return "rest"
    ratio = credited / planned
    return "done" if ratio >= 0.9 else "partial" if ratio > 0 else "missed"


def recent_weeks(
    start_date: date,
    credits: Sequence[tuple[date, float, float]],
    current_week: int,
    count: int = 4,
) -> list[dict[str, object]]:
    """The last `count` plan weeks up to the current one: planned and credited distance
    and how the week went (the current week so far)."""
    first = max(1, current_week - count + 1)
    totals = {week: [0.0, 0.0] for week in range(first, current_week + 1)}
    for day, planned, credited in credits:  # one pass: each workout into its plan week
        week = (day - start_date).days // 7 + 1
        if week in totals:
            totals[week][0] += planned
            totals[week][1] += credited
    return [
        {
            "week": week,
            "planned_distance": round(planned, 1),
            "done_distance": round(credited, 1),
            "status": week_status(planned, credited),
        }
        for week, (planned, credited) in totals.items()
    ]
