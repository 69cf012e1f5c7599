"""PostgreSQL refuses what no path may store (issue 32): every number finite, every date a
person enters between 1900 and 2199. The columns are listed here, frozen; a test checks that
every float column of the schema has its check, so a new column cannot go without one.

Values already stored that break the rule are cleared first (NULL where the column allows it,
else 0 for a number and the nearest bound for a date)."""

from django.db import migrations

FLOATS = [
    ("athletes_user", "weight_kg", True),
    ("athletes_user", "vdot", True),
    ("athletes_activity", "distance", False),
    ("athletes_activity", "duration", False),
    ("athletes_activity", "elapsed_time", True),
    ("athletes_activity", "avg_heart_rate", True),
    ("athletes_activity", "max_heart_rate", True),
    ("athletes_activity", "calories", True),
    ("athletes_activity", "elevation_gain", True),
    ("athletes_activity", "training_load", False),
    ("athletes_activity", "pace_z1_time", False),
    ("athletes_activity", "pace_z2_time", False),
    ("athletes_activity", "pace_z3_time", False),
    ("athletes_activity", "pace_z4_time", False),
    ("athletes_activity", "pace_z5_time", False),
    ("athletes_activity", "hr_z1_time", False),
    ("athletes_activity", "hr_z2_time", False),
    ("athletes_activity", "hr_z3_time", False),
    ("athletes_activity", "hr_z4_time", False),
    ("athletes_activity", "hr_z5_time", False),
    ("athletes_besteffort", "seconds", False),
    ("athletes_besteffort", "start_offset", False),
    ("athletes_healthmetric", "resting_hr", True),
    ("athletes_healthmetric", "hrv", True),
    ("athletes_healthmetric", "vo2_max", True),
    ("athletes_healthmetric", "recovery_score", True),
    ("athletes_goal", "distance", False),
    ("athletes_plannedworkout", "distance", True),
    ("athletes_plannedworkout", "duration", True),
    ("analytics_athletesnapshot", "weekly_distance", False),
    ("analytics_planstanding", "compliance", True),
    ("analytics_planstanding", "planned_distance_to_date", False),
    ("analytics_planrow", "compliance", True),
    ("analytics_planrow", "progress", True),
    ("analytics_rosterrow", "weekly_distance", True),
    ("analytics_athleteday", "distance", False),
    ("analytics_athleteweek", "distance", False),
    ("analytics_clubday", "distance", False),
]
DATES = [
    ("athletes_user", "birth_date", True),
    ("athletes_healthmetric", "date", False),
    ("athletes_goal", "race_date", False),
    ("athletes_planinstance", "start_date", False),
]
INSTANTS = [
    ("athletes_activity", "start_time", False),
]
FINITE = "{c} > '-Infinity'::float8 AND {c} < 'Infinity'::float8"
IN_RANGE = "{c} BETWEEN '1900-01-01' AND '2199-12-31'"
IN_RANGE_INSTANT = "{c} >= '1900-01-01T00:00:00Z' AND {c} < '2200-01-01T00:00:00Z'"


def _sql() -> tuple[str, str]:
    forward, backward = [], []
    for table, column, null in FLOATS:
        ok = FINITE.format(c=column)
        forward.append(f"UPDATE {table} SET {column} = {'NULL' if null else '0'} WHERE NOT ({ok})")
        forward.append(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_finite CHECK ({ok})")
        backward.append(f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_finite")
    for rule, columns, low, high in (
        (IN_RANGE, DATES, "'1900-01-01'", "'2199-12-31'"),
        (IN_RANGE_INSTANT, INSTANTS, "'1900-01-01T00:00:00Z'", "'2199-12-31T23:59:59Z'"),
    ):
        for table, column, null in columns:
            ok = rule.format(c=column)
            fix = "NULL" if null else f"LEAST(GREATEST({column}, {low}), {high})"
            forward.append(f"UPDATE {table} SET {column} = {fix} WHERE NOT ({ok})")
            forward.append(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_in_range CHECK ({ok})")
            backward.append(f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_in_range")
    return ";\n".join(forward) + ";", ";\n".join(backward) + ";"


FORWARD, BACKWARD = _sql()


class Migration(migrations.Migration):
    dependencies = [
        ("athletes", "0017_user_version_forward"),
        ("organizations", "0003_invitation"),
        ("analytics", "0013_plan_rows"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
