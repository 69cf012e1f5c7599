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
