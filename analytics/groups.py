"""Group Dashboard data: weekly overview, cross-group comparison, one group's stats and
plans across the organization. Each athlete's runs count on their own local days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from django.db import connections
from django.utils import timezone

from analytics.metrics.insights import GroupFacts, write_insight
from analytics.metrics.rolling import days_between
from analytics.plans import plan_instances_data, with_plan
from analytics.rollups import months_touched, span_sums_sql
from analytics.selectors import read_alias
from astral import cache
from astral.localtime import quarter_hour
from athletes.models import PlanInstance, PlanStatus
from organizations.models import Group, Organization, Role

MATRIX_SIZE = 20


# The athletes a club-wide answer counts, as SQL: the organization's active athlete members,
# or a group's active members (the organization's from its kept roster rows,
# analytics.models.RosterRow: one table, no join of memberships with accounts).
ORG_MEMBERS_SQL = "SELECT user_id FROM analytics_rosterrow WHERE organization_id = %s AND active"
GROUP_MEMBERS_SQL = (
    "SELECT gm.user_id FROM organizations_group_members gm "
    "JOIN athletes_user u ON u.id = gm.user_id WHERE gm.group_id = %s AND u.is_active"
)
# Those of a group who are also the organization's athletes (group_stats, group_comparison).
GROUP_ATHLETES_SQL = GROUP_MEMBERS_SQL + (  # noqa: S608 - fixed text
    " AND EXISTS (SELECT 1 FROM organizations_membership m WHERE m.user_id = gm.user_id "
    "AND m.organization_id = %s AND m.role = 'athlete')"
)

# Per member, the sums of each period from the month totals (analytics/rollups.py): one row
# per member with any activity in the months the periods touch.
TOTALS_SQL = """
WITH members AS ({members}),
totals AS (
  SELECT t.user_id, {sums}
  FROM (SELECT t.user_id, {spans} FROM analytics_monthtotals t
        WHERE t.month BETWEEN %s AND %s OFFSET 0) t  -- the spans computed before the join
  JOIN members m ON m.user_id = t.user_id
  GROUP BY t.user_id
)
"""


def _totals_cte(
    members_sql: str, members_params: list[Any], periods: list[tuple[date, date]]
) -> tuple[str, list[Any]]:
    spans, span_params = span_sums_sql(periods)
    sums = ", ".join(f"sum(d{i}) AS d{i}, sum(r{i}) AS r{i}" for i in range(len(periods)))
    first_month, last_month = months_touched(periods)
    sql = TOTALS_SQL.format(members=members_sql, spans=spans, sums=sums)
    return sql, [*members_params, *span_params, first_month, last_month]


def _rollup(count: int, distance: float, activities: int, active: int) -> dict[str, Any]:
    return {
        "athlete_count": count,
        "total_distance": round(distance, 1),
        "total_activities": activities,
        "active_athletes": active,
        "engagement_rate": round(active / count, 3) if count else 0.0,
        "avg_distance_per_athlete": round(distance / count, 1) if count else 0.0,
    }


OVERVIEW_SQL = """
SELECT (SELECT count(*) FROM members),
       COALESCE(sum(d0), 0), COALESCE(sum(r0), 0)::int, count(*) FILTER (WHERE r0 > 0),
       COALESCE(sum(d1), 0), COALESCE(sum(r1), 0)::int, count(*) FILTER (WHERE r1 > 0),
       (SELECT COALESCE(json_agg(json_build_object('id', x.user_id, 'public_id', x.public_id,
                                                  'name', x.name, 'distance', x.distance)
                                ORDER BY x.distance DESC, x.name), '[]')::text
        FROM (
          SELECT x.user_id, u.public_id, x.distance,
                 COALESCE(NULLIF(u.display_name, ''), u.username) COLLATE "C" AS name
          FROM (
            -- Those who ran at least as far as the matrix's last place (names only for them)…
            SELECT t.user_id, t.d0 AS distance FROM totals t
            WHERE t.r0 > 0 AND t.d0 >= COALESCE((
              SELECT min(c.d0) FROM (
                SELECT d0 FROM totals WHERE r0 > 0 ORDER BY d0 DESC LIMIT %s) c
              HAVING count(*) = %s), '-Infinity')
            UNION ALL
            -- …and, while fewer ran than it has places, those who did not, by name.
            SELECT m.user_id, 0 FROM members m
            WHERE (SELECT count(*) FROM totals WHERE r0 > 0) < %s
              AND NOT EXISTS (SELECT 1 FROM totals t WHERE t.user_id = m.user_id AND t.r0 > 0)
          ) x JOIN athletes_user u ON u.id = x.user_id
          ORDER BY x.distance DESC, name LIMIT %s
        ) x),
       (SELECT count(*) FROM analytics_athletesnapshot s JOIN members m USING (user_id)
        WHERE s.attention_warnings > 0),
       (SELECT COALESCE(array_agg(y.name), '{}') FROM (
          SELECT COALESCE(NULLIF(u.display_name, ''), u.username) AS name
          FROM analytics_athletesnapshot s JOIN members m USING (user_id)
          JOIN athletes_user u ON u.id = s.user_id
          WHERE s.attention_warnings > 0
          ORDER BY s.attention_warnings DESC, u.display_name LIMIT %s) y)
