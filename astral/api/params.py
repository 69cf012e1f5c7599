"""Query and body parameter parsing: a bad value is a 400 naming the parameter."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from astral.api.errors import ApiError
from astral.localtime import MAX_DATE, MIN_DATE, place_zone

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def _raw(params: Mapping[str, Any], name: str) -> Any:
    """The value as sent; a parameter sent empty (`?user_id=`) is a 400, as the schema says
    (no parameter allows an empty value): leave out what you do not mean."""
    value = params.get(name)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise ApiError(f"{name} is empty: give a value or leave it out.", field=name)
    return value


def int_param(
    params: Mapping[str, Any],
    name: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    required: bool = False,
) -> int | None:
    raw = _raw(params, name)
    if raw is None or raw == "":
        if required:
            raise ApiError(f"{name} is required.", field=name)
        return default
    if isinstance(raw, bool):
        raise ApiError(f"{name} must be an integer.", field=name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ApiError(f"{name} must be an integer.", field=name) from None
    if isinstance(raw, float) and raw != value:
        raise ApiError(f"{name} must be an integer.", field=name)
    if minimum is not None and value < minimum:
        raise ApiError(f"{name} must be at least {minimum}.", field=name)
    if maximum is not None and value > maximum:
        raise ApiError(f"{name} must be at most {maximum}.", field=name)
    return value


def bool_param(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    raw = _raw(params, name)
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise ApiError(f"{name} must be true or false (1 or 0).", field=name)


def choice_param(
    params: Mapping[str, Any], name: str, choices: Sequence[str], default: str | None = None
) -> str | None:
    raw = _raw(params, name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise ApiError(f"{name} must be one of: {', '.join(choices)}.", field=name)
    return str(raw)


def date_param(
    params: Mapping[str, Any], name: str, *, required: bool = False, default: date | None = None
) -> date | None:
    raw = _raw(params, name)
    if raw is None or raw == "":
        if required:
            raise ApiError(f"{name} is required (YYYY-MM-DD).", field=name)
        return default
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise ApiError(f"{name} must be a date in YYYY-MM-DD format.", field=name) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ApiError(
            f"{name} must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.",
            field=name,
        )
    return day


def instant_param(params: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO 8601 instant with its offset (`2026-11-20T13:00:00Z`); None when absent."""
    raw = _raw(params, name)
    if raw is None or raw == "":
        return None
    try:
        if not isinstance(raw, str) or len(raw) > 40:
            raise ValueError
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(
            f"{name} must be an ISO 8601 instant with its offset, e.g. 2026-11-20T13:00:00Z.",
            field=name,
        ) from None
    if not MIN_DATE <= moment.date() <= MAX_DATE:
        raise ApiError(f"{name} must lie between 1900 and 2199.", field=name)
    return moment


def timezone_value(name: str, field: str = "timezone") -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > 64:
        raise ApiError("timezone must be an IANA time zone name.", field=field)
    zone = place_zone(name)
    if zone is None:
        raise ApiError(f"Unknown time zone: {name}.", field=field)
    return zone


def str_param(params: Mapping[str, Any], name: str, max_length: int = 200) -> str | None:
    raw = _raw(params, name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ApiError(f"{name} must be a string.", field=name)
    if len(raw) > max_length or "\x00" in raw:
        raise ApiError(f"{name} is too long or malformed.", field=name)
    return raw
