"""Analytics endpoints (API.md §4)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import calendar, groups, records, roster, services
from analytics.plans import workout_file
from analytics.series import load_series
from analytics.timeparams import athlete_tz, date_range, local_today, tz_label, unix_param
from astral import cache
from astral.api.errors import ApiError
from astral.api.pagination import page_from
from astral.api.params import bool_param, choice_param, date_param, int_param, str_param
from astral.api.requests import (
    StrictSerializer,
    TextField,
    TimezoneField,
    timezone_schema,
    validated,
)
from astral.api.responses import cached_response, ok
from astral.api.schema import (
    PAGINATION,
    USER_ID,
    ApiDoc,
    integer,
    public_id,
    query,
    text,
)
from astral.db import (
    analytics_reads,
    configured_alias,
    primary_reads,
    reading_from_replica_configured,
    replica_failed,
)
from astral.localtime import quarter_hour
from athletes.models import User
from metrics.rolling import iso_week_start
from organizations.access import caller_of, can_coach, default_coach_org, resolve_athlete
from organizations.models import Group

MAX_RUNNING_STATS_SPAN = timedelta(days=365)
TIMEZONE = query(
    "timezone", timezone_schema(), description="IANA time zone; default the athlete's, then UTC"
)
DATE_RANGE = [
    query("from", OpenApiTypes.DATE, required=True),
    query("to", OpenApiTypes.DATE, required=True),
]
REFRESH = query("refresh", OpenApiTypes.BOOL)
ORG_ID = query(
    "org_id", public_id("org"), description="Default: the caller's one coach organization"
)
PERIOD = [
    query("period", enum=["7", "14", "30", "custom"]),
    query("from", OpenApiTypes.DATE),
    query("to", OpenApiTypes.DATE),
]


class RunningStreaksSerializer(StrictSerializer):
    user_id = TextField(required=False)
    days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    timezone = TimezoneField(required=False)


MAX_FUTURE = timedelta(days=7)


class ReplicaReadFailedError(Exception):
    """A GET's read on the replica failed; the view answers it again from the primary."""


