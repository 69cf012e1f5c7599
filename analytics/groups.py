"""Group Dashboard data: weekly overview, cross-group comparison, one group's stats and
plans across the organization. Each athlete's runs count on their own local days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from django.core.paginator import Paginator
from django.db import connections
from django.utils import timezone

from analytics import standings
from analytics.club_totals import GAP_LIMIT
from analytics.rollups import months_touched, span_sums_sql
from analytics.selectors import read_alias
from astral import cache
from astral.api.pagination import page_number
from astral.db import generic_plans
from astral.localtime import quarter_hour
from metrics.insights import GroupFacts, write_insight
from metrics.rolling import days_between
from organizations.models import Group, Organization

MATRIX_SIZE = 20


# A group's athletes, as SQL: its members who are active athletes of its organization (the
# same athletes as its kept club rows, analytics/club_totals.py).
GROUP_ATHLETES_SQL = """
SELECT gm.user_id FROM organizations_group_members gm
JOIN athletes_user u ON u.id = gm.user_id
WHERE gm.group_id = %s AND u.is_active
  AND EXISTS (SELECT 1 FROM organizations_membership m WHERE m.user_id = gm.user_id
              AND m.organization_id = %s AND m.role = 'athlete')
"""

# Per member, the sums of each period from the month totals (analytics/rollups.py): one row
# per member with any activity in the months the periods touch, each (month, member) looked
# up in the index that holds the month's totals (reading every athlete of the service's
# months and filtering after was 22-36 ms for a club of 20 beside 2,000 clubs; issue 36).
TOTALS_SQL = """
WITH members AS ({members}),
totals AS (
  SELECT t.user_id, {sums}
  FROM (SELECT t.user_id, {spans}
        FROM members m JOIN analytics_monthtotals t ON t.user_id = m.user_id
        WHERE t.month = ANY(%s::date[])) t
  GROUP BY t.user_id
)
"""


def _totals_cte(
    members_sql: str, members_params: list[Any], periods: list[tuple[date, date]]
) -> tuple[str, list[Any]]:
    spans, span_params = span_sums_sql(periods)
    sums = ", ".join(f"sum(d{i}) AS d{i}, sum(r{i}) AS r{i}" for i in range(len(periods)))
    first_month, last_month = months_touched(periods)
    months = []
    while first_month <= last_month:
        months.append(first_month)
        first_month = (first_month + timedelta(days=32)).replace(day=1)
    sql = TOTALS_SQL.format(members=members_sql, spans=spans, sums=sums)
    return sql, [*members_params, *span_params, months]


def _rollup(count: int, distance: float, activities: int, active: int) -> dict[str, Any]:
    return {
        "athlete_count": count,
        "total_distance": round(distance, 1),
        "total_activities": activities,
        "active_athletes": active,
        "engagement_rate": round(active / count, 3) if count else 0.0,
        "avg_distance_per_athlete": round(distance / count, 1) if count else 0.0,
    }


# The club, and whether it is big enough to read its first twenty by walking an index of
# every athlete, each one's membership probed (about size x service / club entries), rather
# than reading all its own entries. A statement that finds the club by kind and ref is
# planned for an average club, so those reading a club's first twenty run the way this
# says, and only that one (a one-time filter).
CLUB_WALK = """
club AS (SELECT id, athletes FROM analytics_club WHERE kind = %(kind)s AND ref = %(ref)s),
walk AS (
  SELECT (SELECT athletes FROM club)::float8 ^ 2
         >= %(size)s * GREATEST((SELECT reltuples FROM pg_class
                                 WHERE oid = 'athletes_user'::regclass), 1) AS walk
)"""

# A club's week from its kept days (analytics/club_totals.py): its athlete count, and for
# each of two spans the distance, activities and athletes active. An athlete is active once
# in a span [a, b], on the run-day whose gap reaches back before a: `active[day - a + 1]`.
_OVERVIEW = """
spans AS (
  SELECT COALESCE(sum(d.distance) FILTER (WHERE d.day BETWEEN %(a0)s AND %(b0)s), 0) AS d0,
         COALESCE(sum(d.runs) FILTER (WHERE d.day BETWEEN %(a0)s AND %(b0)s), 0)::int AS r0,
         COALESCE(sum(d.active[d.day - %(a0)s + 1])
                  FILTER (WHERE d.day BETWEEN %(a0)s AND %(b0)s), 0)::int AS n0,
         COALESCE(sum(d.distance) FILTER (WHERE d.day BETWEEN %(a1)s AND %(b1)s), 0) AS d1,
         COALESCE(sum(d.runs) FILTER (WHERE d.day BETWEEN %(a1)s AND %(b1)s), 0)::int AS r1,
         COALESCE(sum(d.active[d.day - %(a1)s + 1])
                  FILTER (WHERE d.day BETWEEN %(a1)s AND %(b1)s), 0)::int AS n1
  FROM analytics_clubday d
  WHERE d.club_id = (SELECT id FROM club) AND d.day BETWEEN %(a1)s AND %(b0)s
),
-- The club's athletes who ran furthest this week (those tied with the matrix's last place
-- too: the tie is then broken by name), read the cheaper of two ways: a big club walks the
-- week's distance index from the top, each athlete's membership probed; a small one reads
-- its members' weeks. Planned for an average club, beside 2,000 clubs of 20 it read all
-- 10,000 members' weeks of the big club (46 ms, against 3 ms alone; issue 36's bench).
runners AS (
  (SELECT w.user_id, w.distance FROM analytics_athleteweek w
   WHERE (SELECT walk FROM walk) AND w.week = %(a0)s
     AND (SELECT true FROM analytics_clubmember m
          WHERE m.user_id = w.user_id AND m.club_id = (SELECT id FROM club))
   ORDER BY w.distance DESC FETCH FIRST %(size)s ROWS WITH TIES)
  UNION ALL
  (SELECT m.user_id, w.distance FROM analytics_clubmember m
   CROSS JOIN LATERAL (SELECT w.distance FROM analytics_athleteweek w
                       WHERE w.user_id = m.user_id AND w.week = %(a0)s
                       OFFSET 0) w  -- each member's week by its key, whatever the estimates
   WHERE NOT (SELECT walk FROM walk) AND m.club_id = (SELECT id FROM club)
   ORDER BY w.distance DESC FETCH FIRST %(size)s ROWS WITH TIES)
),
top AS (
  SELECT x.user_id, u.public_id, x.distance,
         COALESCE(NULLIF(u.display_name, ''), u.username) COLLATE "C" AS name
  FROM runners x JOIN athletes_user u ON u.id = x.user_id
  ORDER BY x.distance DESC, name LIMIT %(size)s
)
SELECT COALESCE((SELECT athletes FROM club), 0), s.d0, s.r0, s.n0, s.d1, s.r1, s.n1,
       (SELECT COALESCE(json_agg(json_build_object('id', t.user_id, 'public_id', t.public_id,
                                                  'name', t.name, 'distance', t.distance)
                                ORDER BY t.distance DESC, t.name), '[]')::text FROM top t)
