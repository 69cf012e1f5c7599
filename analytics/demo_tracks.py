"""Demo runs as a watch records them: a TCX file per run (GPS on one of a few park loops with
their hills, heart rate, cadence, auto-laps every kilometre), generated from a seed so the
demo is the same on every machine, and stored by the upload's own import path.

A computation: it writes no row (the demo command imports what it returns)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

EARTH_RADIUS_M = 6_371_000.0
SAMPLE_SECONDS = 10  # smart recording: what a watch keeps between points on a steady run


@dataclass(frozen=True)
class Loop:
    """A closed route: its corners (lat, lon) and its hills (metres above sea level at the
    start, the climb of each hill and how many hills a lap has)."""

    name: str
    corners: tuple[tuple[float, float], ...]
    base_altitude: float
    hill: float
    hills: int


# Parks people run around, drawn from their paths' corners (about 2.5 to 5 km a lap).
LOOPS = (
    Loop(
        "Lincoln Park and the lakefront",
        ((41.9155, -87.6350), (41.9253, -87.6330), (41.9330, -87.6370), (41.9365, -87.6410),
         (41.9290, -87.6435), (41.9210, -87.6420), (41.9150, -87.6400)),
        182.0, 6.0, 2,
    ),
    Loop(
        "Regent's Park outer circle",
        ((51.5230, -0.1565), (51.5310, -0.1590), (51.5355, -0.1540), (51.5330, -0.1460),
         (51.5265, -0.1450), (51.5225, -0.1500)),
        35.0, 9.0, 3,
    ),
    Loop(
        "Tiergarten and the Spree",
        ((52.5145, 13.3500), (52.5190, 13.3440), (52.5195, 13.3630), (52.5170, 13.3760),
         (52.5140, 13.3700), (52.5130, 13.3580)),
        34.0, 4.0, 2,
    ),
    Loop(
        "Hills of the Presidio",
        ((37.7990, -122.4590), (37.8040, -122.4650), (37.8010, -122.4770),
         (37.7920, -122.4790), (37.7880, -122.4680), (37.7930, -122.4600)),
        60.0, 38.0, 2,
    ),
)  # fmt: skip


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _edges(loop: Loop) -> list[tuple[tuple[float, float], tuple[float, float], float]]:
    corners = [*loop.corners, loop.corners[0]]
    return [(a, b, _metres(a, b)) for a, b in pairwise(corners)]


def _point(loop: Loop, edges: list, length: float, distance: float) -> tuple[float, float, float]:
    """(lat, lon, altitude) `distance` metres along the loop, lap after lap."""
    along = distance % length
    for a, b, edge in edges:
        if along <= edge:
            f = along / edge if edge else 0.0
            lat = a[0] + (b[0] - a[0]) * f
            lon = a[1] + (b[1] - a[1]) * f
            break
        along -= edge
    else:
        lat, lon = loop.corners[0]
    phase = 2 * math.pi * loop.hills * (distance % length) / length
    return lat, lon, loop.base_altitude + loop.hill * (1 - math.cos(phase)) / 2


@dataclass(frozen=True)
class RunPlan:
    """What the athlete set out to do: the distance, the easy pace (s/km), the kind of run,
    and their heart rate at rest and at its maximum."""

    distance: float
    pace: float
    kind: str
    resting_hr: float
    max_hr: float
    has_hr: bool


def _speed_at(plan: RunPlan, km: float, rng: random.Random) -> float:
    """m/s for the kilometre `km`: intervals alternate 400 m hard and easy, a tempo runs its
    middle kilometres at threshold, everything else easy with the day's wobble."""
    pace = plan.pace
    if plan.kind == "Intervals" and 1.0 <= km < plan.distance / 1000 - 1.0:
        pace *= 0.82 if int((km - 1.0) / 0.4) % 2 == 0 else 1.12
    elif plan.kind == "Tempo" and 1.5 <= km < plan.distance / 1000 - 1.0:
        pace *= 0.88
    return 1000.0 / (pace * rng.uniform(0.985, 1.015))


