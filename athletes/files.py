"""Reading activity files from real devices: FIT (Garmin's FIT SDK), GPX (lxml, streamed), TCX (lxml).

Every parser returns a `ParsedActivity`: the summary the device recorded (its own totals
when it has them) and the sample streams. Anything unreadable raises `InvalidActivityFile`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
from django.conf import settings

# The readers themselves (Garmin's FIT SDK, lxml, gpxpy: about 20 MB of a process) are
# imported by the functions that read a file: a web worker that never parses an upload
# does not carry them (issue 36, a gunicorn worker's memory).

SUPPORTED = (".fit", ".gpx", ".tcx")
# What one file may cost a web worker, whatever its compressed size: no more bytes than an
# uncompressed upload may have, and no more points than a day at one per second (a 24-hour
# race is 86,400). A 675 KB .gpx.gz of 190 MB stops at the first limit having read 25 MB.
MAX_DECOMPRESSED_BYTES = 25 * 1024 * 1024
MAX_POINTS = 200_000
EARTH_RADIUS_M = 6_371_008.8
STOPPED_SPEED_M_S = 0.5
SEMICIRCLE = 180.0 / 2**31
RECORD_MESG_NUM = 20  # the FIT profile's `record` message
# FIT protocol: a date_time below 0x10000000 is not a date but seconds since the device
# powered on (its clock was never set); the SDK reads both from the FIT epoch.
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
FIT_SYSTEM_TIME_LIMIT = FIT_EPOCH + timedelta(seconds=0x10000000)


class InvalidActivityFile(ValueError):
    """The file cannot be read as an activity."""


class NotAnActivity(InvalidActivityFile):
    """A course or route (a plan of where to go), not a recording of an activity."""


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
    if kind is None and name.endswith(".zip"):
        raise UnsupportedFileType(
            f"{filename} is a zip: send a whole export to POST /api/v1/activities/import"
        )
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


SUFFIXES = tuple(s for ext in SUPPORTED for s in (ext, ext + ".gz"))
# What goes wrong reading one member of a zip: a bad CRC or a damaged stream, an unknown
# compression method, a password. Each is that member's failure, never the batch's.
ZIP_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """One member's bytes, bounded by what it really decompresses to (never its header's
    claim): more than `limit` is FileTooLarge after reading `limit + 1` bytes at most; a
    damaged, encrypted or unknown member is InvalidActivityFile with the reason."""
    if info.flag_bits & 0x1:
        raise InvalidActivityFile("the zip member is encrypted")
    try:
        with archive.open(info) as handle:
            content = handle.read(limit + 1)
            if len(content) <= limit:
                handle.read(1)  # to its end: the CRC is checked there
    except ZIP_MEMBER_ERRORS as exc:
        raise InvalidActivityFile(f"the zip member cannot be read ({exc})") from None
    if len(content) > limit:
        raise FileTooLarge(f"the file is larger than {limit // 2**20} MB unpacked")
    return content


def zip_members(
    archive: zipfile.ZipFile, limit: int | None = None
) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, a callable returning the bytes) for each activity file of a zip, in name order
    (a Strava or Garmin export keeps its files in `activities/`). Only the zip's directory
    is read here; each member is read, bounded by `limit` (the upload's own), when called."""
    most = limit if limit is not None else settings.ASTRAL_UPLOAD_MAX_BYTES
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        if info.is_dir() or not info.filename.lower().endswith(SUFFIXES):
            continue
        yield info.filename, lambda info=info: read_member(archive, info, most)


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# How each XML format opens a point: counted on the bytes before any parser builds a tree.
POINT_MARKERS = {".gpx": (b"<trkpt", b"<rtept", b"<wpt"), ".tcx": (b"<Trackpoint",)}


def _check_point_count(kind: str, content: bytes) -> None:
    points = sum(content.count(marker) for marker in POINT_MARKERS.get(kind, ()))
    if points > MAX_POINTS:
        raise FileTooLarge(f"the file has {points:,} points; at most {MAX_POINTS:,} are read")


