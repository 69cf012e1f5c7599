"""Daily health readings.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from athletes.models import (
    HealthMetric,
    User,
)
from athletes.services.changes import athlete_data_changed

HEALTH_FIELDS = ("resting_hr", "hrv", "vo2_max", "recovery_score", "sleep_seconds")


def health_metrics_upsert(*, entries: list[tuple[User, dict[str, Any]]]) -> list[HealthMetric]:
    """Upserts daily rows: for each (user, date) the later write wins for the fields it
    sends, atomically in the database (INSERT … ON CONFLICT DO UPDATE), so concurrent
    writers never lose each other's fields."""
    merged: dict[tuple[int, Any], dict[str, Any]] = {}
    users: dict[int, User] = {}
    for user, entry in entries:
        users[user.pk] = user
        merged.setdefault((user.pk, entry["date"]), {}).update(entry)
    by_fields: dict[tuple[str, ...], list[HealthMetric]] = {}
    for (user_pk, day), values in merged.items():
        sent = tuple(sorted(k for k in values if k in HEALTH_FIELDS))
        row = HealthMetric(user_id=user_pk, date=day, **{k: values[k] for k in sent})
        by_fields.setdefault(sent, []).append(row)
    with transaction.atomic():
        for sent, rows in by_fields.items():
            HealthMetric.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["user", "date"],
                update_fields=[*sent, "updated_at"],
            )
        athlete_data_changed(users.keys())
    keys = list(merged)
    stored = HealthMetric.objects.filter(
        user_id__in=users.keys(), date__in={day for _, day in keys}
    )
    index = {(m.user_id, m.date): m for m in stored}
    return [index[k] for k in keys]
