from django.db import migrations
from pathlib import Path

# Kept SQL, frozen by version: this migration always creates what it created the day it was
# written, whatever the code says later (analytics/sql/README.md).
SQL = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    return (SQL / name).read_text()


class Migration(migrations.Migration):
    """Every best effort's place among its athlete's efforts at its distance, kept by
    PostgreSQL (analytics/records.py), and the places of the efforts already stored."""

    dependencies = [
        ("analytics", "0008_club_totals"),
        ("athletes", "0013_best_effort_place"),
    ]

    operations = [
        migrations.RunSQL(sql("effort_places/0001.sql"), sql("effort_places/0001.down.sql")),
        migrations.RunSQL(sql("effort_places/0001.backfill.sql"), migrations.RunSQL.noop),
    ]