FROM spans s
"""
OVERVIEW_SQL = f"WITH {CLUB_WALK},{_OVERVIEW}"

# While fewer ran than the matrix has places (a Monday morning), those of the club who did
# not, by name, read the cheaper of two ways: a big club walks every athlete by name (the
# index user_by_name), each one's membership probed; a small one reads and sorts its
# members. Planned for an average club, the big club's 10,000 members were all read and
# sorted for a page of twenty.
_RESTING = """
(SELECT u.id, u.public_id, 0::float8, COALESCE(NULLIF(u.display_name, ''), u.username) COLLATE "C"
 FROM athletes_user u
 WHERE (SELECT walk FROM walk)
   AND (SELECT true FROM analytics_clubmember m
        WHERE m.user_id = u.id AND m.club_id = (SELECT id FROM club))
   AND NOT EXISTS (SELECT 1 FROM analytics_athleteweek w
                   WHERE w.user_id = u.id AND w.week = %(a0)s)
 ORDER BY 4 LIMIT %(size)s)
UNION ALL
(SELECT m.user_id, u.public_id, 0::float8, COALESCE(NULLIF(u.display_name, ''), u.username) COLLATE "C"
 FROM analytics_clubmember m JOIN athletes_user u ON u.id = m.user_id
 WHERE NOT (SELECT walk FROM walk) AND m.club_id = (SELECT id FROM club)
   AND NOT EXISTS (SELECT 1 FROM analytics_athleteweek w
                   WHERE w.user_id = m.user_id AND w.week = %(a0)s)
 ORDER BY 4 LIMIT %(size)s)
