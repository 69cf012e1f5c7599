"""Month totals per athlete, kept by PostgreSQL in the transaction of each write.

`analytics_monthtotals` holds, per athlete and local month, the running totals of distance
and activities from the 1st to each day (index 31 is the whole month). Triggers on the
activities add the change of every INSERT, UPDATE and DELETE statement (one set-based
statement per write statement, through its transition tables), and a trigger on the users
rebuilds an athlete's months when their time zone changes, so the totals are never stale and
their days are always the athlete's own. A span of local days costs at most one row per
month it touches: `cum[last] - cum[first - 1]`, whatever the club's size of history.

The club-wide answers (Group Dashboard, group comparison and stats) read these rows instead of
scanning the activities; `tests/integration/analytics/test_month_totals.py` compares them
with a recomputation from the activities after random writes, edits, deletes and zone changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection

# The rows a set of changes makes, as cumulative arrays per (athlete, month): `changes` is a
# query of (user_id, start_time, distance, sign) rows; `sign` -1 takes an activity away.
MONTH_ROWS_SQL = """
WITH per AS (
  SELECT c.user_id, date_trunc('month', c.day)::date AS month,
         extract(day FROM c.day)::int AS dom, sum(c.distance * c.sign) AS distance,
         sum(c.sign)::int AS runs
  FROM (
    SELECT x.user_id, x.sign, x.distance,
           (x.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day
    FROM ({changes}) AS x(user_id, start_time, distance, sign)
    JOIN athletes_user u ON u.id = x.user_id
  ) c
  GROUP BY 1, 2, 3
),
{cumulate}"""
# From per-day sums to one row of running totals per (athlete, month).
CUMULATE_SQL = """-- The running totals at the days with activities, each repeated up to the next such day:
-- the 31 values written out as an array literal (a grid of 31 rows per month cost five
-- times as long to build for 10,000 athletes' two years).
points AS (
  SELECT user_id, month, dom, lead(dom, 1, 32) OVER w AS next_dom,
         sum(distance) OVER w AS distance, sum(runs) OVER w AS runs
  FROM per WINDOW w AS (PARTITION BY user_id, month ORDER BY dom)
)
SELECT user_id, month,
       ('{' || rtrim(repeat('0,', min(dom) - 1)
              || string_agg(repeat(distance::text || ',', next_dom - dom), '' ORDER BY dom), ',')
        || '}')::float8[],
       ('{' || rtrim(repeat('0,', min(dom) - 1)
              || string_agg(repeat(runs::text || ',', next_dom - dom), '' ORDER BY dom), ',')
        || '}')::int[]
FROM points GROUP BY user_id, month
"""
MONTH_ROWS_SQL = MONTH_ROWS_SQL.replace("{cumulate}", CUMULATE_SQL)

# Adds the rows of a change to the table (athletes locked first, in id order, so a time
# zone change and a write for the same athlete never interleave), then drops emptied months.
APPLY_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION astral_array_add(a float8[], b float8[]) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) $$;

CREATE OR REPLACE FUNCTION astral_array_add(a int[], b int[]) RETURNS int[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) $$;

CREATE OR REPLACE FUNCTION astral_month_totals_add(
    users bigint[], starts timestamptz[], distances float8[], signs int[]
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF users IS NULL OR cardinality(users) = 0 THEN
    RETURN;
  END IF;
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO analytics_monthtotals AS t (user_id, month, distance, runs)
  SELECT r.* FROM ({month_rows}) AS r(user_id, month, distance, runs)
  WHERE r.runs[31] <> 0 OR EXISTS (SELECT 1 FROM unnest(r.distance) AS d WHERE d <> 0)
  ORDER BY r.user_id, r.month
  ON CONFLICT (user_id, month) DO UPDATE
    SET distance = astral_array_add(t.distance, EXCLUDED.distance),
        runs = astral_array_add(t.runs, EXCLUDED.runs);
  DELETE FROM analytics_monthtotals WHERE user_id = ANY(users) AND runs[31] = 0;
END $$;

CREATE OR REPLACE FUNCTION astral_month_totals_on_activities() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_month_totals_add(array_agg(user_id), array_agg(start_time),
                                    array_agg(distance), array_agg(1)) FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM astral_month_totals_add(array_agg(user_id), array_agg(start_time),
                                    array_agg(distance), array_agg(-1)) FROM old_rows;
  ELSE
    -- Only the rows whose athlete, start or distance changed.
    PERFORM astral_month_totals_add(array_agg(c.user_id), array_agg(c.start_time),
                                    array_agg(c.distance), array_agg(c.sign))
    FROM (
      SELECT o.user_id, o.start_time, o.distance, -1 AS sign
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.user_id, o.start_time, o.distance) IS DISTINCT FROM
            (n.user_id, n.start_time, n.distance)
      UNION ALL
      SELECT n.user_id, n.start_time, n.distance, 1
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.user_id, o.start_time, o.distance) IS DISTINCT FROM
            (n.user_id, n.start_time, n.distance)
    ) c;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_month_totals_on_zone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM analytics_monthtotals WHERE user_id = NEW.id;
  PERFORM astral_month_totals_add(array_agg(user_id), array_agg(start_time),
                                  array_agg(distance), array_agg(1))
  FROM athletes_activity WHERE user_id = NEW.id;
  RETURN NULL;
END $$;
""".replace(
    "{month_rows}",
    MONTH_ROWS_SQL.replace("{changes}", "SELECT * FROM unnest(users, starts, distances, signs)"),
)

TRIGGERS_SQL = """
CREATE TRIGGER month_totals_insert AFTER INSERT ON athletes_activity
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_month_totals_on_activities();
CREATE TRIGGER month_totals_update AFTER UPDATE ON athletes_activity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_month_totals_on_activities();
CREATE TRIGGER month_totals_delete AFTER DELETE ON athletes_activity
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_month_totals_on_activities();
CREATE TRIGGER month_totals_zone AFTER UPDATE OF timezone ON athletes_user
  FOR EACH ROW
  WHEN (COALESCE(NULLIF(OLD.timezone, ''), 'UTC') IS DISTINCT FROM
        COALESCE(NULLIF(NEW.timezone, ''), 'UTC'))
  EXECUTE FUNCTION astral_month_totals_on_zone();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS month_totals_insert ON athletes_activity;
DROP TRIGGER IF EXISTS month_totals_update ON athletes_activity;
DROP TRIGGER IF EXISTS month_totals_delete ON athletes_activity;
DROP TRIGGER IF EXISTS month_totals_zone ON athletes_user;
DROP FUNCTION IF EXISTS astral_month_totals_on_zone();
DROP FUNCTION IF EXISTS astral_month_totals_on_activities();
DROP FUNCTION IF EXISTS astral_month_totals_add(bigint[], timestamptz[], float8[], int[]);
DROP FUNCTION IF EXISTS astral_array_add(float8[], float8[]);
DROP FUNCTION IF EXISTS astral_array_add(int[], int[]);
"""

# Every athlete's months from their activities (`{where}` narrows to some athletes): the
# migration's backfill, the benchmark's bulk load (its triggers off) and the tests' reference.
# The month rows from the athletes' kept local days (analytics_athleteday), for a build from
# nothing once those are built: the days are already local, no time zone is looked up again.
REBUILD_FROM_DAYS_SQL = """
INSERT INTO analytics_monthtotals (user_id, month, distance, runs)
WITH per AS (
  SELECT user_id, date_trunc('month', day)::date AS month, extract(day FROM day)::int AS dom,
         distance, runs
  FROM analytics_athleteday {where}
),
{cumulate}""".replace("{cumulate}", CUMULATE_SQL)
REBUILD_SQL = "INSERT INTO analytics_monthtotals (user_id, month, distance, runs) {rows}".replace(
    "{rows}",
    MONTH_ROWS_SQL.replace(
        "{changes}", "SELECT user_id, start_time, distance, 1 FROM athletes_activity {where}"
    ),
)


def rebuild_month_totals(user_ids: Sequence[int] | None = None) -> None:
    """Recomputes the month totals of these athletes (all with None) from their activities."""
    with connection.cursor() as cursor:
        if user_ids is None:
            cursor.execute("DELETE FROM analytics_monthtotals")
            cursor.execute(REBUILD_SQL.replace("{where}", ""))
        else:
            ids = list(user_ids)
            cursor.execute("DELETE FROM analytics_monthtotals WHERE user_id = ANY(%s)", [ids])
            cursor.execute(REBUILD_SQL.replace("{where}", "WHERE user_id = ANY(%s)"), [ids])


def span_sums_sql(periods: Sequence[tuple[date, date]], alias: str = "t") -> tuple[str, list[Any]]:
    """For each period of local days, its distance and activities in one month row of an
    athlete (`alias`), as SELECT expressions named d0, r0, d1, r1… and their parameters:
    the row's running total at the period's last day in that month minus the one before
    its first, 0 for a month outside the period. Summed per athlete by the caller."""
    columns: list[str] = []
    params: list[Any] = []
    for index, (first, last) in enumerate(periods):
        first_month, last_month = first.replace(day=1), last.replace(day=1)
        hi = f"CASE WHEN {alias}.month = %s THEN %s ELSE 31 END"
        lo = f"CASE WHEN {alias}.month = %s THEN %s ELSE 1 END"
        inside = f"{alias}.month BETWEEN %s AND %s"
        for column, name in (("distance", "d"), ("runs", "r")):
            columns.append(
                f"CASE WHEN {inside} THEN {alias}.{column}[{hi}] "
                f"- COALESCE({alias}.{column}[{lo} - 1], 0) ELSE 0 END AS {name}{index}"
            )
            params += [first_month, last_month, last_month, last.day, first_month, first.day]
    return ", ".join(columns), params


def months_touched(periods: Sequence[tuple[date, date]]) -> tuple[date, date]:
    """The first and last month any of the periods touches (the rows to read)."""
    return (
        min(first for first, _ in periods).replace(day=1),
        max(last for _, last in periods).replace(day=1),
    )


# The roster's rows (analytics.models.RosterRow): each athlete membership with its athlete's
# name, whether their account is active, the snapshot's ordering columns and when the
# snapshot is fresh, refreshed from the three tables by `astral_roster_sync`.
ROSTER_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION astral_roster_sync(membership_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM analytics_rosterrow r
  WHERE r.membership_id = ANY(membership_ids)
    AND NOT EXISTS (SELECT 1 FROM organizations_membership m
                    WHERE m.id = r.membership_id AND m.role = 'athlete');
  INSERT INTO analytics_rosterrow AS r (
      membership_id, organization_id, user_id, active, name, username, last_activity_at,
      weekly_distance, attention_warnings, attention_infos, attention_since, fresh_from,
      fresh_until)
  SELECT m.id, m.organization_id, m.user_id, u.is_active, u.display_name, u.username,
         s.last_activity_at, s.weekly_distance, s.attention_warnings, s.attention_infos,
         s.attention_since,
         CASE WHEN s.source_version = u.data_version
              THEN s.as_of::timestamp AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC')
              ELSE '2200-01-01 00:00+00' END,
         CASE WHEN s.source_version = u.data_version
              THEN (s.as_of + 1)::timestamp AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC')
              ELSE '1900-01-01 00:00+00' END
  FROM organizations_membership m
  JOIN athletes_user u ON u.id = m.user_id
  LEFT JOIN analytics_athletesnapshot s ON s.user_id = m.user_id
  WHERE m.id = ANY(membership_ids) AND m.role = 'athlete'
  ORDER BY m.id
  ON CONFLICT (membership_id) DO UPDATE SET
    organization_id = EXCLUDED.organization_id, user_id = EXCLUDED.user_id,
    active = EXCLUDED.active, name = EXCLUDED.name, username = EXCLUDED.username,
    last_activity_at = EXCLUDED.last_activity_at, weekly_distance = EXCLUDED.weekly_distance,
    attention_warnings = EXCLUDED.attention_warnings,
    attention_infos = EXCLUDED.attention_infos, attention_since = EXCLUDED.attention_since,
    fresh_from = EXCLUDED.fresh_from, fresh_until = EXCLUDED.fresh_until;
END $$;

CREATE OR REPLACE FUNCTION astral_roster_on_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM astral_roster_sync(ARRAY(SELECT id FROM new_rows));
  ELSE
    PERFORM astral_roster_sync(ARRAY(
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE (n.role, n.user_id, n.organization_id) IS DISTINCT FROM
            (o.role, o.user_id, o.organization_id)));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_roster_on_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM astral_roster_sync(ARRAY(
    SELECT id FROM organizations_membership WHERE user_id = NEW.id AND role = 'athlete'));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION astral_roster_on_snapshots() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM astral_roster_sync(ARRAY(
      SELECT m.id FROM organizations_membership m JOIN old_rows o ON o.user_id = m.user_id
      WHERE m.role = 'athlete'));
  ELSE
    PERFORM astral_roster_sync(ARRAY(
      SELECT m.id FROM organizations_membership m JOIN new_rows n ON n.user_id = m.user_id
      WHERE m.role = 'athlete'));
  END IF;
  RETURN NULL;
END $$;
"""

ROSTER_TRIGGERS_SQL = """
ALTER TABLE analytics_rosterrow ADD CONSTRAINT rosterrow_membership_fk
  FOREIGN KEY (membership_id) REFERENCES organizations_membership (id) ON DELETE CASCADE;
CREATE TRIGGER roster_membership_insert AFTER INSERT ON organizations_membership
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_memberships();
CREATE TRIGGER roster_membership_update AFTER UPDATE ON organizations_membership
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_memberships();
CREATE TRIGGER roster_user AFTER UPDATE OF display_name, username, is_active, data_version,
  timezone ON athletes_user FOR EACH ROW
  WHEN ((OLD.display_name, OLD.username, OLD.is_active, OLD.data_version, OLD.timezone)
        IS DISTINCT FROM
        (NEW.display_name, NEW.username, NEW.is_active, NEW.data_version, NEW.timezone))
  EXECUTE FUNCTION astral_roster_on_user();
CREATE TRIGGER roster_snapshot_insert AFTER INSERT ON analytics_athletesnapshot
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_snapshots();
CREATE TRIGGER roster_snapshot_update AFTER UPDATE ON analytics_athletesnapshot
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_snapshots();
CREATE TRIGGER roster_snapshot_delete AFTER DELETE ON analytics_athletesnapshot
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_roster_on_snapshots();
SELECT astral_roster_sync(ARRAY(SELECT id FROM organizations_membership WHERE role = 'athlete'));
"""

ROSTER_DROP_SQL = """
DROP TRIGGER IF EXISTS roster_membership_insert ON organizations_membership;
DROP TRIGGER IF EXISTS roster_membership_update ON organizations_membership;
DROP TRIGGER IF EXISTS roster_user ON athletes_user;
DROP TRIGGER IF EXISTS roster_snapshot_insert ON analytics_athletesnapshot;
DROP TRIGGER IF EXISTS roster_snapshot_update ON analytics_athletesnapshot;
DROP TRIGGER IF EXISTS roster_snapshot_delete ON analytics_athletesnapshot;
DROP FUNCTION IF EXISTS astral_roster_on_snapshots();
DROP FUNCTION IF EXISTS astral_roster_on_user();
DROP FUNCTION IF EXISTS astral_roster_on_memberships();
DROP FUNCTION IF EXISTS astral_roster_sync(bigint[]);
"""