class AnalyticsView(APIView):
    """GET requests read from the analytics replica when one is configured and healthy
    (astral/db.py); a read the replica fails mid-request is answered from the primary."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method != "GET":
            return super().dispatch(request, *args, **kwargs)
        try:
            with analytics_reads():
                return super().dispatch(request, *args, **kwargs)
        except ReplicaReadFailedError as failed:
            replica_failed(str(configured_alias()), failed.__cause__ or failed)
        with primary_reads():
            return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, OperationalError | InterfaceError) and reading_from_replica_configured():
            raise ReplicaReadFailedError from exc
        return super().handle_exception(exc)


def athlete_for(request: Request, params: Any = None) -> User:
    params = request.query_params if params is None else params
    return resolve_athlete(caller_of(request), str_param(params, "user_id", 32))


def next_local_midnight(tz: Any) -> datetime:
    today = local_today(tz)
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=tz)


class FitnessStatsView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                query("days", integer(1, 365), description="default 30"),
                TIMEZONE,
            ]
        )
    }

    def get(self, request: Request) -> Response:
        athlete = athlete_for(request)
        days = int_param(request.query_params, "days", default=30, minimum=1, maximum=365)
        tz = athlete_tz(request.query_params, athlete)
        return ok(services.fitness_stats(athlete, days=days or 30, tz=tz, today=local_today(tz)))


class RunningStatsView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                query("from_timestamp", integer(0, 32_503_680_000), required=True),
                query("to_timestamp", integer(0, 32_503_680_000), required=True),
                query("range_type", required=True, enum=["daily", "weekly", "monthly", "yearly"]),
                query("metric_type", enum=["distance", "duration", "training_load"]),
                TIMEZONE,
                query(
                    "timezone_offset_minutes",
                    integer(-840, 840),
                    description="Deprecated: send `timezone` (an IANA name) instead.",
                    deprecated=True,
                ),
            ]
        )
    }

    def get(self, request: Request) -> Response:
        params = request.query_params
        athlete = athlete_for(request)
        start = unix_param(params, "from_timestamp")
        end = unix_param(params, "to_timestamp")
        range_type = choice_param(params, "range_type", ["daily", "weekly", "monthly", "yearly"])
        if range_type is None:
            raise ApiError(
                "range_type is required: daily, weekly, monthly or yearly.", field="range_type"
            )
        metric_type = choice_param(
            params, "metric_type", ["distance", "duration", "training_load"], default="distance"
        )
        tz = athlete_tz(params, athlete, allow_offset=True)
        if end <= start:
            raise ApiError("to_timestamp must be after from_timestamp.", field="to_timestamp")
        if end - start > MAX_RUNNING_STATS_SPAN:
            raise ApiError("The window may span at most 365 days.", field="to_timestamp")
        if end > timezone.now() + MAX_FUTURE:
            raise ApiError(
                "to_timestamp may be at most 7 days in the future.", field="to_timestamp"
            )
        points = services.running_stats(athlete, start=start, end=end, range_type=range_type, tz=tz)
        return Response(
            {
                "status": "ok",
                "data": points,
                "meta": {
                    "range_type": range_type,
                    "metric_type": metric_type,
                    "timezone": tz_label(tz),
                },
            }
        )


class ActivityStatsView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                *DATE_RANGE,
                TIMEZONE,
                query("granularity", enum=["day", "month"]),
                REFRESH,
            ]
        )
    }

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        athlete = athlete_for(request)
        tz = athlete_tz(params, athlete)
        first, last = date_range(params)
        granularity = choice_param(params, "granularity", ["day", "month"], default="day") or "day"
        refresh = bool_param(params, "refresh")
        key = cache.activity_stats_key(athlete.public_id, first, last, tz_label(tz), granularity)
        return cached_response(
            key,
            cache.ANALYTICS_TTL,
            lambda: services.activity_stats(
                athlete,
                first=first,
                last=last,
                tz=tz,
                tz_name=tz_label(tz),
                granularity=granularity,
            ),
            refresh,
            request=request,
            deps=[cache.athlete(athlete.pk)],
        )


class HealthMetricsView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                *DATE_RANGE,
                query("granularity", enum=["day", "week", "month"]),
                REFRESH,
            ]
        )
    }

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        athlete = athlete_for(request)
        first, last = date_range(params)
        granularity = (
            choice_param(params, "granularity", ["day", "week", "month"], default="day") or "day"
        )
        refresh = bool_param(params, "refresh")
        key = cache.health_metrics_key(athlete.public_id, first, last, granularity)
        return cached_response(
            key,
            cache.ANALYTICS_TTL,
            lambda: services.health_metrics(
                athlete, first=first, last=last, granularity=granularity
            ),
            refresh,
            request=request,
            deps=[cache.athlete(athlete.pk)],
        )


class PersonalRecordsView(AnalyticsView):
    api_doc = {"get": ApiDoc(params=[USER_ID])}

    def get(self, request: Request) -> Response:
        athlete = athlete_for(request)
        return ok(records.cached_personal_records(athlete, today=local_today(athlete.tz)))


class PaceCurveView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(params=[USER_ID, query("days", integer(1, 3650), description="default 90")])
    }

    def get(self, request: Request) -> Response:
        athlete = athlete_for(request)
        days = int_param(request.query_params, "days", default=90, minimum=1, maximum=3650)
        return ok(records.cached_pace_curve(athlete, days=days or 90, now=timezone.now()))


class CalendarView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                query("from", OpenApiTypes.DATE, description="Default: this month's grid"),
                query("to", OpenApiTypes.DATE),
            ]
        )
    }

    def get(self, request: Request) -> Response:
        params = request.query_params
        athlete = athlete_for(request)
        today = local_today(athlete.tz)
        if "from" in params or "to" in params:
            first, last = date_range(params)
        else:
            first, last = calendar.month_grid(today)
        return ok(calendar.cached_calendar(athlete, first=first, last=last, today=today))


class CalendarWorkoutFileView(AnalyticsView):
    """A planned workout as a FIT workout file for the watch (API.md "Goals and plans")."""

    api_doc = {
        "get": ApiDoc(
            params=[
                USER_ID,
                query("date", OpenApiTypes.DATE, required=True),
                query(
                    "workout_id", integer(1, 2_147_483_647), description="Default: the day's first"
                ),
            ],
            response={"type": "string", "format": "binary"},
            media_type="application/vnd.ant.fit",
        )
    }

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        athlete = athlete_for(request)
        day = date_param(params, "date", required=True)
        assert day is not None  # noqa: S101 - required=True
        workout_id = int_param(params, "workout_id", minimum=1, maximum=2_147_483_647)
        name, data = workout_file(athlete, day, workout_id)
        response = HttpResponse(data, content_type="application/vnd.ant.fit")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RunningStreaksView(AnalyticsView):
    api_doc = {"post": ApiDoc(request=RunningStreaksSerializer)}

    def post(self, request: Request) -> Response:
        data = validated(RunningStreaksSerializer, request.data)
        athlete = resolve_athlete(caller_of(request), data.get("user_id"))
        days = data.get("days", 90)
        tz = zoneinfo.ZoneInfo(data["timezone"]) if "timezone" in data else athlete.tz
        return ok(services.running_streaks(athlete, days=days, tz=tz, today=local_today(tz)))


class SeriesView(AnalyticsView):
    """An answer computed from the athlete's daily series, cached per athlete version and day."""

    api_doc = {"get": ApiDoc(params=[USER_ID, REFRESH])}
    namespace = ""

    def compute(self, series: Any) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: Request) -> HttpResponse:
        athlete = athlete_for(request)
        tz = athlete.tz
        today = local_today(tz)
        key = cache.athlete_answer_key(self.namespace, athlete.public_id, tz_label(tz), today)
        return cached_response(
            key,
            cache.ANALYTICS_TTL,
            lambda: self.compute(load_series(athlete, tz=tz, today=today)),
            bool_param(request.query_params, "refresh"),
            request=request,
            deps=[cache.athlete(athlete.pk)],
            valid_until=next_local_midnight(tz),
        )


