"""The Group Dashboard page: Overview, Groups and Plans tabs (plain links; no JS needed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from analytics import groups, standings
from astral.localtime import local_today
from metrics.rolling import iso_week_start
from organizations.access import can_coach
from organizations.models import Group
from pages.chrome import Units, current_organization, page_caller

TABS = ("overview", "groups", "plans")
PERIODS = ("7", "14", "30", "custom")
MAX_CUSTOM_DAYS = 400


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _period(request: HttpRequest) -> tuple[str, date, date, str | None]:
    period = request.GET.get("period", "7")
    today = local_today(request.user.tz)
    if period == "custom":
        first, last = _date(request.GET.get("from")), _date(request.GET.get("to"))
        if first and last and first <= last and (last - first).days <= MAX_CUSTOM_DAYS:
            return period, first, last, None
        if not first or not last:
            problem = "Choose both a start and an end date."
        elif last < first:
            problem = "The end date is before the start date."
        else:
            problem = f"The dates are more than {MAX_CUSTOM_DAYS} days apart."
        return "7", today - timedelta(days=6), today, f"{problem} Showing the last 7 days instead."
    if period not in PERIODS:
        period = "7"
    return period, today - timedelta(days=int(period) - 1), today, None


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    tab = request.GET.get("tab", "overview")
    if tab not in TABS:
        tab = "overview"
    units = Units(request.user.units)
    context: dict[str, Any] = {
        "organization": organization,
        "tab": tab,
        "units": units,
    }
    group_list = list(Group.objects.filter(organization=organization).order_by("name"))
    context["group_list"] = group_list
    if not group_list:
        return render(request, "analytics/dashboard.html", context)
    if tab == "overview":
        today = local_today(request.user.tz)
        week = _date(request.GET.get("week")) or today
        monday = iso_week_start(week)
        chosen = next((g for g in group_list if g.public_id == request.GET.get("group")), None)
        overview = groups.group_overview(
            organization, week_start=monday, group=chosen, units=request.user.units, today=today
        )
        context.update(
            overview=overview,
            chosen_group=chosen,
            week=monday,
            prev_week=monday - timedelta(days=7),
            next_week=monday + timedelta(days=7),
            chart_payload={
                "unit": units.label,
                "members": [
                    {"name": m["display_name"], "value": units.value(m["total_distance"])}
                    for m in overview["member_matrix"]
                ],
            },
        )
    elif tab == "groups":
        period, first, last, error = _period(request)
        comparison = groups.group_comparison(organization, first=first, last=last)
        context.update(
            comparison=comparison,
            period=period,
            first=first,
            last=last,
            period_error=error,
            chart_payload={
                "unit": units.label,
                "groups": [
                    {"name": g["name"], "value": units.value(g["total_distance"])}
                    for g in comparison["groups"]
                ],
            },
        )
    else:
        sort = request.GET.get("sort", "compliance")
        if sort not in standings.ORDERINGS:
            sort = "compliance"
        # Fifty athletes a page: a club of a thousand is not one table.
        plans = groups.plans_page(organization, sort=sort, page=request.GET.get("page"))
        context.update(plans=plans, plans_sort=sort, plan_rows=plans["athletes"])
    return render(request, "analytics/dashboard.html", context)


@login_required
def group_detail(request: HttpRequest, group_id: str) -> HttpResponse:
    group = Group.objects.select_related("organization").filter(public_id=group_id).first()
    if group is None:
        raise Http404("No such group.")
    if not can_coach(page_caller(request), group.organization):
        raise PermissionDenied("You do not coach this group.")
    period, first, last, error = _period(request)
    stats = groups.group_stats(group, first=first, last=last)
    units = Units(request.user.units)
    return render(
        request,
        "analytics/group.html",
        {
            "organization": group.organization,
            "group": group,
            "stats": stats,
            "period": period,
            "first": first,
            "last": last,
            "period_error": error,
            "units": units,
            "chart_payload": {
                "unit": units.label,
                "members": [
                    {"name": m["display_name"], "value": units.value(m["total_distance"])}
                    for m in stats["members"]
                ],
            },
        },
    )
