"""Plan rows, version 2 (METRICS.md §7): a plan not started yet has made no progress, and a
group's compliance is the mean over all its workouts due, so each standing and plan row keeps
the workouts due and the sum of their scores."""

from pathlib import Path

from django.db import migrations, models

# Kept SQL, frozen by version (analytics/sql/README.md).
SQL = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    return (SQL / name).read_text()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0013_plan_rows"),
        ("athletes", "0021_weekday_plans_and_steps"),
    ]

    operations = [
        migrations.AddField(
            model_name="planstanding",
            name="due_workouts",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="planstanding",
            name="score_sum",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        migrations.AddField(
            model_name="planrow",
            name="due_workouts",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="planrow",
            name="score_sum",
            field=models.FloatField(db_default=0.0, default=0.0),
        ),
        # Finite, like every float column (athletes migration 0018); a score is 0..1 each.
        *[
            migrations.RunSQL(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_score_sum_finite "
                "CHECK (score_sum >= 0 AND score_sum < 'Infinity'::float8)",
                f"ALTER TABLE {table} DROP CONSTRAINT {table}_score_sum_finite",
            )
            for table in ("analytics_planstanding", "analytics_planrow")
        ],
        migrations.RunSQL(sql("plan_rows/0002.sql"), sql("plan_rows/0001.sql")),
    ]
