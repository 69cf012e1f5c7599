"""How each active plan instance stands, kept like the athletes' snapshots.

Computing a plan's compliance needs the athlete's runs on every day since its start: for a
club of 10,000 athletes with 8,000 active plans, 9.3 s of a request (measured on the bench
club). So each instance's standing (compliance, recent plan weeks, distance planned to date)
is kept in `analytics_planstanding` with what it was computed from: the athlete's
`data_version` and local day, the plan's `revision` (PostgreSQL counts it up with every
change to the plan's workouts), its length, and the instance's plan and start. The snapshot
refresh recomputes an athlete's standings with their snapshot (after each write, and in the
hourly refresh when local days turn over or a plan changed), and a read recomputes the stale
ones first.

What the Plans tab orders, counts and checks is kept by PostgreSQL in `analytics_planrow`
(the roster's design, analytics/rollups.py): one row per instance with whether it is listed
(active, of an athlete of the plan's organization), the athlete's name, compliance and
progress, and the span in which its standing is fresh (empty once any source changed),
made again by trigger in the transaction of every change to an instance, a standing, a
plan, an athlete or a membership. The tab's stale set, count and page are index ranges;
the group rollups one hashed aggregate of the listed rows.

Every input of a standing is read before what is computed from it (the athlete's version and
the plan's revision with the instance, then the workouts and the runs), so a write that
lands during a refresh leaves the standing stale, never wrong and fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from analytics.models import PlanStanding
from analytics.plans import plan_instances_data, with_plan
from astral.localtime import local_today
from athletes.models import PlanInstance, PlanStatus
from organizations.models import Organization

BATCH = 200

# What a standing was computed from still holds (aliases: s standing, pi instance, pl plan,
# u athlete); its local day is checked against the clock by the reader.
COMPUTED_FROM_NOW_SQL = """s.source_version = u.data_version AND s.source_plan = pi.plan_id
   AND s.source_revision = pl.revision AND s.source_weeks = pl.total_weeks
   AND s.source_start = pi.start_date"""

# The listed plan rows of an organization whose standing is missing or stale at `now`: two
# index ranges.
STALE_ROWS_SQL = """
SELECT instance_id FROM analytics_planrow
 WHERE organization_id = %(org)s AND listed AND (fresh_until <= %(now)s OR fresh_from > %(now)s)
 ORDER BY instance_id
"""

# These athletes' active plans whose standing is missing or stale, checked against the
# sources themselves: the refresh each write enqueues runs this, so a kept span that a
# concurrent write's trigger lost to a refresh committing after it is put right within
# seconds (the triggers cannot see a write that has not committed yet).
STALE_OF_ATHLETES_SQL = """
SELECT pi.id
  FROM athletes_planinstance pi
  JOIN athletes_plan pl ON pl.id = pi.plan_id
  JOIN athletes_user u ON u.id = pi.user_id
  LEFT JOIN analytics_planstanding s ON s.instance_id = pi.id
 WHERE pi.status = 'active' AND pi.user_id = ANY(%(users)s)
   AND (s.instance_id IS NULL OR NOT ({computed_from_now}
        AND s.as_of = (%(now)s::timestamptz AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date))
 ORDER BY pi.id
""".replace("{computed_from_now}", COMPUTED_FROM_NOW_SQL)


def stale_instances(
    *, organization_id: int | None = None, user_ids: Sequence[int] | None = None
) -> list[int]:
    """The listed plans of an organization whose kept row says their standing is missing or
    stale, or these athletes' active plans whose standing is, checked at the sources."""
    if organization_id is not None:
        sql, params = STALE_ROWS_SQL, {"org": organization_id}
    else:
        sql, params = STALE_OF_ATHLETES_SQL, {"users": list(user_ids or [])}
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "now": timezone.now()})
        return [row[0] for row in cursor.fetchall()]


