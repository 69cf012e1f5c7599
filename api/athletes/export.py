"""An athlete's own data, taken away: a zip of JSON and CSV files."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from analytics.plans import plan_instances_data, with_plan
from astral import spreadsheet
from astral.api.renderers import dumps
from athletes import streams
from athletes.models import ActivityStream, PlanInstance, User
from athletes.representations import (
    activity_data,
    goal_data,
    health_metric_data,
    integrations_data,
    user_data,
)


def _csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet.cell(v) for k, v in row.items()})
    return out.getvalue()


def export_zip(user: User) -> bytes:
    activities = list(user.activities.select_related("user").order_by("start_time"))
    stream_rows = {
        s.activity_id: streams.unpack(s.data)
        for s in ActivityStream.objects.filter(activity__user=user)
    }
    activity_rows = [activity_data(a) for a in activities]
    with_streams = [
        {**row, "samples": stream_rows.get(a.pk)}
        for row, a in zip(activity_rows, activities, strict=True)
    ]
    health = [health_metric_data(m, user) for m in user.health_metrics.order_by("date")]
    goals = [goal_data(g) for g in user.goals.select_related("user").order_by("race_date")]
    plans = plan_instances_data(
        with_plan(PlanInstance.objects.filter(user=user)).order_by("start_date")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.json", dumps(user_data(user)))
        archive.writestr(
            "integrations.json", dumps(integrations_data(list(user.integrations.all())))
        )
        archive.writestr("activities.json", dumps(with_streams))
        archive.writestr("activities.csv", _csv(activity_rows))
        archive.writestr("health_metrics.json", dumps(health))
        archive.writestr("health_metrics.csv", _csv(health))
        archive.writestr("goals.json", dumps(goals))
        archive.writestr("plans.json", dumps(plans))
        archive.writestr(
            "README.txt",
            "Your Astral data: JSON files (activities.json includes the sample streams) and CSV\n"
            "copies of the tables. Distances in meters, durations in seconds, times in UTC.\n",
        )
    return buffer.getvalue()