@dataclass
class ParsedFile:
    """What one file holds: one activity per session (several for a multisport or chained
    file, in time order), and what was wrong with the file if part of it was unreadable."""

    legs: list[ParsedActivity]
    warning: str | None = None
    # The legs of one event (a multisport or chained FIT, a TCX MultiSportSession), or
    # separate activities (GPX tracks hours apart).
    linked: bool = True

    @property
    def first(self) -> ParsedActivity:
        return self.legs[0]


def parse(kind: str, content: bytes) -> ParsedFile:
    parsers = {".fit": parse_fit, ".gpx": parse_gpx, ".tcx": parse_tcx}
    _check_point_count(kind, content)
    try:
        parsed = parsers[kind](content)
    except (InvalidActivityFile, UnsupportedFileType):
        raise
    except Exception as exc:  # a parser's own error on a damaged file
        raise InvalidActivityFile(f"the {kind[1:].upper()} file cannot be read: {exc}") from None
    legs = [leg for leg in parsed.legs if leg.duration > 0]
    if not legs:
        raise InvalidActivityFile("the file has no moving time")
    return ParsedFile(legs=legs, warning=parsed.warning, linked=parsed.linked)


# helpers -------------------------------------------------------------------------------


def position(lat: Any, lon: Any) -> tuple[float, float] | None:
    """A place on Earth, or None: both coordinates finite numbers within ±90° and ±180°
    (0 is a place: the equator, Greenwich). Every file format's positions go through here."""
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None
    return float(lat), float(lon)


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
    counting as running and one short slow sample from counting as a stop. One vectorised
    pass (a 200,000-point file in milliseconds): the distance at any instant is the
    straight line between the samples around it."""
    points = [(s["t"], s["distance"]) for s in samples if s.get("distance") is not None]
    if len(points) < 2:
        return 0.0
    times, distances = np.array(points, dtype=np.float64).T
    t0, t1 = times[:-1], times[1:]
    middle = (t0 + t1) / 2
    low = np.maximum(times[0], np.minimum(t0, middle - window / 2))
    high = np.minimum(times[-1], np.maximum(t1, middle + window / 2))
    forward = t1 > t0
    span = np.where(forward, high - low, 1.0)
    speed = (np.interp(high, times, distances) - np.interp(low, times, distances)) / span
    return float(np.sum((t1 - t0)[forward & (speed >= STOPPED_SPEED_M_S)]))


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


# Strava's GPX exports write the activity type as a number.
STRAVA_TYPES = {"1": "ride", "9": "run", "10": "walk", "4": "hike", "2": "ride"}


def normalise_sport(raw: str | None, sub_sport: str | None = None) -> str:
    """Astral's sport from a file's sport (and sub-sport); `other` when the file names none,
    never a guess."""
    text = (raw or "").strip().lower()
    sub = (sub_sport or "").strip().lower()
    if text in STRAVA_TYPES:
        return STRAVA_TYPES[text]
    if not text or text in {"generic", "other", "all", "0"}:
        return "other"
    if "run" in text:
        if "treadmill" in sub or "indoor" in sub or "virtual" in sub:
            return "treadmill"
        return "trail_run" if "trail" in sub else "run"
    if "transition" in text:
        return "transition"
    if "bik" in text or "cycl" in text or text == "ride":
        return "ride"
    if "walk" in text:
        return "walk"
    if "hik" in text:
        return "hike"
    if "swim" in text:
        return "swim"
    return "".join(ch for ch in text if ch.isalpha() or ch == "_")[:32] or "other"


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


@dataclass
class FitContent:
    file_type: Any = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)
    sports: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    correlations: list[dict[str, Any]] = field(default_factory=list)
    created: Any = None
    warning: str | None = None


def _read_fit(content: bytes) -> FitContent:
    """Every message the activity needs, by Garmin's own FIT SDK (which also expands the
    `hr` messages chest straps record underwater onto the records). A file that breaks
    mid-way keeps what came before the break (a device that lost power writes no end): the
    caller decides if it is enough."""
    records = 0

    def count(mesg_num: int, message: dict[str, Any]) -> None:
        nonlocal records
        if mesg_num == RECORD_MESG_NUM:
            records += 1
            if records > MAX_POINTS:
                raise FileTooLarge(f"the file has more than {MAX_POINTS:,} records")

    from garmin_fit_sdk import Decoder, Stream

    stream = Stream.from_byte_array(bytearray(content))
    if not Decoder(stream).is_fit():
        raise InvalidActivityFile("it is not a FIT file")
    stream.reset()
    messages, errors = Decoder(stream).read(enable_crc_check=False, mesg_listener=count)
    if any(isinstance(error, FileTooLarge) for error in errors):
        raise next(error for error in errors if isinstance(error, FileTooLarge))
    file_id = next(iter(messages.get("file_id_mesgs", [])), {})
    found = FitContent(
        file_type=file_id.get("type"),
        sessions=messages.get("session_mesgs", []),
        records=messages.get("record_mesgs", []),
        laps=messages.get("lap_mesgs", []),
        sports=messages.get("sport_mesgs", []),
        events=messages.get("event_mesgs", []),
        activities=messages.get("activity_mesgs", []),
        correlations=messages.get("timestamp_correlation_mesgs", []),
        created=file_id.get("time_created"),
    )
    if errors:
        found.warning = (
            f"the file is damaged after {len(found.records):,} records ({errors[0]}); "
            "what was read before the damage was kept"
        )
    return found


def _positive(value: Any) -> float | None:
    """A device total, or None where it wrote none or an impossible 0."""
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _fit_samples(records: list[dict[str, Any]], start: datetime) -> list[dict[str, Any]]:
    samples = []
    for record in records:
        lat, lon = record.get("position_lat"), record.get("position_long")
        here = (
            position(lat * SEMICIRCLE, lon * SEMICIRCLE)
            if isinstance(lat, int) and isinstance(lon, int)
            else None
        )
        altitude = record.get("enhanced_altitude", record.get("altitude"))
        distance = record.get("distance")
        samples.append(
            {
                "t": (record["timestamp"] - start).total_seconds(),
                "distance": float(distance) if isinstance(distance, int | float) else None,
                "heart_rate": _positive(record.get("heart_rate")),  # 0 is "no reading"
                "lat": here[0] if here else None,
                "lon": here[1] if here else None,
                "altitude": altitude if isinstance(altitude, int | float) else None,
                "cadence": _fit_cadence(record),
            }
        )
    return samples


def _is_system_time(value: Any) -> bool:
    return isinstance(value, datetime) and value < FIT_SYSTEM_TIME_LIMIT


def _clock_offset(found: FitContent) -> timedelta:
    """How far the file's times are from real ones: 0 when the device's clock was set.
    When it never was (every timestamp is seconds since power-on), a message that pairs a
    real time with the device's own anchors them (`timestamp_correlation`, else the real
    `time_created` of `file_id` taken as the first timestamp); without one the file has no
    date and is refused (API.md, Activities)."""
    stamps = [
        m[name]
        for group in (found.records, found.sessions, found.laps)
        for m in group
        for name in ("timestamp", "start_time")
        if isinstance(m.get(name), datetime)
    ]
    if not stamps or not all(_is_system_time(stamp) for stamp in stamps):
        return timedelta(0)
    for pair in found.correlations:
        real, own = pair.get("timestamp"), pair.get("system_timestamp")
        if isinstance(real, datetime) and not _is_system_time(real) and isinstance(own, datetime):
            return real - own
    if isinstance(found.created, datetime) and not _is_system_time(found.created):
        return found.created - min(stamps)
    raise InvalidActivityFile(
        "the device's clock was never set: the file holds no date, only seconds since the "
        "device was switched on, so the activity cannot be placed in time"
    )


def _shifted(messages: list[dict[str, Any]], offset: timedelta) -> list[dict[str, Any]]:
    """The messages with every device time moved onto the real clock."""
    if not offset:
        return messages
    return [
        {k: v + offset if _is_system_time(v) else v for k, v in message.items()}
        for message in messages
    ]


def timer_from_events(events: list[dict[str, Any]], begin: datetime, end: datetime | None) -> float:
    """The seconds the timer ran between `begin` and `end`, from its start and stop events
    (what a device adds up as its timer when the session's own total is missing)."""
    running_since: datetime | None = None
    total = 0.0
    for event in sorted(
        (e for e in events if isinstance(e.get("timestamp"), datetime)),
        key=lambda e: e["timestamp"],
    ):
        if str(event.get("event")) != "timer" or not _within(event["timestamp"], begin, end):
            continue
        kind = str(event.get("event_type"))
        if kind == "start" and running_since is None:
            running_since = event["timestamp"]
        elif kind.startswith("stop") and running_since is not None:
            total += (event["timestamp"] - running_since).total_seconds()
            running_since = None
    if running_since is not None and end is not None:
        total += (end - running_since).total_seconds()
    return total


def _fit_leg(
    session: dict[str, Any],
    records: list[dict[str, Any]],
    laps: list[dict[str, Any]],
    fallback_sport: str,
    events: list[dict[str, Any]] | None = None,
) -> ParsedActivity:
    """One session as the device summarised it; streams fill in only what it left out. A
    session whose timer is 0 gets the timer from the file's start and stop events; one
    without a session, from its laps' timers."""
    start = session.get("start_time") or records[0]["timestamp"]
    samples = _fit_samples(records, start)
    end = session.get("timestamp") if isinstance(session.get("timestamp"), datetime) else None
    timer = (
        _positive(session.get("total_timer_time"))
        or timer_from_events(events or [], start, end + timedelta(seconds=1) if end else None)
        or _positive(sum(_positive(lap.get("total_timer_time")) or 0.0 for lap in laps))
    )
    gps_total = fill_gps_distance(samples) if samples else 0.0
    avg_hr, max_hr = time_weighted_hr(samples)
    last = samples[-1] if samples else {"t": 0.0, "distance": None}
    stream_distance = last["distance"] or gps_total
    sport = session.get("sport")
    return ParsedActivity(
        start_time=start.astimezone(UTC),
        sport=normalise_sport(str(sport), str(session.get("sub_sport") or ""))
        if sport is not None
        else fallback_sport,
        distance=_positive(session.get("total_distance")) or float(stream_distance or 0.0),
        duration=timer or moving_seconds(samples),
        elapsed_time=_positive(session.get("total_elapsed_time")) or float(last["t"]),
        avg_heart_rate=_positive(session.get("avg_heart_rate")) or avg_hr,
        max_heart_rate=_positive(session.get("max_heart_rate")) or max_hr,
        elevation_gain=float(session["total_ascent"])
        if isinstance(session.get("total_ascent"), int | float)
        else elevation_gain(samples),
        calories=_positive(session.get("total_calories")),
        samples=samples,
        laps=[
            lap_row(
                start=(lap["start_time"] - start).total_seconds(),
                distance=lap.get("total_distance"),
                seconds=lap.get("total_timer_time"),
                elapsed=lap.get("total_elapsed_time"),
                avg_heart_rate=lap.get("avg_heart_rate"),
                max_heart_rate=lap.get("max_heart_rate"),
            )
            for lap in laps
        ],
    )


# A damaged file without a session is kept when at least this many records came first.
MIN_RECORDS_OF_DAMAGED = 10


def _within(stamp: datetime, begin: datetime, end: datetime | None) -> bool:
    return stamp >= begin and (end is None or stamp < end)


def parse_fit(content: bytes) -> ParsedFile:
    found = _read_fit(content)
    if str(found.file_type) == "course":
        raise NotAnActivity(
            "it is a course (a planned route), not a recorded activity: load it on a device "
            "to follow it, and upload the activity it records"
        )
    offset = _clock_offset(found)
    records = [
        r for r in _shifted(found.records, offset) if isinstance(r.get("timestamp"), datetime)
    ]
    events = _shifted(found.events, offset)
    if found.warning and not found.sessions and len(records) < MIN_RECORDS_OF_DAMAGED:
        raise InvalidActivityFile(
            f"the FIT file is damaged before enough of it could be read ({found.warning})"
        )
    laps = [
        lap for lap in _shifted(found.laps, offset) if isinstance(lap.get("start_time"), datetime)
    ]
    # API.md: the sport of the FIT session (even one whose times are broken), else of the
    # `sport` message, else of the laps.
    named = next(
        (m for m in [*found.sessions, *found.sports, *laps] if m.get("sport") is not None), None
    )
    fallback = (
        normalise_sport(str(named["sport"]), str(named.get("sub_sport") or ""))
        if named
        else "other"
    )
    sessions = sorted(
        (s for s in _shifted(found.sessions, offset) if isinstance(s.get("start_time"), datetime)),
        key=lambda s: s["start_time"],
    )
    if not sessions:  # no summary: the records are the activity
        if len(records) < 2:
            raise InvalidActivityFile("the file has no session and no track points")
        pseudo = {
            "start_time": records[0]["timestamp"],
            "total_timer_time": next(
                (
                    a["total_timer_time"]
                    for a in found.activities
                    if _positive(a.get("total_timer_time"))
                ),
                None,
            ),
        }
        return ParsedFile([_fit_leg(pseudo, records, laps, fallback, events)], found.warning)
    legs = []
    for index, session in enumerate(sessions):
        begin = session["start_time"]
        # A leg runs until the next one starts; the last keeps every record after it.
        end = sessions[index + 1]["start_time"] if index + 1 < len(sessions) else None
        inside = [r for r in records if _within(r["timestamp"], begin, end)]
        if not inside and not _positive(session.get("total_timer_time")):
            continue
        own_laps = [lap for lap in laps if _within(lap["start_time"], begin, end)]
        legs.append(_fit_leg(session, inside, own_laps, fallback, events))
    if not legs:
        raise InvalidActivityFile("the file has no track points and no session time")
    return ParsedFile(legs, found.warning)


# GPX -----------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# Tracks recorded this long after the previous one ended are another activity of the file.
GPX_TRACK_GAP = timedelta(hours=1)
# What a track point's heart rate is called: GPX 1.1's Garmin extension, GPX 1.0's bare
# child, and the spellings other apps write.
HR_TAGS = ("{*}hr", "{*}heartrate", "{*}HeartRate", "{*}heartRate", "{*}HR")
POINT_PARTS = ("{*}time", "{*}ele", *HR_TAGS)
# The only elements the stream stops at: everything else (a point's parts included) passes
# by without a Python call.
GPX_EVENTS = ("{*}trk", "{*}trkseg", "{*}trkpt", "{*}type", "{*}rte", "{*}wpt")


def _gpx_time(text: str | None) -> datetime | None:
    """A point's <time>: ISO 8601 as devices write it (`Z`, an offset, fractions, or no zone
    at all, read as UTC); gpxpy's reader for the rarer spellings; None when unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        import gpxpy.gpxfield

        try:
            found = gpxpy.gpxfield.parse_time(text)
        except Exception:  # a time no reader understands is no time
            return None
        return _utc(found) if found else None


OTHER, TIME, ELEVATION, HEART_RATE = range(4)
HR_NAMES = {tag.removeprefix("{*}") for tag in HR_TAGS}


def _point_kind(tag: Any) -> int:
    """What a point's part is, by its local name in any namespace (POINT_PARTS)."""
    name = _local(tag)
    if name == "time":
        return TIME
    if name == "ele":
        return ELEVATION
    return HEART_RATE if name in HR_NAMES else OTHER


@dataclass
class _GpxTrack:
    """One <trk> as it streams past, as columns (one entry per point): read first, then
    measured in one vectorised pass (`samples`)."""

    sport: str | None = None
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    segment_ends: list[int] = field(default_factory=list)  # points before each </trkseg>
    times: list[datetime | None] = field(default_factory=list)
    heart_rates: list[float | None] = field(default_factory=list)
    altitudes: list[float | None] = field(default_factory=list)
    length: float = 0.0
    kinds: dict[Any, int] = field(default_factory=dict)  # tag → TIME, ELEVATION, …

    def add(self, element: Any) -> None:
        """One <trkpt>, read in one pass over its parts: heart rate from any element
        named as HR_TAGS lists (GPX 1.1 extensions, GPX 1.0's bare children). Each tag's
        meaning is looked up once per file, not worked out per point."""
        here = position(_float(element.get("lat")), _float(element.get("lon")))
        when = heart_rate = altitude = None
        kinds = self.kinds
        for child in element.iter():
            tag = child.tag
            kind = kinds.get(tag)
            if kind is None:
                kind = kinds[tag] = _point_kind(tag)
            if kind == TIME:
                when = _gpx_time(child.text)
            elif kind == ELEVATION:
                altitude = _float(child.text)
            elif kind == HEART_RATE and heart_rate is None:
                heart_rate = _positive(_float(child.text))
        self.lats.append(here[0] if here else math.nan)
        self.lons.append(here[1] if here else math.nan)
        self.times.append(when)
        self.heart_rates.append(heart_rate)
        self.altitudes.append(altitude)

    def samples(self) -> list[dict[str, Any]]:
        """The timed points with the track's length so far at each (every point counts, timed
        or not; a point without a position adds nothing; segments are not joined), and the
        track's whole length in `length`."""
        lat = np.radians(np.array(self.lats, dtype=np.float64))
        lon = np.radians(np.array(self.lons, dtype=np.float64))
        count = len(lat)
        known = np.flatnonzero(~np.isnan(lat))
        steps = np.zeros(count)
        if len(known) > 1:
            a, b = known[:-1], known[1:]
            # a step joins two positioned points of one segment (none crosses a new segment)
            segment = np.zeros(count + 1, dtype=np.int64)
            np.add.at(segment, self.segment_ends, 1)
            segment = np.cumsum(segment)[:count]
            same = segment[a] == segment[b]
            h = (
                np.sin((lat[b] - lat[a]) / 2) ** 2
                + np.cos(lat[a]) * np.cos(lat[b]) * np.sin((lon[b] - lon[a]) / 2) ** 2
            )
            steps[b[same]] = (2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)))[same]
        cumulative = np.cumsum(steps)
        self.length = float(cumulative[-1]) if count else 0.0
        distances = np.round(cumulative, 2).tolist()
        return [
            {
                "time": when,
                "distance": distance,
                "heart_rate": heart_rate,
                "lat": lat if lat == lat else None,  # NaN: no position
                "lon": lon if lon == lon else None,
                "altitude": altitude,
            }
            for when, distance, heart_rate, lat, lon, altitude in zip(
                self.times, distances, self.heart_rates, self.lats, self.lons, self.altitudes,
                strict=True,
            )
            if when is not None
        ]  # fmt: skip


