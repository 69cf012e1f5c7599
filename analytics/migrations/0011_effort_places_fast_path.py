from django.db import migrations
from pathlib import Path

# Kept SQL, frozen by version: this migration always creates what it created the day it was
# written, whatever the code says later (analytics/sql/README.md).
SQL = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    return (SQL / name).read_text()


class Migration(migrations.Migration):
    """Effort places: a statement that leaves an athlete's three fastest times at a distance
    as they were places only the rows it wrote (analytics/records.py)."""

    dependencies = [("analytics", "0010_snapshot_carry")]

    operations = [migrations.RunSQL(sql("effort_places/0002.sql"), sql("effort_places/0001.sql"))]
