"""One notion of "today" and of local dates: what a person reads is always a date in their
own time zone, never the UTC date. Instants are compared in UTC; days are local."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from typing import Any

from django.utils import timezone

# Every date a person enters lies here, and no day boundary of these overflows.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
# Names in the time-zone database that are not a place (the machine's own zone, a rule
# file, a placeholder): a person cannot live there.
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def places() -> frozenset[str]:
    """Every time zone name Astral accepts: IANA places (and UTC), not legacy aliases."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


def place_zone(name: object) -> zoneinfo.ZoneInfo | None:
    """The IANA zone of a place by its name (`Europe/Paris`, `UTC`), or None."""
    if not isinstance(name, str) or name not in places():
        return None
    return zoneinfo.ZoneInfo(name)


def local_today(tz: tzinfo) -> date:
    """Today's date where the athlete is."""
    return timezone.now().astimezone(tz).date()


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The calendar date an instant falls on in a time zone (a run at 18:12 in Chicago on the
    25th is the 25th, though it is already the 26th in UTC)."""
    return instant.astimezone(tz).date()


def utc_text(instant: datetime) -> str:
    """An instant as the API writes every one: UTC with `Z` ("2026-11-20T13:00:00Z"), the
    same whether rendered now or kept as text in a snapshot."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant a local day starts (DST-safe: a local day may last 23 or 25 hours)."""
    return datetime.combine(day, time.min, tzinfo=tz)


def quarter_hour(instant: datetime) -> datetime:
    """The quarter hour an instant falls in: every time zone's midnight is on one (UTC+5:45
    included), so an answer that follows athletes' days is right until the next."""
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def local_start(instant: datetime, tz: tzinfo, viewer_tz: tzinfo) -> str:
    """When an activity started, where the athlete was: "Tue 24 Nov 2026, 07:12", with the
    zone named when it is not the viewer's."""
    local = instant.astimezone(tz)
    text = f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
    if str(tz) != str(viewer_tz):
        text += f" ({tz})"
    return text


class StaffTimeZoneMiddleware:
    """Pages and the admin show (and the admin reads) times in the viewer's own time zone
    (their profile's), not UTC: a comment's time, an admin's date field. The API answers
    in UTC as API.md says; dates of an athlete's days are computed in the athlete's zone by
    the pages themselves."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        user = getattr(request, "user", None)
        if not request.path.startswith("/api/") and user is not None and user.is_authenticated:
            with timezone.override(place_zone(user.timezone) or zoneinfo.ZoneInfo("UTC")):
                return self.get_response(request)
        return self.get_response(request)
