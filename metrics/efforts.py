"""Best efforts and the pace curve of a run, from its stored samples. METRICS.md has no
formula for them yet; the rules, written here once:

- A **best effort** over a standard distance L is the shortest time in which the run covered
  L metres, over every window [s, s + L] of its distance. Time at a distance between two
  samples is interpolated on the straight line between them. The window's time is a
  piecewise-linear function of where it starts, so its minimum lies where one end sits on a
  sample: every window starting at a sample and every window ending at one is tried, nothing
  else needs to be. Time is the clock between the window's ends (a pause inside it counts,
  as on a watch's "best 5 km").
- The **pace curve** (mean-maximal pace) holds, for each duration W of `CURVE_SECONDS`, the
  largest distance covered in any W seconds of the run, as a speed (m/s). Distance at a time
  between two samples is interpolated, and the maximum again lies where one end of the
  window sits on a sample.
- A run without samples (entered by hand) has a best effort only when its whole distance is
  a standard distance within 1 %, and then its moving time is the effort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from metrics.units import METERS_PER_MILE

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StandardDistance:
    key: str
    label: str
    meters: float


STANDARD_DISTANCES = (
    StandardDistance("400m", "400 m", 400.0),
    StandardDistance("1k", "1 km", 1000.0),
    StandardDistance("1mi", "1 mile", METERS_PER_MILE),
    StandardDistance("5k", "5 km", 5000.0),
    StandardDistance("10k", "10 km", 10000.0),
    StandardDistance("half", "Half marathon", 21097.5),
    StandardDistance("marathon", "Marathon", 42195.0),
)
BY_KEY = {d.key: d for d in STANDARD_DISTANCES}
WHOLE_RUN_TOLERANCE = 0.01

# 30 s to 3 h: closer together where runners race (a few minutes to an hour).
CURVE_SECONDS = (
    30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 420, 480, 600, 720, 900, 1200, 1500, 1800,
    2100, 2400, 2700, 3000, 3600, 4200, 4800, 5400, 6300, 7200, 8100, 9000, 9900, 10800,
)  # fmt: skip


@dataclass(frozen=True)
class Effort:
    key: str
    distance: float  # m
    seconds: float
    start_offset: float  # seconds from the run's start to the window's start


def clean_stream(
    times: Sequence[float | None], distances: Sequence[float | None]
) -> tuple[Array, Array]:
    """The samples having both a time and a distance, in time order, distance never falling
    (a GPS distance that steps back is held where it was)."""
    pairs = [
        (float(t), float(d))
        for t, d in zip(times, distances, strict=False)
        if t is not None and d is not None
    ]
    if len(pairs) < 2:
        return np.empty(0), np.empty(0)
    data = np.array(pairs, dtype=np.float64)
    data = data[np.argsort(data[:, 0], kind="stable")]
    return data[:, 0], np.maximum.accumulate(data[:, 1])


def _fastest_window(t: Array, d: Array, length: float) -> tuple[float, float] | None:
    """(seconds, start time) of the fastest `length` metres, or None when the run is shorter."""
    if d.size < 2 or d[-1] - d[0] < length:
        return None
    # Windows starting at a sample: the end is the first moment distance reaches d_i + L.
    starts = np.flatnonzero(d + length <= d[-1])
    target = d[starts] + length
    j = np.searchsorted(d, target, side="left")  # d[j-1] < target <= d[j]
    j = np.maximum(j, 1)
    span = d[j] - d[j - 1]
    safe = np.where(span > 0, span, 1.0)
    end_t = np.where(span > 0, t[j - 1] + (t[j] - t[j - 1]) * (target - d[j - 1]) / safe, t[j])
    from_starts = end_t - t[starts]
    # Windows ending at a sample: the start is the last moment distance was d_j - L.
    ends = np.flatnonzero(d - length >= d[0])
    target = d[ends] - length
    k = np.searchsorted(d, target, side="right")  # d[k-1] <= target < d[k]
    k = np.minimum(k, d.size - 1)
    span = d[k] - d[k - 1]
    safe = np.where(span > 0, span, 1.0)
    start_t = np.where(
        span > 0, t[k - 1] + (t[k] - t[k - 1]) * (target - d[k - 1]) / safe, t[k - 1]
    )
    from_ends = t[ends] - start_t
    best_start = int(np.argmin(from_starts))
    best_end = int(np.argmin(from_ends))
    if from_starts[best_start] <= from_ends[best_end]:
        return float(from_starts[best_start]), float(t[starts[best_start]])
    return float(from_ends[best_end]), float(start_t[best_end])


def best_efforts(
    times: Sequence[float | None],
    distances: Sequence[float | None],
    *,
    whole_distance: float,
    whole_seconds: float,
) -> list[Effort]:
    """The run's fastest window for every standard distance it covers."""
    t, d = clean_stream(times, distances)
    out: list[Effort] = []
    if d.size >= 2:
        for standard in STANDARD_DISTANCES:
            found = _fastest_window(t, d, standard.meters)
            if found is not None and found[0] > 0:
                out.append(Effort(standard.key, standard.meters, found[0], found[1]))
        return out
    for standard in STANDARD_DISTANCES:  # no samples: the whole run, if it is a standard
        if abs(whole_distance - standard.meters) <= WHOLE_RUN_TOLERANCE * standard.meters:
            out.append(Effort(standard.key, standard.meters, whole_seconds, 0.0))
    return out


