"""Plans against what was run: METRICS.md §7 and API.md "Goals and plans", written once.

Every page and endpoint that shows a plan (the calendar, the Plans tab and its week cells,
`plans_overview`, plan instances, the roster, the profile) reads these functions:

- **Dates.** `day` 1 is Monday; an instance's week 1 is the ISO week holding its start date
  (a workout of week 1 before the start is not planned); it ends on the Sunday of its last
  week.
- **Planned quantities** and **planned load** of a workout, structured (`steps`) or not.
- **Matching** runs to workouts, each workout's **status**, and **compliance**.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from metrics.load import pace_intensity, trimp
from metrics.vdot import pace_zone_boundaries

ONE_DAY = timedelta(days=1)
DEFAULT_VDOT = 40.0
REST = "rest"

# Status bands of done ÷ planned in the key quantity (METRICS.md §7).
DONE_BAND = (0.80, 1.20)
PARTIAL_BAND = (0.50, 1.50)
STATUSES = ("done", "partial", "off", "missed", "planned")
# The worst first: a day with several workouts shows the worst (API.md, calendar).
WORST_FIRST = ("missed", "off", "partial", "planned", "done")


# Dates -----------------------------------------------------------------------------------


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def workout_date(start_date: date, week: int, day: int) -> date | None:
    """The date of (week, day) in an instance starting on `start_date`: day 1 is Monday and
    week 1 the ISO week of the start. None for a day of week 1 before the start."""
    when = week_monday(start_date) + timedelta(days=7 * (week - 1) + (day - 1))
    return None if when < start_date else when


def plan_day(start_date: date, total_weeks: int, when: date) -> tuple[int, int] | None:
    """(week, day) of a date inside the instance's weeks (not before its start), else None."""
    if when < start_date:
        return None
    offset = (when - week_monday(start_date)).days
    if offset >= 7 * total_weeks:
        return None
    return offset // 7 + 1, offset % 7 + 1


def plan_end(start_date: date, total_weeks: int) -> date:
    """The Sunday of the last week."""
    return week_monday(start_date) + timedelta(days=7 * total_weeks - 1)


def current_week(start_date: date, today: date, total_weeks: int) -> int:
    """ISO weeks from the start's week to today's, plus 1, clamped to 1..total_weeks."""
    weeks = (week_monday(today) - week_monday(start_date)).days // 7 + 1
    return max(1, min(total_weeks, weeks))


# Steps and planned quantities ------------------------------------------------------------


