"""The athlete's planned workouts as an iCalendar feed, at a secret URL their phone's
calendar subscribes to (API.md "Goals and plans"; settings can reset the secret)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from analytics.plans import plans_of, standings_of
from analytics.workout_files import steps_in_words
from astral.localtime import MAX_DATE, local_today
from athletes.models import User
from metrics import plans as rule
from metrics.formatting import distance_in_units, format_duration

PAST = timedelta(weeks=4)  # what a subscribed calendar still shows of the weeks gone by


def calendar_token(user: User, *, reset: bool = False) -> str:
    """The feed's secret, made on first use; `reset` makes a new one (the old URL stops)."""
    if reset or not user.calendar_token:
        user.calendar_token = secrets.token_urlsafe(32)
        User.objects.filter(pk=user.pk).update(calendar_token=user.calendar_token)
    return user.calendar_token


def _summary(item: rule.Standing, unit_system: str) -> str:
    words = [item.workout.type.capitalize()]
    if item.distance:
        value, unit = distance_in_units(item.distance, unit_system)
        words.append(f"{value:.1f} {unit}")
    elif item.duration:
        words.append(format_duration(item.duration) or "")
    return " · ".join(words)


def ical_feed(athlete: User) -> bytes:
    # Imported here: a web worker that never writes a feed does not carry it (8 MB).
    from icalendar import Calendar, Event

    today = local_today(athlete.tz)
    instances = plans_of(athlete, today - PAST, MAX_DATE)
    rows = {row.pk: row for i in instances for row in i.plan.workouts.all()}
    names = {i.pk: i.plan.name for i in instances}
    feed = Calendar()
    feed.add("prodid", "-//Astral//Training calendar//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"Astral · {athlete.display_name or athlete.username}")
    for instance_pk, items in standings_of(instances).items():
        for item in items:
            if item.workout.rest or item.day < today - PAST:
                continue
            row = rows[item.key[1]]
            lines = steps_in_words(row.steps, athlete.units) if row.steps else []
            if row.note:
                lines.append(row.note)
            if item.status in ("done", "partial", "off", "missed"):
                lines.append(f"Status: {item.status}")
            event = Event()
            event.add("uid", f"workout-{row.pk}-{item.day.isoformat()}@astral")
            event.add("dtstamp", timezone.now())
            event.add("dtstart", item.day)
            event.add("dtend", item.day + timedelta(days=1))
            event.add("summary", _summary(item, athlete.units))
            event.add("description", "\n".join([names[instance_pk], *lines]))
            feed.add_component(event)
    return feed.to_ical()
