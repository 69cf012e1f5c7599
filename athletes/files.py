"""Reading activity files from real devices: FIT (fitdecode), GPX (gpxpy), TCX (lxml).

Every parser returns a `ParsedActivity`: the summary the device recorded (its own totals
when it has them) and the sample streams. Anything unreadable raises `InvalidActivityFile`.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import fitdecode
import gpxpy
import gpxpy.gpx
from lxml import etree

SUPPORTED = (".fit", ".gpx", ".tcx")
# What one file may cost a web worker, whatever its compressed size: no more bytes than an
# uncompressed upload may have, and no more points than a day at one per second (a 24-hour
# race is 86,400). A 675 KB .gpx.gz of 190 MB stops at the first limit having read 25 MB.
MAX_DECOMPRESSED_BYTES = 25 * 1024 * 1024
MAX_POINTS = 200_000
EARTH_RADIUS_M = 6_371_008.8
STOPPED_SPEED_M_S = 0.5
SEMICIRCLE = 180.0 / 2**31


class InvalidActivityFile(ValueError):
    """The file cannot be read as an activity."""


class FileTooLarge(InvalidActivityFile):
    """More bytes or points than one activity file may have (413)."""


class UnsupportedFileType(ValueError):
    """Not a FIT, GPX or TCX file."""


@dataclass
class ParsedActivity:
    start_time: datetime
    sport: str
    distance: float
    duration: float  # moving (timer) seconds
    elapsed_time: float
    avg_heart_rate: float | None
    max_heart_rate: float | None
    elevation_gain: float | None
    calories: float | None
    samples: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        return {
            "start_time": self.start_time,
            "sport": self.sport,
            "distance": round(self.distance, 2),
            "duration": round(self.duration, 3),
            "elapsed_time": round(self.elapsed_time, 3),
            "avg_heart_rate": round(self.avg_heart_rate, 1)
            if self.avg_heart_rate is not None
            else None,
            "max_heart_rate": self.max_heart_rate,
            "elevation_gain": round(self.elevation_gain, 1)
            if self.elevation_gain is not None
            else None,
            "calories": self.calories,
        }


def file_kind(filename: str, content: bytes) -> tuple[str, bytes]:
    """(".fit" | ".gpx" | ".tcx", the decompressed bytes) from the name and the content."""
    name = (filename or "").lower().strip()
    compressed = name.endswith(".gz") or content[:2] == b"\x1f\x8b"
    if name.endswith(".gz"):
        name = name[:-3]
    kind = next((ext for ext in SUPPORTED if name.endswith(ext)), None)
    if kind is None:
        raise UnsupportedFileType(f"{filename or 'the file'} is not a .fit, .gpx or .tcx file")
    if compressed:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
                content = stream.read(MAX_DECOMPRESSED_BYTES + 1)  # never more than this
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InvalidActivityFile(f"the gzip data is damaged: {exc}") from None
        if len(content) > MAX_DECOMPRESSED_BYTES:
            raise FileTooLarge(
                f"the file is larger than {MAX_DECOMPRESSED_BYTES // 2**20} MB once decompressed"
            )
    if not content.strip():
        raise InvalidActivityFile("the file is empty")
    return kind, content


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# How each XML format opens a point: counted on the bytes before any parser builds a tree.
POINT_MARKERS = {".gpx": (b"<trkpt", b"<rtept", b"<wpt"), ".tcx": (b"<Trackpoint",)}


def _check_point_count(kind: str, content: bytes) -> None:
    points = sum(content.count(marker) for marker in POINT_MARKERS.get(kind, ()))
    if points > MAX_POINTS:
        raise FileTooLarge(f"the file has {points:,} points; at most {MAX_POINTS:,} are read")


def parse(kind: str, content: bytes) -> ParsedActivity:
    parsers = {".fit": parse_fit, ".gpx": parse_gpx, ".tcx": parse_tcx}
    _check_point_count(kind, content)
    try:
        parsed = parsers[kind](content)
    except (InvalidActivityFile, UnsupportedFileType):
        raise
    except Exception as exc:  # a parser's own error on a damaged file
        raise InvalidActivityFile(f"the {kind[1:].upper()} file cannot be read: {exc}") from None
    if parsed.duration <= 0:
        raise InvalidActivityFile("the file has no moving time")
    return parsed


# helpers -------------------------------------------------------------------------------


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def fill_gps_distance(samples: list[dict[str, Any]]) -> float:
    """Cumulative 2D great-circle distance into samples lacking one; returns the total."""
    total = 0.0
    last: tuple[float, float] | None = None
    for sample in samples:
        lat, lon = sample.get("lat"), sample.get("lon")
        if lat is not None and lon is not None:
            if last is not None:
                total += haversine(last[0], last[1], lat, lon)
            last = (lat, lon)
        if sample.get("distance") is None:
            sample["distance"] = round(total, 2)
    return total


def time_weighted_hr(samples: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(mean, max) heart rate, each sample weighted by the seconds to the next one."""
    with_hr = [s for s in samples if s.get("heart_rate") is not None]
    if not with_hr:
        return None, None
    peak = float(max(s["heart_rate"] for s in with_hr))
    weighted = seconds = 0.0
    for cur, nxt in pairwise(with_hr):
        dt = nxt["t"] - cur["t"]
        if dt > 0:
            weighted += cur["heart_rate"] * dt
            seconds += dt
    if seconds == 0:
        return float(with_hr[0]["heart_rate"]), peak
    return weighted / seconds, peak


