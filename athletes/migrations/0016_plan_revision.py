from pathlib import Path

from django.db import migrations, models

# Kept SQL, frozen by version (analytics/sql/README.md).
SQL = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    return (SQL / name).read_text()


class Migration(migrations.Migration):
    dependencies = [
        ("athletes", "0015_activity_id_bytewise"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="revision",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False),
        ),
        migrations.RunSQL(sql("plan_revision/0001.sql"), sql("plan_revision/0001.down.sql")),
    ]
