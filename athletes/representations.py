"""How athletes' resources look in the API (API.md §3)."""

from __future__ import annotations

import gzip
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from astral.localtime import local_today
from athletes.models import (
    ZONE_FIELDS,
    Activity,
    ActivityFile,
    Goal,
    HealthMetric,
    Integration,
    Plan,
    User,
)
from metrics.zones import default_hr_zones, effective_max_hr, effective_pace_zones


def user_data(user: User) -> dict[str, Any]:
    return {
        "user_id": user.public_id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "profile_image_url": user.profile_image_url or None,
        "timezone": user.tz_name,
        "unit_system": user.units,
        "sex": user.sex,
        "birth_date": user.birth_date,
        "weight_kg": user.weight_kg,
        "max_hr": user.max_hr,
        "resting_hr": user.resting_hr,
        "vdot": user.vdot,
        "hr_zones": user.hr_zones
        or default_hr_zones(effective_max_hr(user.max_hr, user.birth_date, local_today(user.tz))),
        "pace_zones": effective_pace_zones(user.pace_zones, user.vdot),
        "pace_zones_source": "custom" if user.pace_zones else ("vdot" if user.vdot else None),
        "privacy": {"profile_visibility": "organization", **(user.privacy or {})},
        "preferences": {"week_start": "monday", **(user.preferences or {})},
        "has_push_token": user.has_push_token,
    }


def integrations_data(integrations: list[Integration]) -> dict[str, Any]:
    by_provider = {i.provider: i for i in integrations}
    out: dict[str, Any] = {}
    for provider in ("strava", "garmin", "apple_health"):
        found = by_provider.get(provider)
        out[provider] = {
            "connected": found is not None,
            "connected_at": found.connected_at if found else None,
            "last_sync_at": found.last_sync_at if found else None,
            "external_id": (found.external_id or None) if found else None,
        }
    return out


def activity_data(activity: Activity) -> dict[str, Any]:
    data = {
        "activity_id": activity.public_id,
        "user_id": activity.user.public_id,
        "start_time": activity.start_time,
        # API.md §5: the same instant with the athlete's offset then (their local clock).
        "start_time_local": activity.start_time.astimezone(activity.user.tz),
        "name": activity.name,
        "notes": activity.notes,
        "sport": activity.sport,
        "distance": activity.distance,
        "duration": activity.duration,
        "elapsed_time": activity.elapsed_time,
        "avg_heart_rate": activity.avg_heart_rate,
        "max_heart_rate": activity.max_heart_rate,
        "calories": activity.calories,
        "elevation_gain": activity.elevation_gain,
        "source": activity.source,
        "multisport_id": activity.multisport_id,
        "leg": activity.leg,
        "external_id": activity.external_id,
        "training_load": activity.training_load,
        "nexrex_training_load": activity.training_load,
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
    }
    for name in ZONE_FIELDS:
        data[name] = getattr(activity, name)
    return data


def health_metric_data(metric: HealthMetric, user: User) -> dict[str, Any]:
    return {
        "user_id": user.public_id,
        "date": metric.date,
        "resting_hr": metric.resting_hr,
        "hrv": metric.hrv,
        "vo2_max": metric.vo2_max,
        "recovery_score": metric.recovery_score,
        "sleep_seconds": metric.sleep_seconds,
        "updated_at": metric.updated_at,
    }


def goal_data(goal: Goal) -> dict[str, Any]:
    return {
        "goal_id": goal.public_id,
        "user_id": goal.user.public_id,
        "race_name": goal.race_name,
        "race_date": goal.race_date,
        "distance": goal.distance,
        "goal_time": goal.goal_time_text,
        "updated_at": goal.updated_at,
    }


def plan_data(plan: Plan, workouts: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "plan_id": plan.public_id,
        "org_id": plan.organization.public_id,
        "name": plan.name,
        "description": plan.description,
        "total_weeks": plan.total_weeks,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }
    if workouts is not None:
        data["workouts"] = [
            {
                "week": w.week,
                "day": w.day,
                "type": w.type,
                "distance": w.distance,
                "duration": w.duration,
                "pace_zone": w.pace_zone,
                "note": w.note,
                "steps": w.steps,
            }
            for w in workouts
        ]
    return data


def original_file_response(kept: ActivityFile) -> HttpResponse:
    """The file as the athlete's device wrote it, under its own name."""
    response = HttpResponse(
        gzip.decompress(bytes(kept.data)), content_type="application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(True, kept.filename)
    return response