# A batch's standings as one JSON document of rows (as analytics.snapshots.STORE_SQL).
STORE_SQL = """
INSERT INTO analytics_planstanding AS t (
    instance_id, compliance, due_workouts, score_sum, current_week, recent_weeks,
    planned_distance_to_date, source_version, as_of, source_plan, source_revision,
    source_weeks, source_start)
SELECT r.* FROM jsonb_to_recordset(%s::jsonb) AS r(
    instance_id bigint, compliance float8, due_workouts int, score_sum float8,
    current_week smallint, recent_weeks jsonb, planned_distance_to_date float8,
    source_version bigint, as_of date, source_plan bigint, source_revision int,
    source_weeks smallint, source_start date)
 ORDER BY r.instance_id  -- rows locked in one order by every writer
ON CONFLICT (instance_id) DO UPDATE SET
    compliance = EXCLUDED.compliance, due_workouts = EXCLUDED.due_workouts,
    score_sum = EXCLUDED.score_sum, current_week = EXCLUDED.current_week,
    recent_weeks = EXCLUDED.recent_weeks,
    planned_distance_to_date = EXCLUDED.planned_distance_to_date,
    source_version = EXCLUDED.source_version, as_of = EXCLUDED.as_of,
    source_plan = EXCLUDED.source_plan, source_revision = EXCLUDED.source_revision,
    source_weeks = EXCLUDED.source_weeks, source_start = EXCLUDED.source_start
"""