def demo_tcx(plan: RunPlan, start: datetime, seed: int) -> bytes:
    """The run as a Garmin watch writes it: trackpoints every 10 s, a lap every kilometre."""
    rng = random.Random(seed)  # noqa: S311 (a demo's wobble, not a secret)
    loop = LOOPS[seed % len(LOOPS)]
    edges = _edges(loop)
    length = sum(edge for _, _, edge in edges)
    offset = rng.uniform(0, length)  # not every run starts at the same gate
    reserve = plan.max_hr - plan.resting_hr
    points: list[tuple[float, float, float, float, float, int, int]] = []
    t = distance = 0.0
    heart = plan.resting_hr + 0.35 * reserve
    while distance < plan.distance:
        speed = _speed_at(plan, distance / 1000, rng)
        effort = min(1.0, max(0.0, (speed - 2.0) / 3.2))
        target = plan.resting_hr + reserve * (0.58 + 0.36 * effort) + t / 600  # drift
        heart += (target - heart) * 0.12 + rng.uniform(-1.2, 1.2)
        lat, lon, altitude = _point(loop, edges, length, offset + distance)
        cadence = round(80 + 12 * effort + rng.uniform(-1.5, 1.5))  # strides a minute
        points.append((t, distance, lat, lon, altitude, round(heart), cadence))
        t += SAMPLE_SECONDS
        distance = min(plan.distance, distance + speed * SAMPLE_SECONDS)
    lat, lon, altitude = _point(loop, edges, length, offset + distance)
    points.append((t, distance, lat, lon, altitude, round(heart), points[-1][6]))
    return _tcx(start, points, plan.has_hr)


def _when(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=seconds)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tcx(start: datetime, points: list, has_hr: bool) -> bytes:
    laps: list[list] = []
    for point in points:
        if not laps or (point[1] >= 1000 * len(laps) and point is not points[-1]):
            laps.append([])
        laps[-1].append(point)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
        ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
        f'<Activities><Activity Sport="Running"><Id>{_when(start, 0)}</Id>'
    ]
    for index, lap in enumerate(laps):
        after = laps[index + 1][0] if index + 1 < len(laps) else lap[-1]
        seconds, metres = after[0] - lap[0][0], after[1] - lap[0][1]
        beats = [p[5] for p in lap]
        out.append(
            f'<Lap StartTime="{_when(start, lap[0][0])}"><TotalTimeSeconds>{seconds:.1f}'
            f"</TotalTimeSeconds><DistanceMeters>{metres:.1f}</DistanceMeters>"
            + (
                f"<AverageHeartRateBpm><Value>{round(sum(beats) / len(beats))}</Value>"
                f"</AverageHeartRateBpm><MaximumHeartRateBpm><Value>{max(beats)}</Value>"
                "</MaximumHeartRateBpm>"
                if has_hr
                else ""
            )
            + "<Intensity>Active</Intensity><TriggerMethod>Distance</TriggerMethod><Track>"
        )
        for t, distance, lat, lon, altitude, heart, cadence in lap:
            out.append(
                f"<Trackpoint><Time>{_when(start, t)}</Time><Position><LatitudeDegrees>"
                f"{lat:.6f}</LatitudeDegrees><LongitudeDegrees>{lon:.6f}</LongitudeDegrees>"
                f"</Position><AltitudeMeters>{altitude:.1f}</AltitudeMeters><DistanceMeters>"
                f"{distance:.1f}</DistanceMeters>"
                + (f"<HeartRateBpm><Value>{heart}</Value></HeartRateBpm>" if has_hr else "")
                + f"<Extensions><ns3:TPX><ns3:RunCadence>{cadence}</ns3:RunCadence></ns3:TPX>"
                "</Extensions></Trackpoint>"
            )
        out.append("</Track></Lap>")
    out.append("</Activity></Activities></TrainingCenterDatabase>")
    return "".join(out).encode()
