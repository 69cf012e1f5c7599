"""Club totals, kept by PostgreSQL in the transaction of each write (issue 18).

A club is an organization's active athletes, a group's, or an organization's athletes in
none of its groups (analytics.models.Club). For each club and local day PostgreSQL keeps its
athletes' distance and activities, and how many athletes were active, in a form that adds up
over a span of days (analytics.models.ClubDay): an athlete is active in a span [a, b] exactly
once, on their first run-day d in it, which is the run-day whose previous one lies before a,
i.e. whose gap (days since the previous run-day) is at least d - a + 1. `ClubDay.active[k]`
counts the club's athletes who ran that day with a gap of at least k, so a span of up to
`GAP_LIMIT` days costs one row per day, whatever the club's size.

Upkeep, all in SQL (the functions and triggers in `analytics/sql/club_totals/`):
- `astral_days_refresh(users, days)` recomputes the athletes' rows of those local days
  (analytics.models.AthleteDay) and the gap of the next run-day, and adds the difference to
  their weeks and to every club they count in (statement triggers on the activities; a
  change of time zone refreshes all of the athlete's days);
- `astral_clubs_sync(users)` recomputes which clubs the athletes count in and adds or takes
  away their whole history where that changed (triggers on memberships, group members and
  accounts).

`tests/integration/analytics/test_club_totals.py` compares every row, and the answers read
from them, with a recomputation from the activities and memberships after random changes.
"""

from __future__ import annotations

from django.db import connection

GAP_LIMIT = 401  # the longest span counted: API.md's custom periods are at most 400 days apart

# Club days from (club_id, day, gap, distance, runs, count) rows, the rows grouped by gap
# first so that each club day's counts are built from a handful of entries.
CLUB_DAY_ROWS_SQL = """
SELECT club_id, day, sum(distance), sum(runs)::int,
       astral_gap_vector(array_agg(gap::int), array_agg(n::int))
FROM (SELECT club_id, day, gap, sum(distance) AS distance, sum(runs) AS runs,
             sum(n) AS n FROM ({changes}) AS c(club_id, day, gap, distance, runs, n)
      GROUP BY 1, 2, 3) g
GROUP BY 1, 2
"""

# Set-based builds from the activities (`{where}` narrows to some athletes): the migration's
# backfill, the benchmark's bulk load (its triggers off) and the tests' reference.
BUILD_DAYS_SQL = """
INSERT INTO analytics_athleteday (user_id, day, distance, runs, gap)
SELECT user_id, day, distance, runs,
       LEAST(COALESCE(day - lag(day) OVER (PARTITION BY user_id ORDER BY day), 401), 401)
FROM (
  SELECT x.user_id,
         (x.start_time AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date AS day,
         sum(x.distance) AS distance, count(*)::int AS runs
  FROM athletes_activity x JOIN athletes_user u ON u.id = x.user_id
  {where}
  GROUP BY 1, 2
) d
"""
BUILD_WEEKS_SQL = """
INSERT INTO analytics_athleteweek (user_id, week, distance, runs)
SELECT user_id, day - (extract(isodow FROM day)::int - 1), sum(distance), sum(runs)
FROM analytics_athleteday {where} GROUP BY 1, 2
"""
# Every club's days from its members' days (the club days empty; `{where}` narrows the
# clubs, e.g. by kind for parallel builds).
BUILD_CLUB_DAYS_SQL = (
    "INSERT INTO analytics_clubday (club_id, day, distance, runs, active) {rows}".replace(
        "{rows}",
        CLUB_DAY_ROWS_SQL.replace(
            "{changes}",
            "SELECT m.club_id, a.day, a.gap, a.distance, a.runs, 1 FROM analytics_clubmember m "
            "JOIN analytics_club c ON c.id = m.club_id "
            "JOIN analytics_athleteday a ON a.user_id = m.user_id {where}",
        ),
    )
)
BACKFILL_SQL = (
    "{days}; {weeks}; SELECT astral_clubs_sync(ARRAY(SELECT id FROM athletes_user));".replace(
        "{days}", BUILD_DAYS_SQL.replace("{where}", "")
    ).replace("{weeks}", BUILD_WEEKS_SQL.replace("{where}", ""))
)


def rebuild_club_totals() -> None:
    """Recomputes every athlete's days and weeks and every club's days from the activities
    and memberships (what the triggers keep, built from nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE analytics_athleteday, analytics_athleteweek, analytics_clubday, "
            "analytics_clubmember, analytics_club"
        )
        cursor.execute(BACKFILL_SQL)