class ChartsView(SeriesView):
    namespace = "charts"

    def compute(self, series: Any) -> dict[str, Any]:
        return services.charts(series)


class SummaryView(SeriesView):
    namespace = "summary"

    def compute(self, series: Any) -> dict[str, Any]:
        return services.summary(series)


# Organization analytics ----------------------------------------------------------------


class AthleteProfileView(AnalyticsView):
    api_doc = {"get": ApiDoc(params=[USER_ID, REFRESH])}

    def get(self, request: Request) -> HttpResponse:
        athlete = athlete_for(request)
        refresh = bool_param(request.query_params, "refresh")
        today = local_today(athlete.tz)
        key = cache.athlete_profile_key(athlete.public_id, today)
        return cached_response(
            key,
            cache.PROFILE_TTL,
            lambda: roster.athlete_profile(athlete, refresh=refresh),
            refresh,
            request=request,
            deps=[cache.athlete(athlete.pk)],
            valid_until=next_local_midnight(athlete.tz),
        )


ROSTER_ORDERINGS = list(roster.ORDERINGS)


class CoachAthletesMetricsView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[
                ORG_ID,
                query("filter_by_coach", OpenApiTypes.BOOL),
                query("group_id", public_id("grp")),
                query("unassigned_only", OpenApiTypes.BOOL),
                query("search", text(100)),
                query("label", text(64)),
                query("assigned_coach_id", public_id("usr")),
                query(
                    "ordering",
                    enum=["display_name", "-last_activity", "-weekly_distance", "-attention"],
                ),
                *PAGINATION,
                query("no_cache", OpenApiTypes.BOOL),
            ]
        )
    }

    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        caller = caller_of(request)
        organization = default_coach_org(caller, str_param(params, "org_id", 32))
        page = page_from(params, default_per_page=200)
        filters = roster.roster_filters(
            organization,
            caller_user=caller.user,
            filter_by_coach=bool_param(params, "filter_by_coach"),
            group_id=str_param(params, "group_id", 32),
            unassigned_only=bool_param(params, "unassigned_only"),
            search=str_param(params, "search", 100),
            label=str_param(params, "label", 64),
            assigned_coach_id=str_param(params, "assigned_coach_id", 32),
            ordering=choice_param(params, "ordering", ROSTER_ORDERINGS, default="display_name")
            or "display_name",
        )
        no_cache = bool_param(params, "no_cache")
        # Cached by the quarter hour: a row's day, week and plan week follow each athlete's
        # clock, and every time zone's midnight falls on a quarter hour (UTC+5:45 included).
        slot = quarter_hour(timezone.now())
        key = cache.roster_key(
            caller.cache_identity(),
            organization.public_id,
            slot,
            filters.cache_parts(),
            page.number,
            page.per_page,
        )
        return cached_response(
            key,
            cache.ROSTER_TTL,
            lambda: roster.roster_page(organization, filters, page, raw_metrics=True),
            no_cache,
            request=request,
            deps=[cache.org(organization.pk)],
            valid_until=slot + timedelta(minutes=15),
        )