def _gpx_tracks(content: bytes) -> tuple[list[tuple[_GpxTrack, list[dict[str, Any]]]], bool]:
    """Every <trk> of the file with its timed samples, streamed (each point is freed as soon
    as it is read, so a 25 MB file never stands as a tree), and whether the file holds
    routes or waypoints."""
    from lxml import etree

    tracks: list[tuple[_GpxTrack, list[dict[str, Any]]]] = []
    plans = False
    track: _GpxTrack | None = None
    events = etree.iterparse(
        io.BytesIO(_xml_bytes(content)),
        events=("end",),  # one event per element: a track starts with its first part
        tag=GPX_EVENTS,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )
    names: dict[str, str] = {}
    for _, element in events:
        tag = names.get(element.tag) or names.setdefault(element.tag, _local(element.tag))
        if tag == "trkpt":
            if track is None:
                track = _GpxTrack()
            track.add(element)
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        elif tag == "trkseg":
            if track is not None:
                track.segment_ends.append(len(track.times))
        elif tag == "type" and _local(element.getparent().tag) == "trk":
            if track is None:
                track = _GpxTrack()
            track.sport = (element.text or "").strip() or None
        elif tag == "trk":
            if track is not None and track.times:
                tracks.append((track, track.samples()))
            track = None
            element.clear(keep_tail=False)
        elif tag in ("rte", "wpt"):
            plans = True
            element.clear(keep_tail=False)
    return tracks, plans


