"""Plans on weekdays, structured workouts and the calendar feed (API.md "Goals and plans").

`day` 1 is now Monday and an instance's week 1 the ISO week of its start date; before, day 1
was the start date itself. Every planned date stays where it was: an instance that starts on
another weekday than Monday gets its own copy of the plan, its workouts shifted by the start's
weekday (one week longer when they spill over), as the calendar's copy on write does.

Frozen: plain SQL and this file's own helpers only.
"""

from django.db import migrations, models
from django.utils.crypto import get_random_string

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _public_id(prefix):
    return prefix + get_random_string(16, allowed_chars=ALPHABET)


def shift_instances(apps, schema_editor):
    Plan = apps.get_model("athletes", "Plan")
    PlanInstance = apps.get_model("athletes", "PlanInstance")
    PlannedWorkout = apps.get_model("athletes", "PlannedWorkout")
    instances = PlanInstance.objects.select_related("plan").order_by("pk")
    for instance in instances.iterator():
        shift = instance.start_date.weekday()  # 0 on a Monday: nothing moves
        if shift == 0:
            continue
        plan = instance.plan
        copy = Plan.objects.create(
            public_id=_public_id("pln_"),
            organization_id=plan.organization_id,
            name=plan.name,
            description=plan.description,
            total_weeks=plan.total_weeks + 1,
            created_by_id=plan.created_by_id,
        )
        rows = []
        for workout in PlannedWorkout.objects.filter(plan=plan).order_by("pk"):
            offset = 7 * (workout.week - 1) + (workout.day - 1) + shift
            rows.append(
                PlannedWorkout(
                    plan=copy,
                    week=offset // 7 + 1,
                    day=offset % 7 + 1,
                    type=workout.type,
                    distance=workout.distance,
                    duration=workout.duration,
                    pace_zone=workout.pace_zone,
                    note=workout.note,
                )
            )
        PlannedWorkout.objects.bulk_create(rows)
        last_week = max((r.week for r in rows), default=plan.total_weeks)
        if last_week <= plan.total_weeks:
            Plan.objects.filter(pk=copy.pk).update(total_weeks=plan.total_weeks)
        PlanInstance.objects.filter(pk=instance.pk).update(plan=copy)


class Migration(migrations.Migration):
    dependencies = [("athletes", "0020_import_archives")]

    operations = [
        migrations.AddField(
            model_name="plannedworkout",
            name="steps",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="plannedworkout",
            name="athlete_note",
            field=models.CharField(blank=True, db_default="", default="", max_length=200),
        ),
        migrations.AddField(
            model_name="user",
            name="calendar_token",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("calendar_token", ""), _negated=True),
                fields=("calendar_token",),
                name="user_calendar_token_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="plannedworkout",
            constraint=models.CheckConstraint(
                condition=models.Q(("day__gte", 1), ("day__lte", 7), ("week__gte", 1)),
                name="plannedworkout_day_monday_to_sunday",
            ),
        ),
        migrations.RunPython(shift_instances, migrations.RunPython.noop),
        # Every kept plan standing was computed by the old rule: a new revision makes each
        # stale, so it is computed again by METRICS.md §7 when next read or refreshed.
        migrations.RunSQL("UPDATE athletes_plan SET revision = revision + 1", migrations.RunSQL.noop),
    ]
