from pathlib import Path

from django.db import migrations

# Kept SQL, frozen by version (analytics/sql/README.md).
SQL = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    return (SQL / name).read_text()

class Migration(migrations.Migration):
    dependencies = [
        ("athletes", "0016_plan_revision"),
    ]

    operations = [migrations.RunSQL(sql("user_version/0001.sql"), sql("user_version/0001.down.sql"))]