FROM totals
"""

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
    Sums come from the month totals, in two statements whatever the club's size."""
    members = (GROUP_MEMBERS_SQL, [group.pk]) if group else (ORG_MEMBERS_SQL, [organization.pk])
    last_week = week_start - timedelta(days=7)
    week_end = week_start + timedelta(days=6)
    in_progress = week_start <= today <= week_end
    compared_through = (today if in_progress else week_end) - timedelta(days=7)
    periods = [(week_start, week_end), (last_week, compared_through)]
    totals_sql, params = _totals_cte(*members, periods)
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(totals_sql + OVERVIEW_SQL, [*params, *[MATRIX_SIZE] * 4, NAMED_IN_INSIGHT])
        row = cursor.fetchone()
        count, *sums, top_json, attention_count, attention_names = row
        top = orjson.loads(top_json)
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
            needs_attention=attention_names,
            needs_attention_count=attention_count,
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


# Per group of the organization (and for its athletes in no group): its athletes, their
# distance and activities over the period and how many were active.
COMPARISON_SQL = """
, grouped AS (
  SELECT gm.group_id, gm.user_id FROM organizations_group_members gm
  JOIN organizations_group g ON g.id = gm.group_id AND g.organization_id = %s
  JOIN members m ON m.user_id = gm.user_id
)
SELECT x.group_id, count(*), COALESCE(sum(t.d0), 0), COALESCE(sum(t.r0), 0)::int,
       count(*) FILTER (WHERE t.r0 > 0)
FROM (
  SELECT group_id, user_id FROM grouped
  UNION ALL
  SELECT NULL, m.user_id FROM members m
  WHERE NOT EXISTS (SELECT 1 FROM grouped WHERE grouped.user_id = m.user_id)
) x LEFT JOIN totals t ON t.user_id = x.user_id
GROUP BY x.group_id
"""


def group_comparison(organization: Organization, *, first: date, last: date) -> dict[str, Any]:
    groups = list(organization.groups.order_by("name").values_list("pk", "public_id", "name"))
    totals_sql, params = _totals_cte(ORG_MEMBERS_SQL, [organization.pk], [(first, last)])
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(totals_sql + COMPARISON_SQL, [*params, organization.pk])
        by_group = {group_id: _rollup(*values) for group_id, *values in cursor.fetchall()}
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
        cache.make_key("plans_overview", organization.pk, slot.strftime("%Y%m%d%H%M")),
        15 * 60,
        [cache.org(organization.pk)],
        lambda: plans_overview(organization),
    )


def plans_overview(organization: Organization) -> dict[str, Any]:
    instances = list(
        with_plan(
            PlanInstance.objects.filter(
                status=PlanStatus.ACTIVE,
                plan__organization=organization,
                user__memberships__organization=organization,
                user__memberships__role=Role.ATHLETE,
            )
        ).order_by("user__display_name", "-start_date")
    )
    rows = plan_instances_data(instances)
    names = {i.public_id: i.user.name for i in instances}
    for row in rows:
        row["display_name"] = names[row["plan_instance_id"]]
        row["progress"] = round(row["current_week"] / row["total_weeks"], 3)
    # Who is in which group, as plain ids in one query (no user objects for a whole club).
    group_names = dict(organization.groups.order_by("name").values_list("public_id", "name"))
    memberships: dict[str, list[str]] = {group_id: [] for group_id in group_names}
    for group_id, user_id in Group.members.through.objects.filter(
        group__organization=organization
    ).values_list("group__public_id", "user__public_id"):
        memberships[group_id].append(user_id)
    by_group = []
    for group_id, member_ids in memberships.items():
        members = set(member_ids)
        group_rows = [r for r in rows if r["user_id"] in members]
        by_group.append(_plan_rollup(group_rows, group_id=group_id, name=group_names[group_id]))
    grouped = {uid for ids in memberships.values() for uid in ids}
    by_group.append(
        _plan_rollup(
            [r for r in rows if r["user_id"] not in grouped], group_id=None, name="No group"
        )
    )
    return {
        "org_id": organization.public_id,
        "active_plans": len(rows),
        "by_group": by_group,
        "athletes": rows,
    }


def _plan_rollup(rows: list[dict[str, Any]], *, group_id: str | None, name: str) -> dict[str, Any]:
    compliances = [r["compliance"] for r in rows if r["compliance"] is not None]
    return {
        "group_id": group_id,
        "name": name,
        "active_plans": len(rows),
        "avg_progress": round(sum(r["progress"] for r in rows) / len(rows), 3) if rows else None,
        "avg_compliance": round(sum(compliances) / len(compliances), 3) if compliances else None,
        "plans": sorted({r["name"] for r in rows}),
    }