def moving_seconds(samples: list[dict[str, Any]], window: float = 20.0) -> float:
    """Seconds spent moving: intervals whose speed, measured over about `window` seconds
    around them, is at least 0.5 m/s. The window keeps GPS jitter at a standstill from
    counting as running and one short slow sample from counting as a stop."""
    points = [(s["t"], s["distance"]) for s in samples if s.get("distance") is not None]
    if len(points) < 2:
        return 0.0
    times = [t for t, _ in points]

    def distance_at(when: float) -> float:
        index = bisect.bisect_left(times, when)
        if index <= 0:
            return points[0][1]
        if index >= len(points):
            return points[-1][1]
        (t0, d0), (t1, d1) = points[index - 1], points[index]
        return d1 if t1 <= t0 else d0 + (d1 - d0) * (when - t0) / (t1 - t0)

    moving = 0.0
    for (t0, _), (t1, _) in pairwise(points):
        if t1 <= t0:
            continue
        middle = (t0 + t1) / 2
        low = max(times[0], min(t0, middle - window / 2))
        high = min(times[-1], max(t1, middle + window / 2))
        if (distance_at(high) - distance_at(low)) / (high - low) >= STOPPED_SPEED_M_S:
            moving += t1 - t0
    return moving


def elevation_gain(samples: list[dict[str, Any]], hysteresis: float = 2.0) -> float | None:
    """Climb with a small dead band, so GPS altitude noise does not add up."""
    altitudes = [s["altitude"] for s in samples if s.get("altitude") is not None]
    if len(altitudes) < 2:
        return None
    gain = 0.0
    reference = altitudes[0]
    for altitude in altitudes[1:]:
        if altitude - reference >= hysteresis:
            gain += altitude - reference
            reference = altitude
        elif reference - altitude >= hysteresis:
            reference = altitude
    return gain


def normalise_sport(raw: str | None) -> str:
    text = (raw or "").strip().lower()
    if not text or "run" in text or text in {"9", "generic"}:
        return "run"
    if "bik" in text or "cycl" in text or text == "ride":
        return "ride"
    if "walk" in text or "hik" in text:
        return "walk"
    if "swim" in text:
        return "swim"
    return "".join(ch for ch in text if ch.isalpha() or ch == "_")[:32] or "other"


def _require_samples(samples: list[dict[str, Any]]) -> None:
    if len(samples) < 2:
        raise InvalidActivityFile("the file has no track points")


def _xml_bytes(content: bytes) -> bytes:
    # Real exports sometimes have whitespace (or a BOM) before the XML declaration.
    return content.lstrip(b"\xef\xbb\xbf").lstrip()


def lap_row(
    *,
    start: float,
    distance: Any,
    seconds: Any,
    elapsed: Any,
    avg_heart_rate: Any,
    max_heart_rate: Any,
) -> dict[str, Any]:
    """One lap as the device wrote it; a heart rate of 0 is "none"."""

    def number(value: Any) -> float | None:
        return float(value) if isinstance(value, int | float) else None

    return {
        "start": round(start, 3),
        "distance": number(distance),
        "seconds": number(seconds),
        "elapsed": number(elapsed),
        "avg_heart_rate": number(avg_heart_rate) or None,
        "max_heart_rate": number(max_heart_rate) or None,
    }


