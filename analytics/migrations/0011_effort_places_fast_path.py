from django.db import migrations

from analytics.records import PLACES_FUNCTIONS_SQL


class Migration(migrations.Migration):
    """Effort places: a statement that leaves an athlete's three fastest times at a distance
    as they were places only the rows it wrote (analytics/records.py)."""

    dependencies = [("analytics", "0010_snapshot_carry")]

    operations = [migrations.RunSQL(PLACES_FUNCTIONS_SQL, migrations.RunSQL.noop)]
