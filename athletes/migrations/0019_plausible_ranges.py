"""PostgreSQL keeps every number a person or a device sends within what is plausible (issue
32), the same bounds as the API's fields and athletes/plausibility.py: whatever path writes
(the admin, a task, a shell), a heart rate of 900 or a negative distance cannot be stored.

The ranges are listed here, frozen. Values already stored outside them are cleared first
(NULL where the column allows it, else the nearest bound)."""

from django.db import migrations

RANGES = [
    # table, column, lowest, highest (None: no upper bound), nullable
    ("athletes_user", "weight_kg", 20, 300, True),
    ("athletes_user", "vdot", 15, 90, True),
    ("athletes_user", "max_hr", 100, 240, True),
    ("athletes_user", "resting_hr", 25, 120, True),
    ("athletes_activity", "distance", 0, None, False),
    ("athletes_activity", "duration", 0, None, False),
    ("athletes_activity", "elapsed_time", 0, None, True),
    ("athletes_activity", "avg_heart_rate", 20, 260, True),
    ("athletes_activity", "max_heart_rate", 20, 260, True),
    ("athletes_activity", "calories", 0, None, True),
    ("athletes_activity", "elevation_gain", 0, None, True),
    ("athletes_activity", "training_load", 0, None, False),
    *[("athletes_activity", f"{kind}_z{n}_time", 0, None, False) for kind in ("pace", "hr") for n in range(1, 6)],
    ("athletes_healthmetric", "resting_hr", 20, 150, True),
    ("athletes_healthmetric", "hrv", 1, 400, True),
    ("athletes_healthmetric", "vo2_max", 10, 100, True),
    ("athletes_healthmetric", "recovery_score", 0, 100, True),
    ("athletes_healthmetric", "sleep_seconds", 0, 86_400, True),
    ("athletes_goal", "distance", 100, 500_000, False),
    ("athletes_plannedworkout", "distance", 0, 200_000, True),
    ("athletes_plannedworkout", "duration", 0, 86_400, True),
]


def _sql() -> tuple[str, str]:
    forward, backward = [], []
    for table, column, low, high, null in RANGES:
        ok = f"{column} >= {low}" + (f" AND {column} <= {high}" if high is not None else "")
        bound = f"GREATEST({column}, {low})" if high is None else f"LEAST(GREATEST({column}, {low}), {high})"
        forward.append(f"UPDATE {table} SET {column} = {'NULL' if null else bound} WHERE NOT ({ok})")
        forward.append(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_plausible CHECK ({ok})")
        backward.append(f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_plausible")
    return ";\n".join(forward) + ";", ";\n".join(backward) + ";"


FORWARD, BACKWARD = _sql()


class Migration(migrations.Migration):
    dependencies = [("athletes", "0018_finite_numbers_and_dates")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