# FIT -----------------------------------------------------------------------------------


def _fit_cadence(record: dict[str, Any]) -> float | None:
    """The device's cadence (rpm: strides per minute for a run), fraction included."""
    whole = record.get("cadence")
    if not isinstance(whole, int | float):
        return None
    fraction = record.get("fractional_cadence")
    return float(whole) + (float(fraction) if isinstance(fraction, int | float) else 0.0)


def parse_fit(content: bytes) -> ParsedActivity:
    session: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    laps: list[dict[str, Any]] = []
    sport = None
    with fitdecode.FitReader(io.BytesIO(content), check_crc=fitdecode.CrcCheck.WARN) as fit:
        for frame in fit:
            if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                continue
            if frame.name == "record":
                if len(records) >= MAX_POINTS:
                    raise FileTooLarge(f"the file has more than {MAX_POINTS:,} records")
                records.append({f.name: f.value for f in frame.fields})
            elif frame.name == "lap":
                laps.append({f.name: f.value for f in frame.fields})
            elif frame.name == "session" and not session:
                session = {f.name: f.value for f in frame.fields}
            elif frame.name == "sport" and sport is None:
                sport = frame.get_value("sport", fallback=None)
    timed = [r for r in records if isinstance(r.get("timestamp"), datetime)]
    _require_samples(timed)
    start = session.get("start_time") or timed[0]["timestamp"]
    samples = []
    for record in timed:
        lat, lon = record.get("position_lat"), record.get("position_long")
        altitude = record.get("enhanced_altitude", record.get("altitude"))
        samples.append(
            {
                "t": (record["timestamp"] - start).total_seconds(),
                "distance": record.get("distance"),
                "heart_rate": record.get("heart_rate"),
                "lat": lat * SEMICIRCLE if isinstance(lat, int) else None,
                "lon": lon * SEMICIRCLE if isinstance(lon, int) else None,
                "altitude": altitude if isinstance(altitude, int | float) else None,
                "cadence": _fit_cadence(record),
            }
        )
    gps_total = fill_gps_distance(samples)
    avg_hr, max_hr = time_weighted_hr(samples)
    elapsed = session.get("total_elapsed_time") or samples[-1]["t"]
    fit_laps = [
        lap_row(
            start=(lap["start_time"] - start).total_seconds(),
            distance=lap.get("total_distance"),
            seconds=lap.get("total_timer_time"),
            elapsed=lap.get("total_elapsed_time"),
            avg_heart_rate=lap.get("avg_heart_rate"),
            max_heart_rate=lap.get("max_heart_rate"),
        )
        for lap in laps
        if isinstance(lap.get("start_time"), datetime)
    ]
    return ParsedActivity(
        start_time=start.astimezone(UTC),
        sport=normalise_sport(str(session.get("sport") or sport or "running")),
        distance=float(session.get("total_distance") or samples[-1]["distance"] or gps_total),
        duration=float(session.get("total_timer_time") or moving_seconds(samples)),
        elapsed_time=float(elapsed),
        avg_heart_rate=avg_hr,
        max_heart_rate=float(session["max_heart_rate"])
        if session.get("max_heart_rate")
        else max_hr,
        elevation_gain=float(session["total_ascent"])
        if session.get("total_ascent") is not None
        else elevation_gain(samples),
        calories=float(session["total_calories"]) if session.get("total_calories") else None,
        samples=samples,
        laps=fit_laps,
    )


# GPX -----------------------------------------------------------------------------------


def _gpx_hr(point: gpxpy.gpx.GPXTrackPoint) -> float | None:
    for extension in point.extensions:
        for element in extension.iter():
            tag = element.tag.split("}")[-1].lower() if isinstance(element.tag, str) else ""
            if tag in {"hr", "heartrate"} and element.text:
                try:
                    return float(element.text)
                except ValueError:
                    return None
    return None


