"""Running economy: VDOT (Daniels & Gilbert, *Oxygen Power*, 1979). METRICS.md §1."""

from __future__ import annotations

import math

MARATHON_M = 42195.0


def oxygen_cost(speed_m_per_min: float) -> float:
    """VO2 (ml/kg/min) of running at a speed in m/min."""
    v = speed_m_per_min
    return -4.60 + 0.182258 * v + 0.000104 * v * v


def sustainable_fraction(minutes: float) -> float:
    """Fraction of VO2max that can be held for a race of this many minutes."""
    return (
        0.8 + 0.1894393 * math.exp(-0.012778 * minutes) + 0.2989558 * math.exp(-0.1932605 * minutes)
    )


def vdot_from_race(distance_m: float, seconds: float) -> float:
    minutes = seconds / 60.0
    return oxygen_cost(distance_m / minutes) / sustainable_fraction(minutes)


def speed_at_oxygen_cost(vo2: float) -> float:
    """Inverse of `oxygen_cost`: the speed in m/min that costs this VO2."""
    return (-0.182258 + math.sqrt(0.182258**2 + 4 * 0.000104 * (4.60 + vo2))) / 0.000208


def predict_race_seconds(vdot: float, distance_m: float) -> float:
    """Solves VO2(d/t) = VDOT·F(t) for t by bisection; returns seconds."""
    low, high = 1.0, 24 * 60.0  # minutes
    for _ in range(100):
        mid = (low + high) / 2
        # Too slow a time leaves the oxygen cost under what the runner can sustain.
        if oxygen_cost(distance_m / mid) > vdot * sustainable_fraction(mid):
            low = mid
        else:
            high = mid
    return (low + high) / 2 * 60.0


def pace_seconds_per_km(speed_m_per_min: float) -> float:
    return 60_000.0 / speed_m_per_min


def training_paces(vdot: float) -> dict[str, float]:
    """Training paces in seconds per km: easy, marathon, threshold, interval."""
    return {
        "E": pace_seconds_per_km(speed_at_oxygen_cost(0.67 * vdot)),
        "M": predict_race_seconds(vdot, MARATHON_M) / (MARATHON_M / 1000.0),
        "T": pace_seconds_per_km(speed_at_oxygen_cost(0.88 * vdot)),
        "I": pace_seconds_per_km(speed_at_oxygen_cost(0.975 * vdot)),
    }


PACE_ZONE_FRACTIONS = (0.74, 0.84, 0.92, 1.00)


def pace_zone_boundaries(vdot: float) -> list[int]:
    """The 4 boundary paces (s/km, strictly decreasing) at 74/84/92/100 % of VDOT."""
    return [
        round(pace_seconds_per_km(speed_at_oxygen_cost(fraction * vdot)))
        for fraction in PACE_ZONE_FRACTIONS
    ]
