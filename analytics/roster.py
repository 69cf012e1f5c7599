"""The coach roster (`coach_athletes_metrics`) and the athlete profile: read snapshots,
never recompute what is fresh, in a constant number of queries whatever the page size."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connections
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from analytics.models import RosterRow
from analytics.plans import PLAN_WEEK_SQL, plan_instances_data, with_plan
from analytics.snapshots import fresh_snapshots, snapshots_refresh
from astral.api.errors import ApiError
from astral.api.pagination import Page
from astral.localtime import local_today
from athletes.models import PlanStatus, User
from organizations.access import organization_coach
from organizations.models import Group, Organization

# Each ends with the membership id, so equal names never make pages overlap; each is one of
# RosterRow's indexes, so a page is read in order from it.
ORDERINGS = {
    "display_name": [F("name").asc(), F("username").asc(), F("membership_id").asc()],
    "-last_activity": [
        F("last_activity_at").desc(nulls_last=True),
        F("name").asc(),
        F("membership_id").asc(),
    ],
    "-weekly_distance": [
        F("weekly_distance").desc(nulls_last=True),
        F("name").asc(),
        F("membership_id").asc(),
    ],
    "-attention": [
        F("attention_warnings").desc(nulls_last=True),
        F("attention_infos").desc(nulls_last=True),
        F("attention_since").asc(nulls_last=True),  # longest first
        F("name").asc(),
        F("membership_id").asc(),
    ],
}


@dataclass(frozen=True)
class RosterFilters:
    coach: User | None = None  # filter_by_coach / assigned_coach_id
    group: Group | None = None
    unassigned_only: bool = False
    search: str | None = None
    label: str | None = None
    ordering: str = "display_name"

    def cache_parts(self) -> dict[str, Any]:
        """Every filter, as the roster's cache key holds it (astral.cache.roster_key): a field
        added here is in the key without anyone listing it."""
        parts: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if hasattr(value, "public_id"):
                value = value.public_id
            elif isinstance(value, str) and field.name == "search":
                value = value.lower()  # the search matches without case
            parts[field.name] = "" if value is None else value
        return parts


def roster_rows(organization: Organization, filters: RosterFilters) -> QuerySet[RosterRow]:
    """The roster's athletes (kept rows, analytics.models.RosterRow), filtered."""
    queryset = RosterRow.objects.filter(organization_id=organization.pk, active=True)
    if filters.coach is not None:
        queryset = queryset.filter(membership__assigned_coach=filters.coach)
    if filters.group is not None:
        queryset = queryset.filter(user__athlete_groups=filters.group)
    if filters.unassigned_only:
        queryset = queryset.exclude(user__athlete_groups__organization=organization)
    if filters.search:
        term = filters.search
        queryset = queryset.filter(
            Q(username__icontains=term) | Q(user__email__icontains=term) | Q(name__icontains=term)
        )
    if filters.label:
        queryset = queryset.filter(membership__labels__name=filters.label)
    # No DISTINCT: each join above matches at most one row per membership (one group, one
    # label name, unique per organization).
    return queryset


def roster_page(
    organization: Organization, filters: RosterFilters, page: Page, *, raw_metrics: bool = False
) -> dict[str, Any]:
    """One page of the roster. With `raw_metrics`, each row's `metrics` is the stored JSON
    itself (an `orjson.Fragment`), spliced into the response without being decoded and
    encoded again: for the API, where that was a third of the time of 200 rows."""
    rows = roster_rows(organization, filters)
    ordering = ORDERINGS[filters.ordering]
    # Freshness and the page in one statement; when some snapshot was stale, refreshed and
    # read again, so ordering by the snapshot columns is exact and a write shows at once.
    total, stale_ids, text = _page_json(organization, filters, rows, ordering, page)
    if stale_ids:
        snapshots_refresh(stale_ids)
        total, _, text = _page_json(organization, filters, rows, ordering, page)
    metadata = page.metadata(total)
    return {
        "athletes": orjson.Fragment(text) if raw_metrics else orjson.loads(text),
        "total_count": total,
        "metadata": metadata,
        "pagination": dict(metadata),
    }


