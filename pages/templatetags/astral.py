"""Template filters: distances in the viewer's units, percentages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def distance(meters: float | None, units: Any) -> str:
    """`{{ meters|distance:units }}` with `units` the page's `Units`."""
    return units.distance(meters)


@register.filter
def km(meters: float | None, units: Any) -> str:
    """`{{ meters|km:units }}`: the bare number in the viewer's unit (for compact cells)."""
    return f"{units.value(meters):.0f}"


@register.filter
def percent(fraction: float | None) -> str:
    if fraction is None:
        return "–"
    return f"{fraction * 100:.0f}%"


LABELS = {
    "hr_zones": "HR zones",
    "vdot": "VDOT",
    "pace_zones": "Pace zones",
    "unit_system": "Unit system",
}


@register.filter
def label(key: str) -> str:
    """A machine key as people read it: `hr_zones` -> "HR zones"."""
    return LABELS.get(key, key.replace("_", " ").capitalize())


@register.filter
def pace(per_km: str | None, units: Any) -> str:
    """`{{ "5:00"|pace:units }}`: a per-km pace in the viewer's units ("8:03 /mi")."""
    if not per_km:
        return "–"
    minutes, seconds = per_km.split(":")
    return units.pace(int(minutes) * 60 + int(seconds), 1000.0)


@register.filter
def sport_name(sport: str | None) -> str:
    """`trail_run` as people read it: "Trail run"."""
    return (sport or "other").replace("_", " ").capitalize()
