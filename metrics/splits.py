"""Splits of a run: per kilometre or mile, from its stored samples. The time at each split's
boundary is interpolated between the two samples around it, so a split is exactly 1 km (or
1 mile) long whatever the recording interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class Split:
    number: int
    distance: float  # m (the last split may be shorter)
    seconds: float
    avg_heart_rate: float | None  # time-weighted over the split
    elevation_change: float | None  # m, end minus start


def _at(target: float, d0: float, d1: float, v0: float, v1: float) -> float:
    """The value at distance `target` on the straight line between two samples."""
    if d1 == d0:
        return v1
    return v0 + (v1 - v0) * (target - d0) / (d1 - d0)


def _split(
    number: int,
    distance: float,
    seconds: float,
    hr_weighted: float,
    hr_time: float,
    start_altitude: float | None,
    end_altitude: float | None,
) -> Split:
    return Split(
        number=number,
        distance=distance,
        seconds=seconds,
        avg_heart_rate=hr_weighted / hr_time if hr_time > 0 else None,
        elevation_change=end_altitude - start_altitude
        if end_altitude is not None and start_altitude is not None
        else None,
    )


def splits(
    times: Sequence[float],
    distances: Sequence[float | None],
    heart_rates: Sequence[float | None] | None = None,
    altitudes: Sequence[float | None] | None = None,
    length: float = 1000.0,
) -> list[Split]:
    """Splits of `length` metres; samples without a distance are skipped."""
    points = [
        (
            float(t),
            float(d),
            (heart_rates[i] if heart_rates else None),
            (altitudes[i] if altitudes else None),
        )
        for i, (t, d) in enumerate(zip(times, distances, strict=False))
        if d is not None
    ]
    if len(points) < 2:
        return []
    out: list[Split] = []
    start_t, start_d = points[0][0], points[0][1]
    start_alt = points[0][3]
    hr_time = 0.0
    hr_weighted = 0.0
    boundary = start_d + length
    for (t0, d0, h0, a0), (t1, d1, _h1, a1) in pairwise(points):
        while d1 >= boundary:  # a boundary falls inside this interval
            t_b = _at(boundary, d0, d1, t0, t1)
            a_b = _at(boundary, d0, d1, a0, a1) if a0 is not None and a1 is not None else None
            if h0 is not None:
                hr_time += t_b - t0
                hr_weighted += h0 * (t_b - t0)
            out.append(
                _split(len(out) + 1, length, t_b - start_t, hr_weighted, hr_time, start_alt, a_b)
            )
            start_t, start_alt, t0, d0, a0 = t_b, a_b, t_b, boundary, a_b
            hr_time = hr_weighted = 0.0
            boundary += length
        if h0 is not None:
            hr_time += t1 - t0
            hr_weighted += h0 * (t1 - t0)
    last_t, last_d, _, last_alt = points[-1]
    rest = last_d - (boundary - length)
    if rest > 1:  # a partial last split, if more than a metre
        out.append(
            _split(len(out) + 1, rest, last_t - start_t, hr_weighted, hr_time, start_alt, last_alt)
        )
    return out