def parse_gpx(content: bytes) -> ParsedActivity:
    gpx = gpxpy.parse(_xml_bytes(content).decode("utf-8", errors="replace"))
    points = [
        p
        for track in gpx.tracks
        for seg in track.segments
        for p in seg.points
        if p.time is not None
    ]
    _require_samples(points)
    start = points[0].time
    samples = [
        {
            "t": (p.time - start).total_seconds(),
            "distance": None,
            "heart_rate": _gpx_hr(p),
            "lat": p.latitude,
            "lon": p.longitude,
            "altitude": p.elevation,
        }
        for p in points
    ]
    total = fill_gps_distance(samples)
    avg_hr, max_hr = time_weighted_hr(samples)
    sport = gpx.tracks[0].type if gpx.tracks else None
    return ParsedActivity(
        start_time=start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC),
        sport=normalise_sport(sport),
        distance=total,
        duration=moving_seconds(samples),
        elapsed_time=samples[-1]["t"],
        avg_heart_rate=avg_hr,
        max_heart_rate=max_hr,
        elevation_gain=elevation_gain(samples),
        calories=None,
        samples=samples,
    )


# TCX -----------------------------------------------------------------------------------

TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}


def _text(element: Any, path: str) -> str | None:
    found = element.find(path, TCX_NS)
    return found.text.strip() if found is not None and found.text else None


def _number(element: Any, path: str) -> float | None:
    text = _text(element, path)
    return float(text) if text else None


def _tcx_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _tcx_cadence(trackpoint: Any) -> float | None:
    """`<Cadence>` (a ride's rpm) or Garmin's `<RunCadence>` extension (strides/min)."""
    for element in trackpoint.iter():
        tag = element.tag.split("}")[-1] if isinstance(element.tag, str) else ""
        if tag in {"Cadence", "RunCadence"} and element.text:
            try:
                return float(element.text)
            except ValueError:
                return None
    return None


def parse_tcx(content: bytes) -> ParsedActivity:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(_xml_bytes(content), parser)
    activity = root.find(".//t:Activities/t:Activity", TCX_NS)
    if activity is None:
        raise InvalidActivityFile("the TCX file has no activity")
    laps = activity.findall("t:Lap", TCX_NS)
    points = []
    for trackpoint in activity.iterfind(".//t:Trackpoint", TCX_NS):
        time_text = _text(trackpoint, "t:Time")
        if not time_text:
            continue
        points.append(
            {
                "time": _tcx_time(time_text),
                "distance": _number(trackpoint, "t:DistanceMeters"),
                "heart_rate": _number(trackpoint, "t:HeartRateBpm/t:Value"),
                "lat": _number(trackpoint, "t:Position/t:LatitudeDegrees"),
                "lon": _number(trackpoint, "t:Position/t:LongitudeDegrees"),
                "altitude": _number(trackpoint, "t:AltitudeMeters"),
                "cadence": _tcx_cadence(trackpoint),
            }
        )
    _require_samples(points)
    start_text = _text(activity, "t:Id") or (laps[0].get("StartTime") if laps else None)
    start = _tcx_time(start_text) if start_text else points[0]["time"]
    samples = [{"t": (p.pop("time") - start).total_seconds(), **p} for p in points]
    gps_total = fill_gps_distance(samples)
    lap_distance = sum(_number(lap, "t:DistanceMeters") or 0 for lap in laps)
    lap_time = sum(_number(lap, "t:TotalTimeSeconds") or 0 for lap in laps)
    lap_calories = sum(_number(lap, "t:Calories") or 0 for lap in laps)
    lap_max_hr = [v for lap in laps if (v := _number(lap, "t:MaximumHeartRateBpm/t:Value"))]
    avg_hr, max_hr = time_weighted_hr(samples)
    tcx_laps = [
        lap_row(
            start=(_tcx_time(lap.get("StartTime")) - start).total_seconds(),
            distance=_number(lap, "t:DistanceMeters"),
            seconds=_number(lap, "t:TotalTimeSeconds"),
            elapsed=None,
            avg_heart_rate=_number(lap, "t:AverageHeartRateBpm/t:Value"),
            max_heart_rate=_number(lap, "t:MaximumHeartRateBpm/t:Value"),
        )
        for lap in laps
        if lap.get("StartTime")
    ]
    return ParsedActivity(
        start_time=start.astimezone(UTC),
        sport=normalise_sport(activity.get("Sport")),
        distance=lap_distance or samples[-1]["distance"] or gps_total,
        duration=lap_time or moving_seconds(samples),
        elapsed_time=max(samples[-1]["t"], lap_time),
        avg_heart_rate=avg_hr,
        max_heart_rate=max(lap_max_hr) if lap_max_hr else max_hr,
        elevation_gain=elevation_gain(samples),
        calories=lap_calories or None,
        samples=samples,
        laps=tcx_laps,
    )