def pace_curve(
    times: Sequence[float | None], distances: Sequence[float | None]
) -> list[float | None]:
    """Best average speed (m/s) for each duration of `CURVE_SECONDS`; None where the run is
    shorter than the duration."""
    t, d = clean_stream(times, distances)
    if t.size < 2:
        return [None] * len(CURVE_SECONDS)
    # Several samples at one time: keep the farthest (distance never falls, so the last).
    last = np.append(t[1:] != t[:-1], True)
    t, d = t[last], d[last]
    out: list[float | None] = []
    for seconds in CURVE_SECONDS:
        if t.size < 2 or t[-1] - t[0] < seconds:
            out.append(None)
            continue
        starts = t[t + seconds <= t[-1]]
        ends = t[t - seconds >= t[0]]
        forward = np.interp(starts + seconds, t, d) - np.interp(starts, t, d)
        backward = np.interp(ends, t, d) - np.interp(ends - seconds, t, d)
        best = max(float(forward.max(initial=0.0)), float(backward.max(initial=0.0)))
        out.append(round(best / seconds, 4) if best > 0 else None)
    return out


SMALL_BUCKET = 16  # points a bucket's largest triangle is found among in plain Python


def lttb(x: Sequence[float], y: Sequence[float], threshold: int) -> list[int]:
    """Largest-Triangle-Three-Buckets (Steinarsson, 2013): the indices of at most `threshold`
    points that keep a line's visible shape (peaks and dips survive, unlike every n-th).

    The first and last points are kept; the others fall into `threshold - 2` buckets, and
    each bucket keeps the point making the largest triangle with the point kept before it
    and the average of the next bucket (averages computed at once from cumulative sums)."""
    n = len(x)
    if threshold >= n or threshold < 3:
        return list(range(n))
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    edges = np.linspace(1, n - 1, threshold - 1).astype(int)
    lo, hi = edges[:-1], edges[1:]
    next_lo = np.append(lo[1:], n - 1)
    next_hi = np.append(hi[1:], n)
    cum_x = np.concatenate(([0.0], np.cumsum(xs)))
    cum_y = np.concatenate(([0.0], np.cumsum(ys)))
    count = next_hi - next_lo
    avg_x = ((cum_x[next_hi] - cum_x[next_lo]) / count).tolist()
    avg_y = ((cum_y[next_hi] - cum_y[next_lo]) / count).tolist()
    x_list, y_list = xs.tolist(), ys.tolist()
    chosen = [0]
    a = 0
    for b, (start, stop) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        if stop - start == 1:  # one point: nothing to choose
            a = start
        elif stop - start <= SMALL_BUCKET:  # the same arithmetic, without numpy's call cost
            ax, ay, cx, cy = x_list[a], y_list[a], avg_x[b], avg_y[b]
            best = -1.0
            for i in range(start, stop):
                area = abs((ax - cx) * (y_list[i] - ay) - (ax - x_list[i]) * (cy - ay))
                if area > best:
                    best, a = area, i
        else:
            ax, ay, cx, cy = x_list[a], y_list[a], avg_x[b], avg_y[b]
            area = np.abs((ax - cx) * (ys[start:stop] - ay) - (ax - xs[start:stop]) * (cy - ay))
            a = start + int(area.argmax())
        chosen.append(a)
    chosen.append(n - 1)
    return chosen