def standings_refresh(instance_ids: Iterable[int]) -> int:
    """Computes and keeps the standings of these plan instances, in batches of a constant
    number of queries. Returns how many were computed."""
    ids = sorted(set(instance_ids))
    computed = 0
    for start in range(0, len(ids), BATCH):
        instances = list(
            with_plan(
                PlanInstance.objects.filter(pk__in=ids[start : start + BATCH]),
                related=("plan", "user"),
            )
        )
        # The day first: a midnight passing while computing leaves the standing stale.
        days = {i.pk: local_today(i.user.tz) for i in instances}
        rows = [
            {
                "instance_id": instance.pk,
                "compliance": row["compliance"],
                "due_workouts": row["due_workouts"],
                "score_sum": row["score_sum"],
                "current_week": row["current_week"],
                "recent_weeks": row["recent_weeks"],
                "planned_distance_to_date": row["planned_distance_to_date"],
                "source_version": instance.user.data_version,
                "as_of": days[instance.pk].isoformat(),
                "source_plan": instance.plan_id,
                "source_revision": instance.plan.revision,
                "source_weeks": instance.plan.total_weeks,
                "source_start": instance.start_date.isoformat(),
            }
            for instance, row in zip(
                instances, plan_instances_data(instances, with_sums=True), strict=True
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(STORE_SQL, [orjson.dumps(rows).decode()])
        computed += len(rows)
    return computed


def standings_refresh_for(user_ids: Sequence[int], *, force: bool = False) -> int:
    """The standings of these athletes' active plans that are stale (all with `force`)."""
    if force:
        ids = list(
            PlanInstance.objects.filter(
                user_id__in=list(user_ids), status=PlanStatus.ACTIVE
            ).values_list("pk", flat=True)
        )
    else:
        ids = stale_instances(user_ids=user_ids)
    return standings_refresh(ids)


# The Plans overview of an organization from its kept plan rows, in one statement: how many
# plans are listed, each group's rollup (and that of the athletes in no group: `ord` 1) and
# the ids of one page in the requested order, read from an index. Parameters by name: org,
# limit (NULL: all), offset.
OVERVIEW_SQL = """
WITH listed AS (
  SELECT user_id, plan_id, progress, due_workouts, score_sum FROM analytics_planrow
   WHERE organization_id = %(org)s AND listed
),
groups AS (SELECT id, public_id, name FROM organizations_group WHERE organization_id = %(org)s),
-- Per group (NULL: in none of the organization's groups) and plan, hashed, not sorted.
per AS (
  -- Compliance over a group is the mean over all its workouts due (METRICS.md §7): the
  -- workouts due (`rated`) and the sum of their scores (`compliance`), divided at the end.
  SELECT gm.group_id, r.plan_id, count(*) AS plans, sum(r.progress) AS progress,
         sum(r.due_workouts) AS rated, sum(r.score_sum) AS compliance
    FROM listed r JOIN organizations_group_members gm ON gm.user_id = r.user_id
   WHERE gm.group_id IN (SELECT id FROM groups)
   GROUP BY 1, 2
  UNION ALL
  SELECT NULL, r.plan_id, count(*), sum(r.progress), sum(r.due_workouts), sum(r.score_sum)
    FROM listed r
   WHERE NOT EXISTS (SELECT 1 FROM organizations_group_members gm
                      WHERE gm.user_id = r.user_id AND gm.group_id IN (SELECT id FROM groups))
   GROUP BY 2
),
rollups AS (
  SELECT g.public_id AS group_id, g.name, COALESCE(sum(per.plans), 0) AS plans,
         sum(per.progress) AS progress, COALESCE(sum(per.rated), 0) AS rated,
         sum(per.compliance) AS compliance, array_remove(array_agg(pl.name), NULL) AS names,
         0 AS ord
    FROM groups g
    LEFT JOIN per ON per.group_id = g.id
    LEFT JOIN athletes_plan pl ON pl.id = per.plan_id
   GROUP BY g.id, g.public_id, g.name
  UNION ALL
  SELECT NULL, NULL, COALESCE(sum(per.plans), 0), sum(per.progress), COALESCE(sum(per.rated), 0),
         sum(per.compliance), array_remove(array_agg(pl.name), NULL), 1
    FROM per JOIN athletes_plan pl ON pl.id = per.plan_id
   WHERE per.group_id IS NULL
)
SELECT (SELECT count(*) FROM analytics_planrow WHERE organization_id = %(org)s AND listed),
       (SELECT json_agg(json_build_array(group_id, name, plans, progress, rated, compliance,
                                         names, ord) ORDER BY ord, name, group_id)
          FROM rollups),
       ARRAY(SELECT instance_id FROM analytics_planrow
              WHERE organization_id = %(org)s AND listed
              ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s)
"""

# Who is furthest behind first (nothing planned yet last), or by name; then the newest plan
# (each an index of the plan rows).
ORDERINGS = {
    "compliance": "compliance ASC NULLS LAST, name, start_date DESC, instance_id",
    "name": "name, start_date DESC, instance_id",
}


@dataclass
class Overview:
    total: int  # active plans of the organization's athletes
    by_group: list[dict[str, Any]]
    rows: list[dict[str, Any]]  # the requested page


def plans_overview(
    organization: Organization, *, order: str, offset: int = 0, limit: int | None = None
) -> Overview:
    """The organization's athletes' active plans from their kept standings (the stale ones
    recomputed first): the group rollups and `limit` rows (all: None) from `offset` in
    `order` (a key of ORDERINGS)."""
    standings_refresh(stale_instances(organization_id=organization.pk))
    with connection.cursor() as cursor:
        cursor.execute(
            OVERVIEW_SQL.replace("{order}", ORDERINGS[order]),
            {"org": organization.pk, "limit": limit, "offset": offset},
        )
        total, rollups, ids = cursor.fetchone()
    # All of them (the API): read by the organization, not as 8,000 parameters.
    chosen = (
        Q(instance__plan__organization=organization) if limit is None else Q(instance_id__in=ids)
    )
    rows = {row["id"]: with_progress(row) for row in _rows(chosen)}
    return Overview(
        total=total,
        by_group=[_rollup(*row) for row in rollups or []],  # JSON, decoded by psycopg
        rows=[rows[pk] for pk in ids if pk in rows],
    )


def _rows(chosen: Q) -> QuerySet[PlanStanding]:
    return (
        PlanStanding.objects.filter(chosen)
        .annotate(
            display_name=Coalesce(
                NullIf(F("instance__user__display_name"), Value("")),
                F("instance__user__username"),
            )
        )
        .values(
            "current_week",
            "compliance",
            "recent_weeks",
            "planned_distance_to_date",
            "display_name",
            "as_of",
            id=F("instance_id"),
            plan_instance_id=F("instance__public_id"),
            plan_id=F("instance__plan__public_id"),
            user_id=F("instance__user__public_id"),
            name=F("instance__plan__name"),
            status=F("instance__status"),
            start_date=F("instance__start_date"),
            total_weeks=F("instance__plan__total_weeks"),
        )
    )


def with_progress(row: dict[str, Any]) -> dict[str, Any]:
    """A plan not started yet has made no progress and says when it starts."""
    del row["id"]
    as_of = row.pop("as_of")
    row["started"] = row["start_date"] <= as_of
    row["progress"] = round(row["current_week"] / row["total_weeks"], 3) if row["started"] else 0.0
    return row


def _rollup(
    group_id: str | None,
    name: str | None,
    plans: int,
    progress: float | None,
    rated: int,
    compliance: float | None,
    names: list[str] | None,
    ord_: int,
) -> dict[str, Any]:
    """A group's (or, `ord_` 1, the athletes' in no group) active plans, average progress
    and compliance (None without plans, or before any planned run), the plans' names."""
    return {
        "group_id": group_id,
        "name": "No group" if ord_ else name,
        "active_plans": plans,
        "avg_progress": round(progress / plans, 3) if plans and progress is not None else None,
        "avg_compliance": round(compliance / rated, 3)
        if rated and compliance is not None
        else None,
        "plans": sorted(set(names or [])),  # a name per plan; none without plans
    }
