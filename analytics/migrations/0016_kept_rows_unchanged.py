"""Roster rows version 2 and plan rows version 3: the functions that keep them do nothing for
no rows (an upsert fires both its INSERT and its UPDATE statement triggers, one mostly
empty) and leave a row as it is when nothing in it changes, so refreshing a snapshot or a
standing to the same figures rewrites none of the rows' eight indexes."""

from pathlib import Path

from django.db import migrations

# Kept SQL, frozen by version (analytics/sql/README.md).
SQL = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    return (SQL / name).read_text()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0015_rosterrow_members")]

    operations = [
        migrations.RunSQL(sql("roster_rows/0002.sql"), sql("roster_rows/0001.sql")),
        migrations.RunSQL(sql("plan_rows/0003.sql"), sql("plan_rows/0002.sql")),
    ]