# Each row of the roster, made by PostgreSQL: the page's rows, groups, labels,
# plans and goals in one statement, returned as one JSON text. Python used to spend more
# time building and re-encoding the 200 rows than the database spent finding them. Groups,
# labels, plans and goals are each gathered for the whole page in one join (a correlated
# subquery per row and list was 10% slower). The page is read in order from an index of the
# kept roster rows; the club's count and its stale snapshots (two index ranges) come with it.
PAGE_JSON = """
WITH page(id, user_id, ord) AS ({page}),
freshness AS (
  SELECT ({count}) AS total, ARRAY({stale}) AS stale
)
SELECT f.total, f.stale, (SELECT COALESCE(json_agg(x.row ORDER BY x.ord), '[]'::json)::text FROM (
  SELECT p.ord, json_build_object(
    'user_id', u.public_id,
    'username', u.username,
    'display_name', u.display_name,
    'profile_image', NULLIF(u.profile_image_url, ''),
    'email', u.email,
    'timezone', COALESCE(NULLIF(u.timezone, ''), 'UTC'),
    'unit_system', COALESCE(NULLIF(u.unit_system, ''), 'metric'),
    'assigned_coach_id', c.public_id,
    'assigned_coach_name', COALESCE(NULLIF(c.display_name, ''), c.username),
    'groups', COALESCE(gr.names, '[]'::json),
    'group_ids', COALESCE(gr.ids, '[]'::json),
    'labels', COALESCE(lb.names, '[]'::json),
    'current_plans', COALESCE(pn.plans, '[]'::json),
    'current_goals', json_build_object('races', COALESCE(gs.races, '[]'::json)),
    'has_push_token', COALESCE(u.push_token, '') <> '',
    'metrics', s.summary
  ) AS row
  FROM page p
  -- Looked up by key for the page's rows (LIMIT 1 keeps the planner from hashing the whole
  -- club's memberships and accounts to join 200 of them).
  CROSS JOIN LATERAL (
    SELECT assigned_coach_id FROM organizations_membership WHERE id = p.id LIMIT 1) m
  CROSS JOIN LATERAL (
    SELECT public_id, username, display_name, profile_image_url, email, timezone, unit_system,
           push_token
    FROM athletes_user WHERE id = p.user_id LIMIT 1) u
  LEFT JOIN athletes_user c ON c.id = m.assigned_coach_id
  -- By key too: joined, PostgreSQL hashed every snapshot of the service for 200 rows.
  LEFT JOIN LATERAL (
    SELECT summary FROM analytics_athletesnapshot WHERE user_id = p.user_id LIMIT 1) s ON true
  -- Each list gathered per page row from its indexes (a join over the whole club's group
  -- members, plans or goals grew with the club).
  LEFT JOIN LATERAL (
    SELECT json_agg(g.name ORDER BY g.name, g.id) AS names,
           json_agg(g.public_id ORDER BY g.name, g.id) AS ids
    FROM organizations_group_members gm JOIN organizations_group g ON g.id = gm.group_id
    WHERE gm.user_id = p.user_id AND g.organization_id = %s
  ) gr ON true
  LEFT JOIN LATERAL (
    SELECT json_agg(l.name ORDER BY l.name) AS names
    FROM organizations_membership_labels ml JOIN organizations_label l ON l.id = ml.label_id
    WHERE ml.membership_id = p.id
  ) lb ON true
  LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
        'plan_instance_id', pi.public_id,
        'name', pl.name,
        'status', pi.status,
        'start_date', pi.start_date,
        'current_week', {plan_week},
        'total_weeks', pl.total_weeks) ORDER BY pi.start_date DESC) AS plans
    FROM athletes_planinstance pi
    JOIN athletes_plan pl ON pl.id = pi.plan_id
    WHERE pi.user_id = p.user_id AND pi.status IN ('active', 'scheduled')
      AND pl.organization_id = %s
  ) pn ON true
  LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
        'goal_id', gl.public_id,
        'race_name', gl.race_name,
        'race_date', gl.race_date,
        'distance', gl.distance,
        'goal_time', gl.goal_time_text) ORDER BY gl.race_date) AS races
    FROM athletes_goal gl
    -- upcoming until the race day ends where the athlete is
    WHERE gl.user_id = p.user_id
      AND gl.race_date >= (%s::timestamptz AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date
  ) gs ON true
) x)
FROM freshness f
"""


# How many athletes a club has, as PostgreSQL keeps it (analytics/club_totals.py): the
# organization's, a group's or those in no group are the roster unfiltered, by group or
# unassigned, counted without reading the club.
KEPT_COUNT_SQL = (
    "SELECT COALESCE((SELECT athletes FROM analytics_club WHERE kind = %s AND ref = %s), 0)"
)


def _count_sql(
    organization: Organization, filters: RosterFilters, rows: QuerySet[RosterRow]
) -> tuple[str, tuple[Any, ...]]:
    if filters.coach is None and not filters.search and not filters.label:
        if filters.group is not None:
            return KEPT_COUNT_SQL, ("group", filters.group.pk)
        return KEPT_COUNT_SQL, ("none" if filters.unassigned_only else "org", organization.pk)
    sql, params = rows.values("pk").query.sql_with_params()
    return f"SELECT count(*) FROM ({sql}) c", params  # noqa: S608 - Django's SQL


def _page_json(
    organization: Organization,
    filters: RosterFilters,
    rows: QuerySet[RosterRow],
    ordering: list[Any],
    page: Page,
) -> tuple[int, list[int], str]:
    """(how many athletes in all, ids of those whose snapshot is stale, the page's rows as
    one JSON array in the roster's order), in one PostgreSQL statement."""
    sql, params = _page_statement(organization, filters, rows, ordering, page)
    # Through the router, like every analytics read (the replica inside analytics_reads()).
    database = connections[rows.db]
    with database.cursor() as cursor:
        # Planned for this club on every call, never from a prepared statement's generic
        # plan: that plan is made for a club of the average size, and beside 2,000 clubs of
        # 20 it sorted all 10,000 roster rows of the big club for a page of 200 instead of
        # reading them in order from the name index (23 against 14 ms; issue 36).
        threshold = database.connection.prepare_threshold
        database.connection.prepare_threshold = None
        try:
            cursor.execute(sql, params)
        finally:
            database.connection.prepare_threshold = threshold
        total, stale_ids, text = cursor.fetchone()
    return total, stale_ids, text


