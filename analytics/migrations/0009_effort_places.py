from django.db import migrations

from analytics.records import (
    PLACES_BACKFILL_SQL,
    PLACES_DROP_SQL,
    PLACES_FUNCTIONS_SQL,
    PLACES_TRIGGERS_SQL,
)


class Migration(migrations.Migration):
    """Every best effort's place among its athlete's efforts at its distance, kept by
    PostgreSQL (analytics/records.py), and the places of the efforts already stored."""

    dependencies = [
        ("analytics", "0008_club_totals"),
        ("athletes", "0013_best_effort_place"),
    ]

    operations = [
        migrations.RunSQL(PLACES_FUNCTIONS_SQL + PLACES_TRIGGERS_SQL, PLACES_DROP_SQL),
        migrations.RunSQL(PLACES_BACKFILL_SQL, migrations.RunSQL.noop),
    ]
