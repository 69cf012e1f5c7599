"""Group Dashboard data: weekly overview, cross-group comparison, one group's stats and
plans across the organization. Each athlete's runs count on their own local days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.utils import timezone

from analytics.metrics.insights import GroupFacts, write_insight
from analytics.metrics.rolling import days_between
from analytics.models import AthleteSnapshot
from analytics.plans import plan_instances_data, with_plan
from analytics.selectors import (
    daily_totals_by_user,
    period_totals_by_user,
    periods_totals_by_user,
)
from astral import cache
from astral.localtime import quarter_hour
from athletes.models import PlanInstance, PlanStatus, User
from organizations.models import Group, Organization, Role

MATRIX_SIZE = 20


class Athlete(NamedTuple):
    """What the dashboards need of an athlete: a club's thousand of them as plain tuples,
    not model instances (building those was a tenth of the overview's time)."""

    pk: int
    public_id: str
    name: str
    tz_name: str


def athletes_of(users: QuerySet[User]) -> list[Athlete]:
    rows = users.order_by("display_name", "username").values_list(
        "pk", "public_id", "display_name", "username", "timezone"
    )
    return [
        Athlete(pk, public_id, shown or username, tz or "UTC")
        for pk, public_id, shown, username, tz in rows
    ]


def org_athletes(organization: Organization) -> list[Athlete]:
    return athletes_of(
        User.objects.filter(
            memberships__organization=organization, memberships__role=Role.ATHLETE, is_active=True
        )
    )


def _rollup(user_ids: Sequence[int], per_user: dict[int, tuple[float, int]]) -> dict[str, Any]:
    distance = 0.0
    activities = 0
    active = 0
    for user_id in user_ids:
        user_distance, runs = per_user.get(user_id, (0.0, 0))
        distance += user_distance
        activities += runs
        active += 1 if runs else 0
    count = len(user_ids)
    return {
        "athlete_count": count,
        "total_distance": round(distance, 1),
        "total_activities": activities,
        "active_athletes": active,
        "engagement_rate": round(active / count, 3) if count else 0.0,
        "avg_distance_per_athlete": round(distance / count, 1) if count else 0.0,
    }


def needs_attention(users: Sequence[Athlete]) -> list[str]:
    names = dict(
        AthleteSnapshot.objects.filter(user_id__in=[u.pk for u in users], attention_warnings__gt=0)
        .order_by("-attention_warnings", "user__display_name")
        .values_list("user_id", "user__display_name")
    )
    return list(names.values())


def group_overview(
    organization: Organization, *, week_start: date, group: Group | None, units: str, today: date
) -> dict[str, Any]:
    """A week of the club or a group. While the week runs (it holds the viewer's `today`),
    it is compared with the same days of last week, never with a whole week (METRICS.md §8)."""
    users = (
        athletes_of(group.members.filter(is_active=True)) if group else org_athletes(organization)
    )
    ids = [u.pk for u in users]
    last_week = week_start - timedelta(days=7)
    week_end = week_start + timedelta(days=6)
    in_progress = week_start <= today <= week_end
    compared_through = (today if in_progress else week_end) - timedelta(days=7)
    # Per athlete, two sums (this week, last week); per day only for the matrix's twenty.
    this_week, last_weeks = periods_totals_by_user(
        users, [(week_start, week_end), (last_week, compared_through)]
    )
    this = _rollup(ids, this_week)
    previous = _rollup(ids, last_weeks)
    week_days = days_between(week_start, week_end)
    top = sorted(users, key=lambda u: (-this_week.get(u.pk, (0.0, 0))[0], u.name))[:MATRIX_SIZE]
    totals = (
        daily_totals_by_user(top, first=week_start, last=week_end, fields=("distance",))
        if top
        else {}
    )
    matrix = []
    for user in top:
        days = totals.get(user.pk, {})
        matrix.append(
            {
                "user_id": user.public_id,
                "display_name": user.name,
                "total_distance": round(this_week.get(user.pk, (0.0, 0))[0], 1),
                "days": [
                    {
                        "date": day,
                        "distance": round(days[day]["distance"], 1) if day in days else 0.0,
                        "runs": int(days[day]["runs"]) if day in days else 0,
                    }
                    for day in week_days
                ],
            }
        )
    insight = write_insight(
        "group",
        GroupFacts(
            name=group.name if group else organization.name,
            distance=this["total_distance"],
            last_week_distance=previous["total_distance"],
            activities=this["total_activities"],
            active_athletes=this["active_athletes"],
            athlete_count=this["athlete_count"],
            needs_attention=needs_attention(users),
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


def group_comparison(organization: Organization, *, first: date, last: date) -> dict[str, Any]:
    groups = list(organization.groups.order_by("name"))
    athletes = org_athletes(organization)
    athlete_ids = {u.pk for u in athletes}
    members: dict[int, list[int]] = {g.pk: [] for g in groups}
    for group_id, user_id in Group.members.through.objects.filter(
        group__organization=organization
    ).values_list("group_id", "user_id"):
        if user_id in athlete_ids:
            members[group_id].append(user_id)
    grouped = {uid for ids in members.values() for uid in ids}
    per_user = period_totals_by_user(athletes, first=first, last=last)
    rows = [
        {"group_id": g.public_id, "name": g.name, **_rollup(members[g.pk], per_user)}
        for g in groups
    ]
    return {
        "org_id": organization.public_id,
        "from": first,
        "to": last,
        "groups": rows,
        "unassigned": _rollup([u.pk for u in athletes if u.pk not in grouped], per_user),
    }


def group_stats(group: Group, *, first: date, last: date) -> dict[str, Any]:
    members = athletes_of(
        group.members.filter(
            is_active=True,
            memberships__organization=group.organization,
            memberships__role=Role.ATHLETE,
        )
    )
    per_user = period_totals_by_user(members, first=first, last=last)
    member_rows = []
    for user in members:
        distance, runs = per_user.get(user.pk, (0.0, 0))
        member_rows.append(
            {
                "user_id": user.public_id,
                "display_name": user.name,
                "total_distance": round(distance, 1),
                "total_activities": runs,
                "active": runs > 0,
            }
        )
    member_rows.sort(key=lambda row: (-row["total_distance"], row["display_name"]))
    return {
        "group_id": group.public_id,
        "name": group.name,
        "from": first,
        "to": last,
        **_rollup([u.pk for u in members], per_user),
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
