"""Pace and heart-rate zones, and time in zone. METRICS.md §2."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import NamedTuple

from metrics.vdot import pace_zone_boundaries

STOPPED_SPEED_M_S = 0.5
DEFAULT_MAX_HR = 190
DEFAULT_RESTING_HR = 60
HR_ZONE_PERCENTS = (0.60, 0.70, 0.80, 0.90, 1.00)


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def effective_max_hr(max_hr: float | None, birth_date: date | None, today: date) -> float:
    """Max HR when set; else Tanaka (208 − 0.7·age) from the birth date; else 190."""
    if max_hr:
        return float(max_hr)
    if birth_date:
        return 208 - 0.7 * age_on(birth_date, today)
    return float(DEFAULT_MAX_HR)


def effective_resting_hr(
    recent_readings: Sequence[float], profile_resting_hr: float | None
) -> float:
    """Median of the last 7 days' readings, else the profile's, else 60."""
    if recent_readings:
        return float(statistics.median(recent_readings))
    if profile_resting_hr:
        return float(profile_resting_hr)
    return float(DEFAULT_RESTING_HR)


def default_hr_zones(max_hr: float) -> list[int]:
    return [round(max_hr * p) for p in HR_ZONE_PERCENTS]


def effective_pace_zones(
    pace_zones: Sequence[float] | None, vdot: float | None
) -> list[float] | None:
    """The user's own 4 boundaries, else those derived from the VDOT, else None."""
    if pace_zones:
        return [float(p) for p in pace_zones]
    if vdot:
        return [float(p) for p in pace_zone_boundaries(vdot)]
    return None


def pace_zone_of(pace_s_per_km: float, boundaries: Sequence[float]) -> int:
    """1-based zone: Z1 slower than the first boundary … Z5 faster than the last."""
    zone = 1
    for boundary in boundaries:
        if pace_s_per_km < boundary:
            zone += 1
        else:
            break
    return zone


def hr_zone_of(heart_rate: float, upper_bounds: Sequence[float]) -> int:
    """1-based zone from 5 ascending upper bounds; above the last bound is still Z5."""
    for index, bound in enumerate(upper_bounds[:4]):
        if heart_rate < bound:
            return index + 1
    return 5


class Sample(NamedTuple):
    """One moment of a run (a tuple: a run holds thousands, made on every import)."""

    t: float
    distance: float | None = None
    heart_rate: float | None = None


@dataclass(frozen=True)
class ZoneTimes:
    """None for a kind of zone that cannot be known: pace without pace zones, HR without
    any heart rate (METRICS.md §2)."""

    pace: tuple[float, float, float, float, float] | None
    hr: tuple[float, float, float, float, float] | None


def _zero() -> list[float]:
    return [0.0] * 5


def zone_times(
    *,
    samples: Sequence[Sample],
    duration: float,
    distance: float,
    avg_heart_rate: float | None,
    pace_boundaries: Sequence[float] | None,
    hr_bounds: Sequence[float],
) -> ZoneTimes:
    """Seconds in each pace and HR zone.

    With samples each interval goes to the zone of its own pace (Δt/Δd) or heart rate;
    intervals slower than 0.5 m/s are stopped time. Without samples (or without HR in them)
    the whole moving duration goes to the zone of the average pace (and average HR). Pace
    times are None without pace zones, HR times None without any heart rate; 0 bpm is no
    reading (METRICS.md §7).
    """
    pace = _zero()
    hr = _zero()
    has_hr = False
    usable = [s for s in samples if s.distance is not None]
    if len(usable) >= 2:
        moving_total = 0.0
        for prev, cur in pairwise(usable):
            dt = cur.t - prev.t
            dd = (cur.distance or 0.0) - (prev.distance or 0.0)
            if dt <= 0 or dd / dt < STOPPED_SPEED_M_S:
                continue
            moving_total += dt
            if pace_boundaries:
                pace[pace_zone_of(dt / dd * 1000.0, pace_boundaries) - 1] += dt
            heart_rate = prev.heart_rate if prev.heart_rate else cur.heart_rate
            if heart_rate:
                has_hr = True
                hr[hr_zone_of(heart_rate, hr_bounds) - 1] += dt
        # Timer time is the truth for the total; spread any difference proportionally so
        # the five pace-zone times add up to the moving duration.
        if pace_boundaries and moving_total > 0 and duration > 0:
            scale = duration / moving_total
            pace = [p * scale for p in pace]
    elif pace_boundaries and distance > 0 and duration > 0:
        pace[pace_zone_of(duration / distance * 1000.0, pace_boundaries) - 1] = duration
    if not has_hr and avg_heart_rate and duration > 0:
        has_hr = True
        hr[hr_zone_of(avg_heart_rate, hr_bounds) - 1] = duration
    return ZoneTimes(
        tuple(pace) if pace_boundaries else None,  # type: ignore[arg-type]
        tuple(hr) if has_hr else None,  # type: ignore[arg-type]
    )
