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
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from analytics.models import PlanStanding
from analytics.plans import plan_instances_data, with_plan
from astral.localtime import local_today
from athletes.models import PlanInstance, PlanStatus
from organizations.models import Organization, Role

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


def fresh_standings(organization: Organization) -> QuerySet[PlanStanding]:
    """The organization's athletes' active plans with their standings (the stale ones
    recomputed first), as rows of the Plans overview without `progress`."""
    standings_refresh(stale_instances(organization_id=organization.pk))
    return (
        PlanStanding.objects.filter(
            instance__status=PlanStatus.ACTIVE,
            instance__plan__organization=organization,
            instance__user__memberships__organization=organization,
            instance__user__memberships__role=Role.ATHLETE,
        )
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
    row["progress"] = round(row["current_week"] / row["total_weeks"], 3)
    return row


# Each group's active plans, progress and compliance, and those of the athletes in none of
# the organization's groups, from the kept standings in one statement (the organization's
# id is its only parameter, named). Progress is the plan week over the plan's weeks.
ROLLUPS_SQL = """
WITH r AS (
  SELECT pi.user_id, pl.name, s.compliance,
         s.current_week::float8 / pl.total_weeks AS progress
    FROM analytics_planstanding s
    JOIN athletes_planinstance pi ON pi.id = s.instance_id
    JOIN athletes_plan pl ON pl.id = pi.plan_id
   WHERE pl.organization_id = %(org)s AND pi.status = 'active'
     AND EXISTS (SELECT 1 FROM organizations_membership m
                  WHERE m.user_id = pi.user_id AND m.organization_id = %(org)s
                    AND m.role = 'athlete')
)
SELECT g.public_id, g.name, count(r.user_id), sum(r.progress), count(r.compliance),
       sum(r.compliance), array_remove(array_agg(DISTINCT r.name), NULL), 0 AS ord
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
 ORDER BY ord, 2, 1
"""


def plan_rollups(organization: Organization) -> list[dict[str, Any]]:
    """Per group (by name), then "No group": active plans, average progress and compliance
    (None without plans, or without a planned run yet), the plans' names. Reads the kept
    standings as they are: call after `fresh_standings`."""
    with connection.cursor() as cursor:
        cursor.execute(ROLLUPS_SQL, {"org": organization.pk})
        rows = cursor.fetchall()
    return [
        {
            "group_id": group_id,
            "name": "No group" if ord_ else name,
            "active_plans": plans,
            "avg_progress": round(progress / plans, 3) if plans else None,
            "avg_compliance": round(compliance / rated, 3) if rated else None,
            "plans": sorted(names or []),  # no array without rows
        }
        for group_id, name, plans, progress, rated, compliance, names, ord_ in rows
    ]