"""
RESTING_SQL = f"WITH {CLUB_WALK}{_RESTING}"

# Who needs attention (their snapshot's warnings), most warnings first as on the roster:
# how many, and the first names. The organization's from the roster rows' index; a group's
# from its members.
ATTENTION_SQL = """
SELECT (SELECT count(*) FROM analytics_rosterrow r
        WHERE r.organization_id = %(org)s AND r.active AND r.attention_warnings > 0 {members}),
       ARRAY(SELECT COALESCE(NULLIF(r.name, ''), r.username) FROM analytics_rosterrow r
             WHERE r.organization_id = %(org)s AND r.active AND r.attention_warnings > 0 {members}
             ORDER BY r.attention_warnings DESC NULLS LAST, r.attention_infos DESC NULLS LAST,
                      r.attention_since NULLS LAST, r.name, r.membership_id
             LIMIT %(named)s)
"""
IN_GROUP = (
    "AND EXISTS (SELECT 1 FROM organizations_group_members gm "
    "WHERE gm.group_id = %(group)s AND gm.user_id = r.user_id)"
)

# The matrix's days for its athletes: each day is the running total there minus the day before.
MATRIX_DAYS_SQL = """
SELECT t.user_id, day::date,
       t.distance[extract(day FROM day)::int] - COALESCE(t.distance[extract(day FROM day)::int - 1], 0),
       t.runs[extract(day FROM day)::int] - COALESCE(t.runs[extract(day FROM day)::int - 1], 0)
