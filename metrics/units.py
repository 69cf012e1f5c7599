"""The one place for unit conversion: metres are stored, a viewer reads km or miles."""

from __future__ import annotations

METERS_PER_KM = 1000.0
METERS_PER_MILE = 1609.344


def meters_per_unit(unit_system: str) -> float:
    """The metres in the viewer's distance unit: a mile for `imperial`, else a kilometre."""
    return METERS_PER_MILE if unit_system == "imperial" else METERS_PER_KM