def _gpx_leg(points: list[dict[str, Any]], length: float, sport: str) -> ParsedActivity:
    start = points[0]["time"]
    base = points[0]["distance"]
    for p in points:  # in place: a 200,000-point file is not held twice
        p["t"] = (p.pop("time") - start).total_seconds()
        p["distance"] -= base
    samples = points
    avg_hr, max_hr = time_weighted_hr(samples)
    return ParsedActivity(
        start_time=start,
        sport=sport,
        distance=length,
        duration=moving_seconds(samples),
        elapsed_time=samples[-1]["t"],
        avg_heart_rate=avg_hr,
        max_heart_rate=max_hr,
        elevation_gain=elevation_gain(samples),
        calories=None,
        samples=samples,
    )


def parse_gpx(content: bytes) -> ParsedFile:
    """Each track with times is read; tracks closer than an hour are one activity, later
    ones another. A track without any time cannot be placed in time and is left out, said
    in the warning; a file of routes only is not an activity."""
    tracks, plans = _gpx_tracks(content)
    if not tracks:
        if plans:
            raise NotAnActivity(
                "it holds routes or waypoints (a plan of where to go), not a recorded track"
            )
        raise InvalidActivityFile("the file has no track points")
    groups: list[tuple[list[dict[str, Any]], float, str]] = []
    left_out = 0.0
    skipped = 0
    for track, samples in tracks:
        length = track.length
        if not samples:
            left_out += length
            skipped += 1
            continue
        sport = normalise_sport(track.sport)
        if groups and samples[0]["time"] - groups[-1][0][-1]["time"] <= GPX_TRACK_GAP:
            points, total, first_sport = groups[-1]
            offset = points[-1]["distance"]
            points += [{**p, "distance": p["distance"] + offset} for p in samples]
            groups[-1] = (points, total + length, first_sport)
        else:
            groups.append((samples, length, sport))
    if not groups:
        raise InvalidActivityFile("no point of the file has a time, so it is not a recording")
    legs = [_gpx_leg(points, length, sport) for points, length, sport in groups]
    warning = (
        f"{skipped} track{'s' if skipped > 1 else ''} without times ({left_out / 1000:.1f} km) "
        f"could not be placed in time and {'were' if skipped > 1 else 'was'} left out"
        if skipped
        else None
    )
    return ParsedFile(legs, warning, linked=False)


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


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _tcx_point(trackpoint: Any) -> dict[str, Any] | None:
    """One trackpoint, reading each child once by its name (a find per field is 4× slower
    on a 1,000-point file)."""
    point: dict[str, Any] = {
        "distance": None, "heart_rate": None, "lat": None, "lon": None, "altitude": None,
        "cadence": None,
    }  # fmt: skip
    when = None
    for child in trackpoint:
        tag = _local(child.tag)
        if tag == "Time" and child.text:
            when = _tcx_time(child.text.strip())
        elif tag == "DistanceMeters":
            point["distance"] = _float(child.text)
        elif tag == "AltitudeMeters":
            point["altitude"] = _float(child.text)
        elif tag == "HeartRateBpm":
            point["heart_rate"] = _positive(_float(child[0].text if len(child) else child.text))
        elif tag == "Position":
            for part in child:
                if _local(part.tag) == "LatitudeDegrees":
                    point["lat"] = _float(part.text)
                elif _local(part.tag) == "LongitudeDegrees":
                    point["lon"] = _float(part.text)
        elif tag == "Cadence":
            point["cadence"] = _float(child.text)
        elif tag == "Extensions" and point["cadence"] is None:
            point["cadence"] = _tcx_cadence(child)
    if when is None:
        return None
    point["time"] = when
    if position(point["lat"], point["lon"]) is None:
        point["lat"] = point["lon"] = None
    return point


