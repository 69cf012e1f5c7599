"""An athlete's own data, taken away: a zip of JSON and CSV files and the original activity
files, in the format docs/guide.md describes ("Your data, taken away"). The same zip sent to
`POST /api/v1/activities/import` restores the athlete's activities, readings and goals
(athletes.services.imports.EXPORT_MANIFEST marks it)."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections import defaultdict
from typing import Any

from django.utils import timezone

from analytics.activities import comment_row
from analytics.plans import plan_instances_data, with_plan
from astral import spreadsheet
from astral.api.renderers import dumps
from athletes import streams
from athletes.models import (
    ActivityComment,
    ActivityFile,
    ActivityStream,
    PlanInstance,
    PlannedWorkout,
    User,
)
from athletes.representations import (
    activity_data,
    goal_data,
    health_metric_data,
    integrations_data,
    user_data,
)
from athletes.services.imports import EXPORT_FORMAT, EXPORT_MANIFEST, EXPORT_VERSION
from athletes.services.plans import WORKOUT_FIELDS
from metrics.plans import workout_date


def _csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet.cell(v) for k, v in row.items()})
    return out.getvalue()


def _comments(user: User) -> dict[int, list[dict[str, Any]]]:
    """Every comment under the athlete's runs, theirs and their coaches', by activity."""
    by_activity: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        ActivityComment.objects.filter(activity__user=user)
        .select_related("author", "activity")
        .order_by("created_at", "pk")
    )
    for comment in rows:
        by_activity[comment.activity_id].append(comment_row(comment))
    return by_activity


def _plans(user: User) -> list[dict[str, Any]]:
    """Each plan the athlete follows, with its workouts on their dates."""
    instances = list(with_plan(PlanInstance.objects.filter(user=user)).order_by("start_date"))
    workouts: dict[int, list[PlannedWorkout]] = defaultdict(list)
    for workout in PlannedWorkout.objects.filter(plan__instances__user=user).order_by(
        "week", "day"
    ):
        workouts[workout.plan_id].append(workout)
    out = []
    for instance, data in zip(instances, plan_instances_data(instances), strict=True):
        data["workouts"] = [
            {
                "date": workout_date(instance.start_date, w.week, w.day),
                **{name: getattr(w, name) for name in WORKOUT_FIELDS},
            }
            for w in workouts[instance.plan_id]
        ]
        out.append(data)
    return out


def _memberships(user: User) -> list[dict[str, Any]]:
    from organizations.models import Membership  # the clubs sit above the athletes

    rows = (
        Membership.objects.filter(user=user)
        .select_related("organization", "assigned_coach")
        .prefetch_related("labels")
        .order_by("joined_at")
    )
    groups: dict[int, list[str]] = defaultdict(list)
    for organization_id, name in user.athlete_groups.values_list("organization_id", "name"):
        groups[organization_id].append(name)
    return [
        {
            "organization_id": m.organization.public_id,
            "organization": m.organization.name,
            "role": m.role,
            "coach": m.assigned_coach.name if m.assigned_coach else None,
            "groups": sorted(groups[m.organization_id]),
            "labels": sorted(label.name for label in m.labels.all()),
            "joined_at": m.joined_at,
        }
        for m in rows
    ]


def export_zip(user: User) -> bytes:
    activities = list(user.activities.select_related("user").order_by("start_time"))
    kept_streams = {s.activity_id: s for s in ActivityStream.objects.filter(activity__user=user)}
    kept_files = {
        f.activity_id: f for f in ActivityFile.objects.filter(activity__user=user).defer("data")
    }
    comments = _comments(user)
    by_event = {  # a multisport file is kept with its first leg; every leg names it
        a.multisport_id: f"files/{a.public_id}{kept_files[a.pk].kind}"
        for a in activities
        if a.multisport_id and a.pk in kept_files
    }
    activity_rows = [activity_data(a) for a in activities]
    full_rows = []
    for row, activity in zip(activity_rows, activities, strict=True):
        stream = kept_streams.get(activity.pk)
        original = kept_files.get(activity.pk)
        full_rows.append(
            {
                **row,
                "file": f"files/{activity.public_id}{original.kind}"
                if original
                else by_event.get(activity.multisport_id),
                "samples": streams.unpack(stream.data) if stream else None,
                "laps": stream.laps if stream else [],
                "comments": comments.get(activity.pk, []),
            }
        )
    health = [health_metric_data(m, user) for m in user.health_metrics.order_by("date")]
    goals = [goal_data(g) for g in user.goals.select_related("user").order_by("race_date")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            EXPORT_MANIFEST,
            dumps(
                {
                    "format": EXPORT_FORMAT,
                    "version": EXPORT_VERSION,
                    "user_id": user.public_id,
                    "exported_at": timezone.now(),
                }
            ),
        )
        archive.writestr("profile.json", dumps(user_data(user)))
        archive.writestr(
            "integrations.json", dumps(integrations_data(list(user.integrations.all())))
        )
        archive.writestr("memberships.json", dumps(_memberships(user)))
        archive.writestr("activities.json", dumps(full_rows))
        archive.writestr("activities.csv", _csv(activity_rows))
        archive.writestr("health_metrics.json", dumps(health))
        archive.writestr("health_metrics.csv", _csv(health))
        archive.writestr("goals.json", dumps(goals))
        archive.writestr("plans.json", dumps(_plans(user)))
        originals = ActivityFile.objects.filter(activity__user=user).values_list(
            "activity__public_id", "kind", "data"
        )
        for public_id, kind, data in originals.iterator(chunk_size=50):
            archive.writestr(f"files/{public_id}{kind}", gzip.decompress(bytes(data)))
        archive.writestr("README.txt", README)
    return buffer.getvalue()


README = """\
Your Astral data.

astral-export.json   what this is (format, version, your user id, when it was made)
profile.json         your profile, zones and settings
memberships.json     your clubs: role, coach, groups and labels
activities.json      every activity: its numbers, sample streams (column arrays), laps,
                     comments, and "file": the original file in files/ when it came from one
activities.csv       the activities as a table
health_metrics.json  daily readings (and .csv)
goals.json           your goals
plans.json           the plans you follow, each workout on its date
files/               the files your watch or app wrote, as uploaded

Distances in meters, durations in seconds, times in UTC (ISO 8601).
Send this zip to Astral again (Upload, or POST /api/v1/activities/import) to restore your
activities, readings and goals: what is already there is not stored twice.
"""