FROM generate_series(%s::date, %s::date, interval '1 day') AS day
JOIN analytics_monthtotals t ON t.month = date_trunc('month', day)::date
WHERE t.user_id = ANY(%s)
"""
NAMED_IN_INSIGHT = 5


def group_overview(
    organization: Organization, *, week_start: date, group: Group | None, units: str, today: date
) -> dict[str, Any]:
    """A week of the club or a group. While the week runs (it holds the viewer's `today`),
    it is compared with the same days of last week, never with a whole week (METRICS.md §8).
    Its sums, counts and top twenty come from the club's kept days and its athletes' weeks
    (analytics/club_totals.py): a few rows per day, whatever the club's size."""
    last_week = week_start - timedelta(days=7)
    week_end = week_start + timedelta(days=6)
    in_progress = week_start <= today <= week_end
    compared_through = (today if in_progress else week_end) - timedelta(days=7)
    params = {
        "kind": "group" if group else "org",
        "ref": group.pk if group else organization.pk,
        "a0": week_start,
        "b0": week_end,
        "a1": last_week,
        "b1": compared_through,
        "size": MATRIX_SIZE,
        "org": organization.pk,
        "group": group.pk if group else None,
        "named": NAMED_IN_INSIGHT,
    }
    # Generic plans: each statement reads a club's rows by their keys whatever its size
    # (a custom plan was the same plan, made again on every call beside many clubs).
    with generic_plans(read_alias()) as cursor:
        cursor.execute(OVERVIEW_SQL, params)
        count, *sums, top_json = cursor.fetchone()
        cursor.execute(ATTENTION_SQL.replace("{members}", IN_GROUP if group else ""), params)
        attention_count, attention_names = cursor.fetchone()
        top = orjson.loads(top_json)
        if len(top) < MATRIX_SIZE:
            cursor.execute(RESTING_SQL, {**params, "size": MATRIX_SIZE - len(top)})
            top += [
                {"id": pk, "public_id": public_id, "name": name, "distance": distance}
                for pk, public_id, distance, name in cursor.fetchall()
            ]
        days: dict[int, dict[date, tuple[float, int]]] = {t["id"]: {} for t in top}
        if top:
            cursor.execute(MATRIX_DAYS_SQL, [week_start, week_end, list(days)])
            for user_id, day, distance, runs in cursor.fetchall():
                days[user_id][day] = (distance, runs)
    this = _rollup(count, sums[0], sums[1], sums[2])
    previous = _rollup(count, sums[3], sums[4], sums[5])
    matrix = [
        {
            "user_id": athlete["public_id"],
            "display_name": athlete["name"],
            "total_distance": round(athlete["distance"], 1),
            "days": [
                {
                    "date": day,
                    "distance": round(days[athlete["id"]].get(day, (0.0, 0))[0], 1),
                    "runs": days[athlete["id"]].get(day, (0.0, 0))[1],
                }
                for day in days_between(week_start, week_end)
            ],
        }
        for athlete in top
    ]
    insight = write_insight(
        "group",
        GroupFacts(
            name=group.name if group else organization.name,
            distance=this["total_distance"],
            last_week_distance=previous["total_distance"],
            activities=this["total_activities"],
            active_athletes=this["active_athletes"],
            athlete_count=this["athlete_count"],
            # Flags are today's: a past week's summary does not borrow them.
            needs_attention=attention_names if in_progress else [],
            needs_attention_count=attention_count if in_progress else 0,
            in_progress=in_progress,
        ),
        units,
    )
    return {
        "org_id": organization.public_id,
        "group_id": group.public_id if group else None,
        "week_start": week_start,
        "week_end": week_end,
        "total_distance": this["total_distance"],
        "total_activities": this["total_activities"],
        "active_athletes": this["active_athletes"],
        "athlete_count": this["athlete_count"],
        "engagement_rate": this["engagement_rate"],
        "in_progress": in_progress,
        # The same days of last week while this one runs; the whole week before otherwise.
        "last_week": {
            "from": last_week,
            "to": compared_through,
            **{k: previous[k] for k in ("total_distance", "total_activities", "engagement_rate")},
        },
        "insight": insight,
        "member_matrix": matrix,
    }


# Per group of the organization, and for its athletes in no group: their count, distance,
# activities and how many were active over the period, from the clubs' kept days. The clubs
# are found by kind and ref, and each one's days read by its key: joined on the days' date
# range instead, PostgreSQL read every club of the service's days for the period (130 ms
# beside 2,000 clubs of 20, against 2 ms alone; issue 36).
COMPARISON_SQL = """
SELECT c.kind, c.ref, c.athletes, COALESCE(d.distance, 0), COALESCE(d.runs, 0)::int,
       COALESCE(d.active, 0)::int
FROM (SELECT 'group' AS kind, g.id AS ref FROM organizations_group g
      WHERE g.organization_id = %(org)s
      UNION ALL SELECT 'none', %(org)s) k
JOIN analytics_club c ON c.kind = k.kind AND c.ref = k.ref
CROSS JOIN LATERAL (
  SELECT sum(d.distance) AS distance, sum(d.runs) AS runs,
         sum(d.active[d.day - %(first)s + 1]) AS active
  FROM analytics_clubday d
  WHERE d.club_id = c.id AND d.day BETWEEN %(first)s AND %(last)s
) d
"""


def group_comparison(organization: Organization, *, first: date, last: date) -> dict[str, Any]:
    if (last - first).days >= GAP_LIMIT:
        raise ValueError(f"a comparison spans at most {GAP_LIMIT} days")
    groups = list(organization.groups.order_by("name").values_list("pk", "public_id", "name"))
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(COMPARISON_SQL, {"first": first, "last": last, "org": organization.pk})
        by_group = {
            (None if kind == "none" else ref): _rollup(*values)
            for kind, ref, *values in cursor.fetchall()
        }
    empty = _rollup(0, 0.0, 0, 0)
    return {
        "org_id": organization.public_id,
        "from": first,
        "to": last,
        "groups": [
            {"group_id": public_id, "name": name, **by_group.get(pk, empty)}
            for pk, public_id, name in groups
        ],
        "unassigned": by_group.get(None, empty),
    }


GROUP_STATS_SQL = """
SELECT u.public_id, COALESCE(NULLIF(u.display_name, ''), u.username),
       COALESCE(t.d0, 0), COALESCE(t.r0, 0)::int
FROM members m JOIN athletes_user u ON u.id = m.user_id
LEFT JOIN totals t ON t.user_id = m.user_id
"""


def group_stats(group: Group, *, first: date, last: date) -> dict[str, Any]:
    totals_sql, params = _totals_cte(
        GROUP_ATHLETES_SQL, [group.pk, group.organization_id], [(first, last)]
    )
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(totals_sql + GROUP_STATS_SQL, params)
        rows = cursor.fetchall()
    member_rows = sorted(
        (
            {
                "user_id": public_id,
                "display_name": name,
                "total_distance": round(distance, 1),
                "total_activities": runs,
                "active": runs > 0,
            }
            for public_id, name, distance, runs in rows
        ),
        key=lambda row: (-row["total_distance"], row["display_name"]),
    )
    distance = sum(distance for _, _, distance, _ in rows)
    activities = sum(runs for *_, runs in rows)
    active = sum(1 for *_, runs in rows if runs)
    return {
        "group_id": group.public_id,
        "name": group.name,
        "from": first,
        "to": last,
        **_rollup(len(rows), distance, activities, active),
        "members": member_rows,
    }


def plans_overview_cached(organization: Organization) -> dict[str, Any]:
    """`plans_overview`, kept until anything in the organization changes (its token) or the
    next quarter hour (compliance runs to each athlete's today)."""
    slot = quarter_hour(timezone.now())
    return cache.cached_value(
        cache.plans_overview_key(organization.pk, slot),
        cache.PLANS_TTL,
        [cache.org(organization.pk)],
        lambda: plans_overview(organization),
    )


def plans_overview(organization: Organization) -> dict[str, Any]:
    """Every active plan of the organization's athletes (by name), rolled up per group, from
    the kept standings (analytics.standings)."""
    overview = standings.plans_overview(organization, order="name")
    return {
        "org_id": organization.public_id,
        "active_plans": overview.total,
        "by_group": overview.by_group,
        "athletes": overview.rows,
    }


def plans_page(
    organization: Organization, *, sort: str, page: Any, per_page: int = 50
) -> dict[str, Any]:
    """The Plans tab: the group rollups and one page of the athletes' plans in `sort` order
    (a key of `standings.ORDERINGS`). An unknown or past-the-end page shows the last."""
    number = page_number(page)
    overview = standings.plans_overview(
        organization, order=sort, offset=(number - 1) * per_page, limit=per_page
    )
    paginator = Paginator(range(overview.total), per_page)
    shown = paginator.get_page(number)
    if shown.number != number:  # past the end
        overview = standings.plans_overview(
            organization, order=sort, offset=(shown.number - 1) * per_page, limit=per_page
        )
    shown.object_list = overview.rows
    return {"active_plans": overview.total, "by_group": overview.by_group, "athletes": shown}