def _tcx_points(container: Any) -> list[dict[str, Any]]:
    points = []
    for trackpoint in container.iterfind(".//t:Trackpoint", TCX_NS):
        point = _tcx_point(trackpoint)
        if point is not None:
            points.append(point)
    return points


def _laps_heart_rate(laps: list[Any]) -> tuple[float | None, float | None]:
    """(mean, max) heart rate as the device shows it: lap averages weighted by lap time."""
    weighted = seconds = 0.0
    for lap in laps:
        average = _positive(_number(lap, "t:AverageHeartRateBpm/t:Value"))
        lap_time = _number(lap, "t:TotalTimeSeconds") or 0.0
        if average and lap_time > 0:
            weighted += average * lap_time
            seconds += lap_time
    peaks = [v for lap in laps if (v := _positive(_number(lap, "t:MaximumHeartRateBpm/t:Value")))]
    return (weighted / seconds if seconds else None), (max(peaks) if peaks else None)


def _tcx_leg(container: Any, laps: list[Any], sport: str, start_text: str | None) -> ParsedActivity:
    """One activity (or a multisport transition) from its laps, the device's own totals, and
    its trackpoints for the streams and what the laps leave out."""
    points = _tcx_points(container)
    first_lap = laps[0].get("StartTime") if laps else None
    start_from = start_text or first_lap
    if start_from:
        start = _tcx_time(start_from)
    elif points:
        start = points[0]["time"]
    else:
        raise InvalidActivityFile("the TCX activity has no time")
    samples = [{"t": (p.pop("time") - start).total_seconds(), **p} for p in points]
    gps_total = fill_gps_distance(samples) if samples else 0.0
    lap_distance = sum(_number(lap, "t:DistanceMeters") or 0 for lap in laps)
    lap_time = sum(_number(lap, "t:TotalTimeSeconds") or 0 for lap in laps)
    lap_calories = sum(_number(lap, "t:Calories") or 0 for lap in laps)
    lap_avg, lap_max = _laps_heart_rate(laps)
    avg_hr, max_hr = time_weighted_hr(samples)
    span = samples[-1]["t"] if samples else 0.0
    return ParsedActivity(
        start_time=start.astimezone(UTC),
        sport=sport,
        distance=lap_distance or (samples[-1]["distance"] if samples else 0.0) or gps_total,
        duration=lap_time or moving_seconds(samples),
        elapsed_time=max(span, lap_time),
        avg_heart_rate=lap_avg or avg_hr,
        max_heart_rate=lap_max or max_hr,
        elevation_gain=elevation_gain(samples),
        calories=lap_calories or None,
        samples=samples,
        laps=[
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
        ],
    )


