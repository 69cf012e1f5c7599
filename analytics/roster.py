"""The coach roster (`coach_athletes_metrics`) and the athlete profile: read snapshots,
never recompute what is fresh, in a constant number of queries whatever the page size."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from analytics.metrics.formatting import format_duration
from analytics.metrics.plans import current_week
from analytics.snapshots import fresh_snapshots, snapshots_refresh
from astral.api.errors import ApiError
from astral.api.pagination import Page
from athletes.models import Goal, PlanInstance, PlanStatus, User
from organizations.models import Group, Label, Membership, Organization, Role

ORDERINGS = {
    "display_name": [F("user__display_name").asc(), F("user__username").asc()],
    "-last_activity": [
        F("user__snapshot__last_activity_at").desc(nulls_last=True),
        F("user__display_name").asc(),
    ],
    "-weekly_distance": [
        F("user__snapshot__weekly_distance").desc(nulls_last=True),
        F("user__display_name").asc(),
    ],
    "-attention": [
        F("user__snapshot__attention_warnings").desc(nulls_last=True),
        F("user__snapshot__attention_infos").desc(nulls_last=True),
        F("user__display_name").asc(),
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


def roster_memberships(organization: Organization, filters: RosterFilters) -> QuerySet[Membership]:
    queryset = Membership.objects.filter(
        organization=organization, role=Role.ATHLETE, user__is_active=True
    )
    if filters.coach is not None:
        queryset = queryset.filter(assigned_coach=filters.coach)
    if filters.group is not None:
        queryset = queryset.filter(user__athlete_groups=filters.group)
    if filters.unassigned_only:
        queryset = queryset.exclude(user__athlete_groups__organization=organization)
    if filters.search:
        term = filters.search
        queryset = queryset.filter(
            Q(user__username__icontains=term)
            | Q(user__email__icontains=term)
            | Q(user__display_name__icontains=term)
        )
    if filters.label:
        queryset = queryset.filter(labels__name=filters.label)
    return queryset.distinct()


def _plan_row(instance: PlanInstance, today: date) -> dict[str, Any]:
    return {
        "plan_instance_id": instance.public_id,
        "name": instance.plan.name,
        "status": instance.status,
        "start_date": instance.start_date,
        "current_week": current_week(instance.start_date, today, instance.plan.total_weeks),
        "total_weeks": instance.plan.total_weeks,
    }


def _goal_row(goal: Goal) -> dict[str, Any]:
    return {
        "goal_id": goal.public_id,
        "race_name": goal.race_name,
        "race_date": goal.race_date,
        "distance": goal.distance,
        "goal_time": format_duration(goal.goal_time) if goal.goal_time else None,
    }


def roster_page(organization: Organization, filters: RosterFilters, page: Page) -> dict[str, Any]:
    memberships = roster_memberships(organization, filters)
    # Freshness first (one small query over the filtered athletes), so ordering by the
    # snapshot columns is exact and a write shows at once.
    states = list(
        memberships.values_list(
            "user_id",
            "user__data_version",
            "user__timezone",
            "user__snapshot__source_version",
            "user__snapshot__as_of",
        )
    )
    stale_ids = [
        user_id
        for user_id, version, tz_name, snapshot_version, as_of in states
        if snapshot_version != version or as_of != local_today(tz_name)
    ]
    if stale_ids:
        snapshots_refresh(stale_ids)
    total = len(states)
    rows = list(
        memberships.select_related("user", "user__snapshot", "assigned_coach")
        .defer("user__snapshot__data")
        .prefetch_related(
            Prefetch("labels", queryset=Label.objects.order_by("name")),
            Prefetch(
                "user__athlete_groups",
                queryset=Group.objects.filter(organization=organization).order_by("name"),
            ),
            Prefetch(
                "user__plan_instances",
                queryset=PlanInstance.objects.filter(
                    status__in=[PlanStatus.ACTIVE, PlanStatus.SCHEDULED],
                    plan__organization=organization,
                )
                .select_related("plan")
                .order_by("-start_date"),
                to_attr="current_plans",
            ),
            Prefetch(
                "user__goals",
                queryset=Goal.objects.filter(race_date__gte=timezone.now().date()).order_by(
                    "race_date"
                ),
                to_attr="upcoming_goals",
            ),
        )
        .order_by(*ORDERINGS[filters.ordering])[page.offset : page.limit]
    )
    athletes = [athlete_row(m) for m in rows]
    metadata = page.metadata(total)
    return {
        "athletes": athletes,
        "total_count": total,
        "metadata": metadata,
        "pagination": dict(metadata),
    }


def local_today(tz_name: str) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(tz_name or "UTC")).date()


def athlete_row(membership: Membership) -> dict[str, Any]:
    user = membership.user
    today = timezone.now().astimezone(user.tz).date()
    snapshot = user.snapshot
    return {
        "user_id": user.public_id,
        "username": user.username,
        "display_name": user.display_name,
        "profile_image": user.profile_image_url or None,
        "email": user.email,
        "timezone": user.tz_name,
        "unit_system": user.units,
        "assigned_coach_id": membership.assigned_coach.public_id
        if membership.assigned_coach
        else None,
        "assigned_coach_name": membership.assigned_coach.name
        if membership.assigned_coach
        else None,
        "groups": [g.name for g in user.athlete_groups.all()],
        "group_ids": [g.public_id for g in user.athlete_groups.all()],
        "labels": [label.name for label in membership.labels.all()],
        "current_plans": [_plan_row(i, today) for i in user.current_plans],
        "current_goals": {"races": [_goal_row(g) for g in user.upcoming_goals]},
        "has_push_token": user.has_push_token,
        "metrics": snapshot.summary,
    }


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
        coach = User.objects.filter(
            public_id=assigned_coach_id,
            memberships__organization=organization,
            memberships__role__in=[Role.OWNER, Role.COACH],
        ).first()
        if coach is None:
            raise ApiError(
                "assigned_coach_id is not a coach of this organization.", field="assigned_coach_id"
            )
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


def athlete_profile(user: User, *, refresh: bool) -> dict[str, Any]:
    from analytics.plans import plan_instances_data, with_plan
    from athletes.api.representations import activity_data, integrations_data

    snapshot = fresh_snapshots([user], force=refresh)[user.pk]
    data = snapshot.data
    today = timezone.now().astimezone(user.tz).date()
    plans = plan_instances_data(
        with_plan(
            PlanInstance.objects.filter(
                user=user, status__in=[PlanStatus.ACTIVE, PlanStatus.SCHEDULED]
            )
        ).order_by("-start_date")
    )
    goals = Goal.objects.filter(user=user, race_date__gte=today).order_by("race_date")
    recent = user.activities.select_related("user").order_by("-start_time")[:5]
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
        "current_goals": {"races": [_goal_row(g) for g in goals]},
        "current_plans": plans,
        "integrations": integrations_data(list(user.integrations.all())),
        "recent_activities": [activity_data(a) for a in recent],
        "insights": data["insights"],
        "attention_signals": data["attention_signals"],
        "data_quality": data["data_quality"],
        "last_activity_at": data.get("last_activity_at"),
        "last_updated": data.get("last_updated"),
    }
