"""One notion of "today" and of local dates: what a person reads is always a date in their
own time zone, never the UTC date. Instants are compared in UTC; days are local."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from django.utils import timezone


def local_today(tz: tzinfo) -> date:
    """Today's date where the athlete is."""
    return timezone.now().astimezone(tz).date()


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The calendar date an instant falls on in a time zone (a run at 18:12 in Chicago on the
    25th is the 25th, though it is already the 26th in UTC)."""
    return instant.astimezone(tz).date()


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant a local day starts (DST-safe: a local day may last 23 or 25 hours)."""
    return datetime.combine(day, time.min, tzinfo=tz)
