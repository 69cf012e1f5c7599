"""Reads about one athlete that the services and analytics build on."""

from __future__ import annotations

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
    readings = list(
        HealthMetric.objects.filter(
            user=user,
            date__gt=today - timedelta(days=7),
            date__lte=today,
            resting_hr__isnull=False,
        ).values_list("resting_hr", flat=True)
    )
    max_hr = effective_max_hr(user.max_hr, user.birth_date, today)
    hr_zones = [float(z) for z in user.hr_zones] if user.hr_zones else default_hr_zones(max_hr)
    return TrainingContext(
        resting_hr=effective_resting_hr(readings, user.resting_hr),
        max_hr=max_hr,
        vdot=user.vdot,
        sex=user.sex,
        pace_zones=effective_pace_zones(user.pace_zones, user.vdot),
        hr_zones=[float(z) for z in hr_zones],
        weight_kg=user.weight_kg,
    )


def original_file_of(activity: Activity, *, with_data: bool = False) -> ActivityFile | None:
    """The file the activity was uploaded as; a multisport file's legs share their first's."""
    kept = ActivityFile.objects.filter(activity_id=activity.pk)
    if activity.multisport_id:
        kept = ActivityFile.objects.filter(
            activity__user_id=activity.user_id, activity__multisport_id=activity.multisport_id
        )
    return (kept if with_data else kept.defer("data")).first()