def parse_tcx(content: bytes) -> ParsedFile:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(_xml_bytes(content), parser)
    activities = root.find("t:Activities", TCX_NS)
    if activities is None or not len(activities):
        if root.find("t:Courses", TCX_NS) is not None:
            raise NotAnActivity(
                "it is a course (a planned route), not a recorded activity: load it on a "
                "device to follow it, and upload the activity it records"
            )
        raise InvalidActivityFile("the TCX file has no activity")
    legs = []
    # A multisport session's legs (FirstSport, then each NextSport's transition and
    # activity) in document order, or the plain activities of the file.
    for element in activities.iter(f"{{{TCX_NS['t']}}}Activity", f"{{{TCX_NS['t']}}}Transition"):
        if element.tag.endswith("Transition"):  # a transition is one lap of its own
            legs.append(_tcx_leg(element, [element], "transition", element.get("StartTime")))
            continue
        laps = element.findall("t:Lap", TCX_NS)
        sport = normalise_sport(element.get("Sport"))
        legs.append(_tcx_leg(element, laps, sport, _text(element, "t:Id")))
    legs = [leg for leg in legs if leg.samples or leg.duration > 0]
    if not legs:
        raise InvalidActivityFile("the file has no track points")
    return ParsedFile(sorted(legs, key=lambda leg: leg.start_time))
