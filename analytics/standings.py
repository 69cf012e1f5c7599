"""How each active plan instance stands, kept like the athletes' snapshots.

Computing a plan's compliance needs the athlete's runs on every day since its start: for a
club of 10,000 athletes with 8,000 active plans, 9.3 s of a request (measured on the bench
club). So each instance's standing (compliance, recent plan weeks, distance planned to date)
is kept in `analytics_planstanding` with what it was computed from: the athlete's
`data_version` and local day, the plan's `revision` (PostgreSQL counts it up with every
change to the plan's workouts), its length, and the instance's plan and start. A standing is
fresh while all of them still hold; a read recomputes the stale ones first (one athlete's,
after their run), and the snapshot refresh recomputes them with the athlete's snapshot
(after each write and in the hourly refresh, when local days turn over). The Plans tab then
reads one page ordered in SQL and its group rollups in one `GROUP BY`.

Every input of a standing is read before what is computed from it (the athlete's version and
the plan's revision with the instance, then the workouts and the runs), so a write that
lands during a refresh leaves the standing stale, never wrong and fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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

# A kept standing still describes its instance (aliases: s standing, pi instance, pl plan,
# u athlete; the one parameter is the moment "today" is taken at).
FRESH_SQL = """s.source_version = u.data_version
   AND s.as_of = (%s::timestamptz AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date
   AND s.source_plan = pi.plan_id AND s.source_revision = pl.revision
   AND s.source_weeks = pl.total_weeks AND s.source_start = pi.start_date"""

# The instance's athlete is an athlete of the plan's organization (the plans that are read).
ATHLETE_OF_PLAN_SQL = """EXISTS (SELECT 1 FROM organizations_membership m
   WHERE m.user_id = pi.user_id AND m.organization_id = pl.organization_id
     AND m.role = 'athlete')"""

# The active plan instances (in `scope`) whose standing is missing or stale.
STALE_FROM_SQL = """
  FROM athletes_planinstance pi
  JOIN athletes_plan pl ON pl.id = pi.plan_id
  JOIN athletes_user u ON u.id = pi.user_id
  LEFT JOIN analytics_planstanding s ON s.instance_id = pi.id
 WHERE pi.status = 'active' AND {scope}
   AND (s.instance_id IS NULL OR NOT ({fresh}))""".replace("{fresh}", FRESH_SQL)


def stale_instances(
    *, organization_id: int | None = None, user_ids: Sequence[int] | None = None
) -> list[int]:
    """The active plan instances (of an organization's plans, or of these athletes) whose
    standing is missing or stale."""
    if organization_id is not None:
        scope, value = f"pl.organization_id = %s AND {ATHLETE_OF_PLAN_SQL}", organization_id
    else:
        scope, value = "pi.user_id = ANY(%s)", list(user_ids or [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pi.id {STALE_FROM_SQL.format(scope=scope)} ORDER BY pi.id",
            [value, timezone.now()],
        )
        return [row[0] for row in cursor.fetchall()]


def standings_refresh(instance_ids: Iterable[int]) -> int:
    """Computes and keeps the standings of these plan instances, in batches of a constant
    number of queries. Returns how many were computed."""
    ids = sorted(set(instance_ids))
    computed = 0
    for start in range(0, len(ids), BATCH):
        instances = list(with_plan(PlanInstance.objects.filter(pk__in=ids[start : start + BATCH])))
        # The day first: a midnight passing while computing leaves the standing stale.
        days = {i.pk: local_today(i.user.tz) for i in instances}
        rows = [
            PlanStanding(
                instance_id=instance.pk,
                compliance=row["compliance"],
                current_week=row["current_week"],
                recent_weeks=row["recent_weeks"],
                planned_distance_to_date=row["planned_distance_to_date"],
                source_version=instance.user.data_version,
                as_of=days[instance.pk],
                source_plan=instance.plan_id,
                source_revision=instance.plan.revision,
                source_weeks=instance.plan.total_weeks,
                source_start=instance.start_date,
            )
            for instance, row in zip(instances, plan_instances_data(instances), strict=True)
        ]
        PlanStanding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["instance"],
            update_fields=[
                "compliance",
                "current_week",
                "recent_weeks",
                "planned_distance_to_date",
                "source_version",
                "as_of",
                "source_plan",
                "source_revision",
                "source_weeks",
                "source_start",
            ],
        )
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


# The Plans overview of an organization in one statement: which of its athletes' active
# plans have a stale standing, how many there are, each group's rollup (and that of the
# athletes in no group: `ord` 1) and the ids of one page in the requested order. The club's
# plans are read once (the CTE `r`); four statements that each read them cost twice as long
# at 8,000 plans. Parameters by name: org, now, limit (NULL: all), offset.
OVERVIEW_SQL = """
WITH r AS MATERIALIZED (
  SELECT pi.id, pi.user_id, pi.start_date, pl.name, s.compliance,
         s.current_week::float8 / pl.total_weeks AS progress,
         COALESCE(NULLIF(u.display_name, ''), u.username) AS display_name,
         s.instance_id IS NULL OR NOT ({fresh}) AS stale
    FROM athletes_planinstance pi
    JOIN athletes_plan pl ON pl.id = pi.plan_id
    JOIN athletes_user u ON u.id = pi.user_id
    LEFT JOIN analytics_planstanding s ON s.instance_id = pi.id
   WHERE pl.organization_id = %(org)s AND pi.status = 'active' AND {athlete}
),
rollups AS (
  SELECT g.public_id AS group_id, g.name, count(r.id) AS plans, sum(r.progress) AS progress,
         count(r.compliance) AS rated, sum(r.compliance) AS compliance,
         array_remove(array_agg(DISTINCT r.name), NULL) AS names, 0 AS ord
    FROM organizations_group g
    LEFT JOIN organizations_group_members gm ON gm.group_id = g.id
    LEFT JOIN r ON r.user_id = gm.user_id
   WHERE g.organization_id = %(org)s
   GROUP BY g.id
  UNION ALL
  SELECT NULL, NULL, count(*), sum(progress), count(compliance), sum(compliance),
         array_remove(array_agg(DISTINCT name), NULL), 1
    FROM r
   WHERE NOT EXISTS (SELECT 1 FROM organizations_group_members gm
                       JOIN organizations_group g ON g.id = gm.group_id
                      WHERE gm.user_id = r.user_id AND g.organization_id = %(org)s)
)
SELECT ARRAY(SELECT id FROM r WHERE stale ORDER BY id),
       (SELECT count(*) FROM r),
       (SELECT json_agg(json_build_array(group_id, name, plans, progress, rated, compliance,
                                         names, ord) ORDER BY ord, name, group_id)
          FROM rollups),
       ARRAY(SELECT id FROM r ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s)
""".replace("{fresh}", FRESH_SQL.replace("%s", "%(now)s")).replace("{athlete}", ATHLETE_OF_PLAN_SQL)

# Who is furthest behind first (nothing planned yet last), or by name; then the newest plan.
ORDERINGS = {
    "compliance": "compliance ASC NULLS LAST, display_name, start_date DESC, id",
    "name": "display_name, start_date DESC, id",
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
    params = {"org": organization.pk, "limit": limit, "offset": offset}
    sql = OVERVIEW_SQL.replace("{order}", ORDERINGS[order])
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "now": timezone.now()})
        stale, total, rollups, ids = cursor.fetchone()
        if stale:
            standings_refresh(stale)
            cursor.execute(sql, {**params, "now": timezone.now()})
            stale, total, rollups, ids = cursor.fetchone()
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
    del row["id"]
    row["progress"] = round(row["current_week"] / row["total_weeks"], 3)
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
        "plans": sorted(names or []),  # no array without rows
    }
