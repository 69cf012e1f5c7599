"""Time zone and range parameters shared by the analytics endpoints (API.md §4)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone
from typing import Any

from astral.api.errors import ApiError
from astral.api.params import date_param, int_param, str_param, timezone_value
from astral.localtime import local_today as local_today  # re-exported for the views
from athletes.models import User

MAX_DATE_RANGE_DAYS = 400


def athlete_tz(params: Mapping[str, Any], athlete: User, *, allow_offset: bool = False) -> tzinfo:
    """`timezone` when given; else (legacy) `timezone_offset_minutes`; else the athlete's
    profile time zone, then UTC."""
    name = str_param(params, "timezone", 64)
    if name is not None:
        return timezone_value(name)
    if allow_offset:
        offset = int_param(params, "timezone_offset_minutes", minimum=-840, maximum=840)
        if offset is not None:
            return dt_timezone(timedelta(minutes=offset))
    return athlete.tz


def tz_label(tz: tzinfo) -> str:
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz.key
    return str(tz.tzname(None))


def date_range(params: Mapping[str, Any]) -> tuple[date, date]:
    """`from` and `to`, inclusive, `to` ≥ `from`, at most 400 days apart."""
    first = date_param(params, "from", required=True)
    last = date_param(params, "to", required=True)
    assert first is not None and last is not None  # noqa: S101 - required=True
    if last < first:
        raise ApiError("to must not be before from.", field="to")
    if (last - first).days > MAX_DATE_RANGE_DAYS:
        raise ApiError(f"to may be at most {MAX_DATE_RANGE_DAYS} days after from.", field="to")
    return first, last


def unix_param(params: Mapping[str, Any], name: str) -> datetime:
    value = int_param(params, name, required=True, minimum=0, maximum=32_503_680_000)
    return datetime.fromtimestamp(value or 0, tz=UTC)
