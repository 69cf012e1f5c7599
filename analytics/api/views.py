"""Analytics endpoints (API.md §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import services
from analytics.series import load_series
from analytics.timeparams import athlete_tz, date_range, local_today, tz_label, unix_param
from astral import cache
from astral.api.errors import ApiError
from astral.api.params import bool_param, choice_param, int_param
from astral.api.responses import envelope_bytes, ok, raw_json
from athletes.models import User
from organizations.access import caller_of, resolve_athlete

MAX_RUNNING_STATS_SPAN = timedelta(days=365)
MAX_FUTURE = timedelta(days=7)


def athlete_for(request: Request, params: Any = None) -> User:
    params = request.query_params if params is None else params
    return resolve_athlete(caller_of(request), params.get("user_id"))


def cached_response(key: str, ttl: int, compute: Any, refresh: bool) -> HttpResponse:
    return raw_json(cache.cached_bytes(key, ttl, lambda: envelope_bytes(compute()), refresh))


class FitnessStatsView(APIView):
    def get(self, request: Request) -> Response:
        athlete = athlete_for(request)
        days = int_param(request.query_params, "days", default=30, minimum=1, maximum=365)
        tz = athlete_tz(request.query_params, athlete)
        return ok(services.fitness_stats(athlete, days=days or 30, tz=tz, today=local_today(tz)))


class RunningStatsView(APIView):
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


class ActivityStatsView(APIView):
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        athlete = athlete_for(request)
        tz = athlete_tz(params, athlete)
        first, last = date_range(params)
        granularity = choice_param(params, "granularity", ["day", "month"], default="day") or "day"
        refresh = bool_param(params, "refresh")
        key = cache.make_key(
            "activity_stats",
            athlete.public_id,
            athlete.data_version,
            params={"from": first, "to": last, "tz": tz_label(tz), "g": granularity},
        )
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
        )


class HealthMetricsView(APIView):
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        athlete = athlete_for(request)
        first, last = date_range(params)
        granularity = (
            choice_param(params, "granularity", ["day", "week", "month"], default="day") or "day"
        )
        refresh = bool_param(params, "refresh")
        key = cache.make_key(
            "health_metrics",
            athlete.public_id,
            athlete.data_version,
            params={"from": first, "to": last, "g": granularity},
        )
        return cached_response(
            key,
            cache.ANALYTICS_TTL,
            lambda: services.health_metrics(
                athlete, first=first, last=last, granularity=granularity
            ),
            refresh,
        )


class RunningStreaksView(APIView):
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            raise ApiError("Expected a JSON object.", field=None)
        athlete = resolve_athlete(caller_of(request), body.get("user_id"))
        days = int_param(body, "days", default=90, minimum=1, maximum=365)
        tz = athlete_tz(body, athlete)
        return ok(services.running_streaks(athlete, days=days or 90, tz=tz, today=local_today(tz)))


class ChartsView(APIView):
    def get(self, request: Request) -> HttpResponse:
        athlete = athlete_for(request)
        tz = athlete.tz
        today = local_today(tz)
        key = cache.make_key("charts", athlete.public_id, athlete.data_version, tz_label(tz), today)
        return cached_response(
            key,
            cache.ANALYTICS_TTL,
            lambda: services.charts(load_series(athlete, tz=tz, today=today)),
            bool_param(request.query_params, "refresh"),
        )


class SummaryView(APIView):
    def get(self, request: Request) -> HttpResponse:
        athlete = athlete_for(request)
        tz = athlete.tz
        today = local_today(tz)
        key = cache.make_key(
            "summary", athlete.public_id, athlete.data_version, tz_label(tz), today
        )
        return cached_response(
            key,
            cache.ANALYTICS_TTL,
            lambda: services.summary(load_series(athlete, tz=tz, today=today)),
            bool_param(request.query_params, "refresh"),
        )