def expand(steps: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """The steps as a watch runs them: each repeat's steps `repeat` times."""
    out: list[Mapping[str, Any]] = []
    for step in steps or []:
        if "repeat" in step:
            out.extend(list(step["steps"]) * int(step["repeat"]))
        else:
            out.append(step)
    return out


def zone_boundaries(pace_zones: Sequence[float] | None, vdot: float | None) -> list[float]:
    """The 4 pace boundaries (s/km) planning reads: the athlete's own, else from their VDOT,
    else VDOT 40's (METRICS.md §7)."""
    if pace_zones:
        return [float(p) for p in pace_zones]
    return [float(p) for p in pace_zone_boundaries(vdot or DEFAULT_VDOT)]


def easy_pace(boundaries: Sequence[float]) -> float:
    return boundaries[0] + 30.0


def zone_pace(zone: int, boundaries: Sequence[float]) -> float:
    """The middle pace of a pace zone (Z1: the Z1/Z2 boundary + 30 s; Z5: the Z4/Z5 − 10 s)."""
    if zone <= 1:
        return boundaries[0] + 30.0
    if zone >= 5:
        return boundaries[3] - 10.0
    return (boundaries[zone - 2] + boundaries[zone - 1]) / 2


def target_pace(target: Mapping[str, Any] | None, boundaries: Sequence[float]) -> float:
    """Seconds per km a step's target means: a pace range's middle, a pace zone's middle,
    else (HR or no target) easy pace."""
    if target and "pace" in target:
        fast, slow = target["pace"]
        return (float(fast) + float(slow)) / 2
    if target and "pace_zone" in target:
        return zone_pace(int(target["pace_zone"]), boundaries)
    return easy_pace(boundaries)


@dataclass(frozen=True)
class Workout:
    """What a coach planned for one day, as the plan stores it."""

    type: str = "easy"
    distance: float | None = None
    duration: float | None = None
    pace_zone: int | None = None
    steps: Sequence[Mapping[str, Any]] | None = None

    @property
    def rest(self) -> bool:
        return self.type == REST


def steps_totals(steps: Sequence[Mapping[str, Any]] | None) -> tuple[float | None, float | None]:
    """On the plan itself: the sums of the steps' own distances and durations (repeats
    multiplied); None where no step has one."""
    distances = [float(s["distance"]) for s in expand(steps) if s.get("distance")]
    durations = [float(s["duration"]) for s in expand(steps) if s.get("duration")]
    return (sum(distances) if distances else None, sum(durations) if durations else None)


def planned_quantities(
    workout: Workout, boundaries: Sequence[float]
) -> tuple[float | None, float | None]:
    """(distance m, duration s) for one athlete (METRICS.md §7)."""
    if workout.rest:
        return None, None
    if workout.steps:
        distance = duration = 0.0
        for step in expand(workout.steps):
            pace = target_pace(step.get("target"), boundaries)
            if step.get("distance"):
                distance += float(step["distance"])
                duration += float(step["distance"]) * pace / 1000.0
            elif step.get("duration"):
                duration += float(step["duration"])
                distance += float(step["duration"]) / pace * 1000.0
        if distance <= 0 and duration <= 0:
            return None, None
        return distance, duration
    pace = zone_pace(workout.pace_zone, boundaries) if workout.pace_zone else easy_pace(boundaries)
    planned_distance, planned_duration = workout.distance or None, workout.duration or None
    if planned_distance and not planned_duration:
        planned_duration = planned_distance * pace / 1000.0
    elif planned_duration and not planned_distance:
        planned_distance = planned_duration / pace * 1000.0
    return planned_distance, planned_duration


def planned_load(
    distance: float | None, duration: float | None, vdot: float | None, sex: str | None
) -> float:
    """§3's formula without HR at the planned average speed; 0 for a rest day."""
    if not distance or not duration:
        return 0.0
    minutes = duration / 60.0
    return round(trimp(minutes, pace_intensity(distance / minutes, vdot or DEFAULT_VDOT), sex), 1)


def key_quantity(workout: Workout) -> str | None:
    """`distance` when the coach planned a distance (or steps by distance only), else
    `duration`; None for a rest day or a workout with neither."""
    if workout.rest:
        return None
    if workout.steps:
        timed = [s for s in expand(workout.steps) if s.get("distance") or s.get("duration")]
        if not timed:
            return None
        return "distance" if all(s.get("distance") for s in timed) else "duration"
    if workout.distance:
        return "distance"
    return "duration" if workout.duration else None


# Matching and status ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One run on a local day: its distance (m) and moving duration (s)."""

    key: Any
    day: date
    distance: float
    duration: float


@dataclass(frozen=True)
class Due:
    """One workout on its date, as matching reads it."""

    key: Any
    day: date
    rest: bool = False


def match_runs(workouts: Iterable[Due], runs: Iterable[Run]) -> dict[Any, list[Run]]:
    """The runs each workout takes (METRICS.md §7): those of its day; when its day has
    none, those of the day before, else the day after, that no workout of their own day
    takes. Workouts in date order; a run counts once; rest days take nothing."""
    by_day: dict[date, list[Run]] = defaultdict(list)
    for run in runs:
        by_day[run.day].append(run)
    ordered = sorted((w for w in workouts if not w.rest), key=lambda w: w.day)
    claimed_days = {w.day for w in ordered}
    taken_keys: set[Any] = set()
    taken: dict[Any, list[Run]] = {}
    for workout in ordered:
        mine: list[Run] = []
        if by_day.get(workout.day):
            mine = [r for r in by_day[workout.day] if r.key not in taken_keys]
        else:
            for other in (workout.day - ONE_DAY, workout.day + ONE_DAY):
                if other in claimed_days:
                    continue
                mine = [r for r in by_day.get(other, []) if r.key not in taken_keys]
                if mine:
                    break
        taken_keys.update(r.key for r in mine)
        taken[workout.key] = mine
    return taken


def done_in(key: str | None, runs: Sequence[Run]) -> float:
    if key == "distance":
        return sum(r.distance for r in runs)
    return sum(r.duration for r in runs)


def status(planned: float | None, done: float, taken: bool, day: date, today: date) -> str:
    """done, partial, off, missed or planned (METRICS.md §7)."""
    if not taken:
        return "missed" if day < today else "planned"
    if not planned:
        return "done"  # nothing to measure against: something was run
    ratio = done / planned
    if DONE_BAND[0] <= ratio <= DONE_BAND[1]:
        return "done"
    if PARTIAL_BAND[0] <= ratio <= PARTIAL_BAND[1]:
        return "partial"
    return "off"


def worst(statuses: Iterable[str]) -> str | None:
    present = set(statuses)
    return next((s for s in WORST_FIRST if s in present), None)


@dataclass
class Standing:
    """How one workout stands for its athlete: planned quantities and load, what was done
    in its key quantity, its status and its share in compliance (None when not yet due)."""

    key: Any
    day: date
    workout: Workout
    distance: float | None
    duration: float | None
    load: float
    key_quantity: str | None
    planned: float | None
    done: float
    runs: list[Run] = field(default_factory=list)
    status: str | None = None
    score: float | None = None  # min(done ÷ planned, 1) once due


@dataclass(frozen=True)
class Athlete:
    """What planning reads about an athlete."""

    pace_zones: Sequence[float] | None = None
    vdot: float | None = None
    sex: str | None = None


def standings(
    workouts: Sequence[tuple[Any, date, Workout]],
    runs: Sequence[Run],
    athlete: Athlete,
    today: date,
) -> list[Standing]:
    """Every workout of an athlete (key, date, workout) against their runs, in date order."""
    boundaries = zone_boundaries(athlete.pace_zones, athlete.vdot)
    taken = match_runs([Due(k, d, w.rest) for k, d, w in workouts], runs)
    # A plan repeats its workouts week after week: each Workout given once (the same object
    # on every day it is planned) is worked out once for this athlete.
    worked_out: dict[int, tuple[float | None, float | None, str | None, float]] = {}
    out = []
    for key, day, workout in sorted(workouts, key=lambda item: item[1]):
        known = worked_out.get(id(workout))
        if known is None:
            distance, duration = planned_quantities(workout, boundaries)
            load = planned_load(distance, duration, athlete.vdot, athlete.sex)
            known = worked_out[id(workout)] = (distance, duration, key_quantity(workout), load)
        distance, duration, kind, load = known
        planned = distance if kind == "distance" else duration if kind == "duration" else None
        mine = taken.get(key, [])
        done = done_in(kind, mine)
        standing = Standing(
            key=key,
            day=day,
            workout=workout,
            distance=distance,
            duration=duration,
            load=load,
            key_quantity=kind,
            planned=planned,
            done=done,
            runs=mine,
        )
        if not workout.rest:
            standing.status = status(planned, done, bool(mine), day, today)
            if day < today or (day == today and mine):
                standing.score = min(done / planned, 1.0) if planned else 1.0 if mine else 0.0
        out.append(standing)
    return out


def compliance(items: Iterable[Standing]) -> float | None:
    """The mean of min(done ÷ planned, 1) over the workouts due so far; None before any."""
    scores = [s.score for s in items if s.score is not None]
    return round(sum(scores) / len(scores), 3) if scores else None


def outside_plan(runs: Sequence[Run], items: Iterable[Standing]) -> list[Run]:
    """The runs no workout took."""
    taken = {r.key for s in items for r in s.runs}
    return [r for r in runs if r.key not in taken]


# Fitness ahead ---------------------------------------------------------------------------


def fitness_ahead(
    ctl: float, atl: float, today: date, planned_loads: Mapping[date, float], last: date
) -> list[tuple[date, float, float, float]]:
    """CTL/ATL/TSB continued from the end of today over the planned days up to `last`
    (0 load on days without a workout), by the same equations (METRICS.md §4, §7):
    (day, ctl, atl, tsb) with TSB the form the day starts with."""
    out = []
    day = today + ONE_DAY
    while day <= last:
        tsb = ctl - atl
        load = planned_loads.get(day, 0.0)
        ctl += (load - ctl) / 42
        atl += (load - atl) / 7
        out.append((day, round(ctl, 3), round(atl, 3), round(tsb, 3)))
        day += ONE_DAY
    return out


def weekly(items: Iterable[Standing]) -> dict[date, dict[str, Any]]:
    """Per ISO week (its Monday): planned distance, duration, load and the week's compliance
    (the same mean over its workouts)."""
    weeks: dict[date, list[Standing]] = defaultdict(list)
    for item in items:
        weeks[week_monday(item.day)].append(item)
    return {
        monday: {
            "planned_distance": round(sum(s.distance or 0 for s in rows), 1),
            "planned_duration": round(sum(s.duration or 0 for s in rows), 1),
            "planned_load": round(sum(s.load for s in rows), 1),
            "compliance": compliance(rows),
        }
        for monday, rows in weeks.items()
    }
