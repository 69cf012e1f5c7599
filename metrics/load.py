"""Training load: Banister TRIMP on one scale for every activity. METRICS.md §3."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from metrics.vdot import oxygen_cost
from metrics.zones import STOPPED_SPEED_M_S, Sample

DEFAULT_VDOT = 40.0
RESTING_VO2 = 3.5


def _coefficients(sex: str | None) -> tuple[float, float]:
    return (0.86, 1.67) if sex == "female" else (0.64, 1.92)


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def trimp(minutes: float, intensity: float, sex: str | None) -> float:
    """One Banister term: minutes · x · a · e^(b·x), x clamped to [0, 1]."""
    a, b = _coefficients(sex)
    x = _clamp(intensity)
    return minutes * x * a * math.exp(b * x)


def hr_intensity(heart_rate: float, resting_hr: float, max_hr: float) -> float:
    if max_hr <= resting_hr:
        return 0.0
    return (heart_rate - resting_hr) / (max_hr - resting_hr)


def pace_intensity(speed_m_per_min: float, vdot: float | None) -> float:
    athlete_vdot = vdot or DEFAULT_VDOT
    return (oxygen_cost(speed_m_per_min) - RESTING_VO2) / (athlete_vdot - RESTING_VO2)


def training_load(
    *,
    duration: float,
    distance: float,
    avg_heart_rate: float | None,
    samples: Sequence[Sample],
    resting_hr: float,
    max_hr: float,
    vdot: float | None,
    sex: str | None,
) -> float:
    """Load of one activity, rounded to one decimal."""
    hr_samples = [s for s in samples if s.heart_rate is not None]
    if len(hr_samples) >= 2:
        total = 0.0
        for prev, cur in pairwise(hr_samples):
            dt = cur.t - prev.t
            if dt <= 0:
                continue
            moved = (
                None
                if prev.distance is None or cur.distance is None
                else (cur.distance - prev.distance) / dt
            )
            if moved is not None and moved < STOPPED_SPEED_M_S:
                continue  # stopped: moving time only
            total += trimp(dt / 60.0, hr_intensity(prev.heart_rate or 0, resting_hr, max_hr), sex)
        return round(total, 1)
    minutes = duration / 60.0
    if avg_heart_rate is not None:
        return round(trimp(minutes, hr_intensity(avg_heart_rate, resting_hr, max_hr), sex), 1)
    if distance <= 0 or duration <= 0:
        return 0.0
    return round(trimp(minutes, pace_intensity(distance / minutes, vdot), sex), 1)


def calories_estimate(distance_m: float, weight_kg: float | None) -> float:
    """1.0 kcal × weight (kg) × distance (km); 70 kg when the weight is unknown."""
    return round((weight_kg or 70.0) * distance_m / 1000.0)