PERIODS = ["7", "14", "30", "custom"]


def viewer_today(request: Request) -> date:
    """Today for whoever asks about a whole club: the signed-in coach's local day (an API
    key has no place of its own: UTC)."""
    user = caller_of(request).user
    return local_today(user.tz if user is not None else UTC)


def period_range(params: Any, today: date) -> tuple[date, date]:
    period = choice_param(params, "period", PERIODS, default="7") or "7"
    if period == "custom":
        return date_range(params)
    date_param(params, "from")  # checked when sent, though only `custom` reads them
    date_param(params, "to")
    return today - timedelta(days=int(period) - 1), today


class GroupOverviewView(AnalyticsView):
    api_doc = {
        "get": ApiDoc(
            params=[ORG_ID, query("week", OpenApiTypes.DATE), query("group_id", public_id("grp"))]
        )
    }

    def get(self, request: Request) -> Response:
        params = request.query_params
        caller = caller_of(request)
        organization = default_coach_org(caller, str_param(params, "org_id", 32))
        today = viewer_today(request)
        week = date_param(params, "week", default=today)
        group = None
        group_id = str_param(params, "group_id", 32)
        if group_id:
            group = Group.objects.filter(public_id=group_id, organization=organization).first()
            if group is None:
                raise ApiError(
                    "No such group in this organization.", "NOT_FOUND", field="group_id", status=404
                )
        units = caller.user.units if caller.user else "metric"
        return ok(
            groups.group_overview(
                organization, week_start=iso_week_start(week), group=group, units=units, today=today
            )
        )


class GroupComparisonView(AnalyticsView):
    api_doc = {"get": ApiDoc(params=[ORG_ID, *PERIOD])}

    def get(self, request: Request) -> Response:
        params = request.query_params
        organization = default_coach_org(caller_of(request), str_param(params, "org_id", 32))
        first, last = period_range(params, viewer_today(request))
        return ok(groups.group_comparison(organization, first=first, last=last))


class GroupStatsView(AnalyticsView):
    api_doc = {"get": ApiDoc(params=[query("group_id", public_id("grp"), required=True), *PERIOD])}

    def get(self, request: Request) -> Response:
        params = request.query_params
        caller = caller_of(request)
        group_id = str_param(params, "group_id", 32)
        if not group_id:
            raise ApiError("group_id is required.", field="group_id")
        group = Group.objects.select_related("organization").filter(public_id=group_id).first()
        if group is None:
            raise ApiError("No such group.", "NOT_FOUND", field="group_id", status=404)
        if not can_coach(caller, group.organization):
            raise ApiError(
                "Only the organization's coaches may see this group.",
                "PERMISSION_DENIED",
                status=403,
            )
        first, last = period_range(params, viewer_today(request))
        return ok(groups.group_stats(group, first=first, last=last))


class PlansOverviewView(AnalyticsView):
    api_doc = {"get": ApiDoc(params=[ORG_ID])}

    def get(self, request: Request) -> Response:
        organization = default_coach_org(
            caller_of(request), str_param(request.query_params, "org_id", 32)
        )
        return ok(groups.plans_overview_cached(organization))
