"""What the activity page and `?include=` read of a run's samples, computed once when the run
is stored (and again when its sport changes), so a six-hour ultra of 20,000 samples is read
as fast as a 5K: the chart series reduced by LTTB, the splits per km and per mile, and the
route's points."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from metrics.efforts import lttb
from metrics.splits import splits
from metrics.units import METERS_PER_MILE

SERIES_POINTS = 1000
ROUTE_POINTS = 800
SPEED_WINDOW_S = 10.0  # pace from the distance covered over 10 s around each sample
STOPPED_SPEED_M_S = 0.5
Array = npt.NDArray[np.float64]


def _column(values: list[Any], factor: float = 1.0) -> Array:
    return np.array([np.nan if v is None else float(v) * factor for v in values], dtype=np.float64)


def _speeds(times: Array, distances: Array) -> Array:
    """m/s at each sample: distance over the `SPEED_WINDOW_S` around it (interpolated)."""
    half = SPEED_WINDOW_S / 2
    low = np.clip(times - half, times[0], times[-1])
    high = np.clip(times + half, times[0], times[-1])
    span = np.where(high > low, high - low, np.nan)
    result: Array = (np.interp(high, times, distances) - np.interp(low, times, distances)) / span
    return result


def chart_series(columns: dict[str, list[Any]], *, cadence_factor: float = 1.0) -> dict[str, Any]:
    """Pace (s/km), heart rate, elevation and cadence over distance and time, each reduced
    to at most `SERIES_POINTS` points that keep its shape. A heart rate of 0 is no reading;
    cadence is multiplied by `cadence_factor` (2 turns a run's strides into steps)."""
    times = columns.get("t") or []
    if len(times) < 2:
        return {}
    t = _column(times)
    d = _column(columns.get("distance") or [None] * len(times))
    has_d = ~np.isnan(d)
    values: dict[str, Array] = {}
    if has_d.sum() >= 2:
        d = np.interp(t, t[has_d], np.maximum.accumulate(d[has_d]))
        speed = _speeds(t, d)
        with np.errstate(divide="ignore", invalid="ignore"):
            values["pace"] = np.where(speed >= STOPPED_SPEED_M_S, 1000.0 / speed, np.nan)
    for name, factor in (("heart_rate", 1.0), ("altitude", 1.0), ("cadence", cadence_factor)):
        column = columns.get(name)
        if column and any(v is not None for v in column):
            raw = _column(column, factor)
            if name == "heart_rate":
                raw[raw <= 0] = np.nan
            values[name] = raw
    x_axis = d if has_d.sum() >= 2 else t
    out: dict[str, Any] = {}
    for name, line in values.items():
        keep = np.flatnonzero(~np.isnan(line))
        if keep.size < 2:
            continue
        chosen = keep[lttb(x_axis[keep].tolist(), line[keep].tolist(), SERIES_POINTS)]
        out[name] = {
            "t": np.round(t[chosen], 1).tolist(),
            "distance": np.round(d[chosen], 1).tolist() if has_d.sum() >= 2 else None,
            "value": np.round(line[chosen], 1).tolist(),
        }
    return out


def split_table(columns: dict[str, list[Any]], length: float) -> list[dict[str, Any]]:
    """Splits of `length` metres; pace in seconds per that length."""
    rows = splits(
        columns.get("t", []),
        columns.get("distance") or [],
        columns.get("heart_rate"),
        columns.get("altitude"),
        length=length,
    )
    return [
        {
            "number": s.number,
            "distance": round(s.distance, 1),
            "seconds": round(s.seconds, 1),
            "pace": round(s.seconds / (s.distance / length), 1) if s.distance else None,
            "avg_heart_rate": round(s.avg_heart_rate, 1) if s.avg_heart_rate else None,
            "elevation_change": round(s.elevation_change, 1)
            if s.elevation_change is not None
            else None,
        }
        for s in rows
    ]


def route_track(columns: dict[str, list[Any]]) -> dict[str, list[float]]:
    """At most `ROUTE_POINTS` of the GPS track, evenly spread (a line, not a chart)."""
    pairs = [
        (lat, lon)
        for lat, lon in zip(columns.get("lat") or [], columns.get("lon") or [], strict=False)
        if lat is not None and lon is not None
    ]
    if len(pairs) > ROUTE_POINTS:
        step = len(pairs) / ROUTE_POINTS
        pairs = [pairs[int(i * step)] for i in range(ROUTE_POINTS)] + [pairs[-1]]
    return {"lat": [round(p[0], 6) for p in pairs], "lon": [round(p[1], 6) for p in pairs]}


def stream_views(columns: dict[str, list[Any]], *, cadence_factor: float = 1.0) -> dict[str, Any]:
    return {
        "series": chart_series(columns, cadence_factor=cadence_factor),
        "splits": {"km": split_table(columns, 1000.0), "mi": split_table(columns, METERS_PER_MILE)},
        "route": route_track(columns),
    }
