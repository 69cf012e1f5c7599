"""Reads about one athlete that the services and analytics build on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from athletes.models import Activity, ActivityFile, HealthMetric, User
from metrics.zones import (
    default_hr_zones,
    effective_max_hr,
    effective_pace_zones,
    effective_resting_hr,
)


@dataclass(frozen=True)
class TrainingContext:
    """What zone times and training load need to know about the athlete."""

    resting_hr: float
    max_hr: float
    vdot: float | None
    sex: str | None
    pace_zones: list[float] | None
    hr_zones: list[float]
    weight_kg: float | None


def training_context(user: User, today: date) -> TrainingContext:
    """A read: what the athlete's activities of `today` are computed with."""
    return training_contexts(user, [today])[today]


def training_contexts(user: User, days: Iterable[date]) -> dict[date, TrainingContext]:
    """The training context of each of these local days, their resting heart rates read in
    one range (METRICS.md §2: the 7 days ending on the day).

    A read."""
    days = sorted(set(days))
    if not days:
        return {}
    readings: dict[date, float] = dict(
        HealthMetric.objects.filter(
            user=user,
            date__gt=days[0] - timedelta(days=7),
            date__lte=days[-1],
            resting_hr__isnull=False,
        ).values_list("date", "resting_hr")
    )
    contexts = {}
    for day in days:
        week = [readings[d] for d in sorted(readings) if day - timedelta(days=7) < d <= day]
        max_hr = effective_max_hr(user.max_hr, user.birth_date, day)
        hr_zones = user.hr_zones or default_hr_zones(max_hr)
        contexts[day] = TrainingContext(
            resting_hr=effective_resting_hr(week, user.resting_hr),
            max_hr=max_hr,
            vdot=user.vdot,
            sex=user.sex,
            pace_zones=effective_pace_zones(user.pace_zones, user.vdot),
            hr_zones=[float(z) for z in hr_zones],
            weight_kg=user.weight_kg,
        )
    return contexts


def original_file_of(activity: Activity, *, with_data: bool = False) -> ActivityFile | None:
    """The file the activity was uploaded as; a multisport file's legs share their first's."""
    kept = ActivityFile.objects.filter(activity_id=activity.pk)
    if activity.multisport_id:
        kept = ActivityFile.objects.filter(
            activity__user_id=activity.user_id, activity__multisport_id=activity.multisport_id
        )
    return (kept if with_data else kept.defer("data")).first()