def page_statement(
    organization: Organization, filters: RosterFilters, page: Page
) -> tuple[str, list[Any]]:
    """The one statement of a roster page and its parameters (the benchmark times it as
    the roster's own SQL)."""
    rows = roster_rows(organization, filters)
    return _page_statement(organization, filters, rows, ORDERINGS[filters.ordering], page)


def _page_statement(
    organization: Organization,
    filters: RosterFilters,
    rows: QuerySet[RosterRow],
    ordering: list[Any],
    page: Page,
) -> tuple[str, list[Any]]:
    now = timezone.now()
    page_rows = (
        rows.order_by(*ordering)
        .annotate(ord=Window(RowNumber(), order_by=ordering))
        .values_list("membership_id", "user_id", "ord")[page.offset : page.limit]
    )
    stale = rows.filter(Q(fresh_until__lte=now) | Q(fresh_from__gt=now)).values_list(
        "user_id", flat=True
    )
    page_sql, page_params = page_rows.query.sql_with_params()
    count_sql, count_params = _count_sql(organization, filters, rows)
    stale_sql, stale_params = stale.query.sql_with_params()
    params = [
        *page_params,
        *count_params,
        *stale_params,
        organization.pk,  # groups
        now,  # each athlete's local today, for the plan week
        organization.pk,  # plans
        now,  # each athlete's local today, for upcoming goals
    ]
    plan_week = PLAN_WEEK_SQL.format(
        now="%s::timestamptz", tz="u.timezone", start="pi.start_date", total="pl.total_weeks"
    )
    sql = PAGE_JSON.format(
        page=page_sql,
        count=count_sql,
        stale=stale_sql,
        plan_week=plan_week,
    )
    return sql, params


def roster_filters(
    organization: Organization,
    *,
    caller_user: User | None,
    filter_by_coach: bool,
    group_id: str | None,
    unassigned_only: bool,
    search: str | None,
    label: str | None,
    assigned_coach_id: str | None,
    ordering: str,
) -> RosterFilters:
    if group_id and unassigned_only:
        raise ApiError("group_id cannot be combined with unassigned_only.", field="unassigned_only")
    coach = None
    if filter_by_coach:
        if caller_user is None:
            raise ApiError(
                "filter_by_coach needs a signed-in coach, not an API key.", field="filter_by_coach"
            )
        coach = caller_user
    if assigned_coach_id:
        coach = organization_coach(organization, assigned_coach_id, "assigned_coach_id")
    group = None
    if group_id:
        group = Group.objects.filter(public_id=group_id, organization=organization).first()
        if group is None:
            raise ApiError(
                "No such group in this organization.", "NOT_FOUND", field="group_id", status=404
            )
    return RosterFilters(
        coach=coach,
        group=group,
        unassigned_only=unassigned_only,
        search=search,
        label=label,
        ordering=ordering,
    )


def athlete_profile(user: User, *, refresh: bool, units: str | None = None) -> dict[str, Any]:
    """The profile (API.md §4); its insight sentences in `units` when given (a page in its
    viewer's units), else in the athlete's own."""
    from athletes.representations import activity_data, goal_data, integrations_data

    snapshot = fresh_snapshots([user], force=refresh)[user.pk]
    data = snapshot.data
    today = local_today(user.tz)
    plans = plan_instances_data(
        with_plan(
            user.plan_instances.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.SCHEDULED]),
            related=("plan",),
        ).order_by("-start_date")
    )
    # Through the athlete's own managers: each row knows its athlete without a join.
    goals = user.goals.filter(race_date__gte=today)
    recent = user.activities.order_by("-start_time")[:5]
    metrics = {
        "running_analytics": data["running_analytics"],
        "fitness": data["fitness"],
        "training": data["training"],
    }
    return {
        "user_id": user.public_id,
        "username": user.username,
        "display_name": user.display_name,
        "profile_image_url": user.profile_image_url or None,
        "timezone": user.tz_name,
        "unit_system": user.units,
        "vdot": user.vdot,
        "metrics": metrics,
        "current_goals": {"races": [goal_data(g) for g in goals.order_by("race_date")]},
        "current_plans": plans,
        "integrations": integrations_data(list(user.integrations.all())),
        "recent_activities": [activity_data(a) for a in recent],
        # A snapshot stored before the sentences were kept by units only has `insights`.
        "insights": (data.get("insights_by_units") or {}).get(units or user.units)
        or data.get("insights"),
        "attention_signals": data["attention_signals"],
        "data_quality": data["data_quality"],
        "last_activity_at": data.get("last_activity_at"),
        "last_updated": data.get("last_updated"),
    }
