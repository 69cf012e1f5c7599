"""Activities: duplicates, the derived fields, create, update, delete, files, best efforts, comments.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from django.db import IntegrityError, connection, transaction

from astral.api.errors import ApiError
from astral.localtime import local_date
from athletes import files, streams
from athletes.models import (
    RUNNING_SPORTS,
    Activity,
    ActivityComment,
    ActivityFile,
    ActivityStream,
    BestEffort,
    PaceCurve,
    User,
    new_event_id,
)
from athletes.plausibility import activity_problem
from athletes.selectors import TrainingContext, training_context
from athletes.services.changes import athlete_data_changed, lock_athlete
from metrics import efforts
from metrics.load import calories_estimate, training_load
from metrics.streams import stream_views
from metrics.zones import Sample, zone_times

OVERLAP_WINDOW = timedelta(minutes=2)


OVERLAP_DISTANCE_RATIO = 0.03


def derived_fields(
    *,
    context: TrainingContext,
    distance: float,
    duration: float,
    avg_heart_rate: float | None,
    samples: list[Sample],
) -> dict[str, float | None]:
    """A computation: its caller stores the row and ends in `athlete_data_changed`."""
    zones = zone_times(
        samples=samples,
        duration=duration,
        distance=distance,
        avg_heart_rate=avg_heart_rate,
        pace_boundaries=context.pace_zones,
        hr_bounds=context.hr_zones,
    )
    fields: dict[str, float | None] = {}
    for kind, times in (("pace", zones.pace), ("hr", zones.hr)):
        for i in range(5):
            fields[f"{kind}_z{i + 1}_time"] = None if times is None else round(times[i], 1)
    fields["training_load"] = training_load(
        duration=duration,
        distance=distance,
        avg_heart_rate=avg_heart_rate,
        samples=samples,
        resting_hr=context.resting_hr,
        max_hr=context.max_hr,
        vdot=context.vdot,
        sex=context.sex,
    )
    return fields


def _duplicate(existing: Activity, message: str) -> ApiError:
    return ApiError(
        message,
        "DUPLICATE_ACTIVITY",
        status=409,
        extra={"activity_id": existing.public_id},
    )


SPORT_WORDS = {
    "run": "run",
    "trail_run": "run",
    "treadmill": "run",
    "ride": "ride",
    "swim": "swim",
    "walk": "walk",
    "hike": "hike",
}


def find_duplicate(
    *,
    user: User,
    start_time: datetime,
    distance: float,
    source: str,
    external_id: str | None,
    content_hash: str | None,
    allow_overlap: bool,
    exclude_pk: int | None = None,
    multisport_id: str | None = None,
    sport: str = "run",
) -> ApiError | None:
    """A read."""
    others = Activity.objects.filter(user=user)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if multisport_id:  # the legs of one event follow each other closely by nature
        others = others.exclude(multisport_id=multisport_id)
    if external_id:
        existing = others.filter(source=source, external_id=external_id).first()
        if existing:
            return _duplicate(existing, "This activity was already imported (same external_id).")
    if content_hash:
        existing = others.filter(content_hash=content_hash).first()
        if existing:
            return _duplicate(existing, "This file was already uploaded.")
    if not allow_overlap:
        nearby = others.filter(
            start_time__gte=start_time - OVERLAP_WINDOW,
            start_time__lte=start_time + OVERLAP_WINDOW,
        )
        for existing in nearby:
            if abs(existing.distance - distance) <= OVERLAP_DISTANCE_RATIO * max(
                existing.distance, distance
            ):
                return _duplicate(
                    existing,
                    f"The same {SPORT_WORDS.get(sport, 'activity')} is already stored (starts"
                    " within 2 minutes, distance within 3%). Pass allow_overlap=true to store"
                    " it anyway.",
                )
    return None


def activity_create(
    *,
    user: User,
    fields: dict[str, Any],
    samples: list[dict[str, Any]] | None = None,
    allow_overlap: bool = False,
    laps: list[dict[str, Any]] | None = None,
) -> Activity:
    """Stores one activity with server-computed zone times, load and calories.

    Raises ApiError 409 DUPLICATE_ACTIVITY for the same external id, the same file, or
    the same run from another source.
    """
    parsed = [
        Sample(t=float(s["t"]), distance=s.get("distance"), heart_rate=s.get("heart_rate"))
        for s in samples or []
    ]
    try:
        return _activity_insert(
            user=user,
            fields=fields,
            samples=samples,
            parsed=parsed,
            allow_overlap=allow_overlap,
            laps=laps,
        )
    except IntegrityError:
        # A concurrent request stored the same external id or file a moment before us: the
        # unique constraints are the last line, after the check under the row lock.
        source, external_id = fields.get("source", "manual"), fields.get("external_id")
        existing = (
            Activity.objects.filter(user=user, source=source, external_id=external_id).first()
            if external_id
            else Activity.objects.filter(user=user, content_hash=fields.get("content_hash")).first()
        )
        if existing is None:
            raise
        raise _duplicate(existing, "This activity was already stored.") from None


def _activity_insert(
    *,
    user: User,
    fields: dict[str, Any],
    samples: list[dict[str, Any]] | None,
    parsed: list[Sample],
    allow_overlap: bool,
    laps: list[dict[str, Any]] | None,
) -> Activity:
    with transaction.atomic():
        lock_athlete(user)
        duplicate = find_duplicate(
            user=user,
            start_time=fields["start_time"],
            distance=fields["distance"],
            source=fields.get("source", "manual"),
            external_id=fields.get("external_id"),
            content_hash=fields.get("content_hash"),
            allow_overlap=allow_overlap,
            multisport_id=fields.get("multisport_id"),
            sport=fields.get("sport", "run"),
        )
        if duplicate:
            raise duplicate
        # METRICS.md §2: the 7 local days ending on the activity's own day.
        context = training_context(user, local_date(fields["start_time"], user.tz))
        activity = Activity(user=user, **fields)
        if activity.calories is None:
            activity.calories = calories_estimate(activity.distance, context.weight_kg)
        for name, value in derived_fields(
            context=context,
            distance=activity.distance,
            duration=activity.duration,
            avg_heart_rate=activity.avg_heart_rate,
            samples=parsed,
        ).items():
            setattr(activity, name, value)
        activity.save()
        if samples:
            columns = streams.columns_of(samples)
            ActivityStream.objects.create(
                activity=activity,
                data=streams.pack(columns),
                sample_count=len(samples),
                laps=laps or [],
                views=streams.pack_views(
                    stream_views(columns, cadence_factor=streams.cadence_factor(activity.sport))
                ),
            )
        efforts_store(
            activity=activity,
            times=[s.get("t") for s in samples or []],
            distances=[s.get("distance") for s in samples or []],
        )
        athlete_data_changed([user.pk])
    return activity


def efforts_store(
    *, activity: Activity, times: list[Any], distances: list[Any], replace: bool = False
) -> None:
    """The run's best efforts and pace curve (metrics/efforts.py), stored with
    it; nothing for rides, swims and walks, whose speeds are not running records.

    Not a data change of its own: it runs inside the activity write that ends in `athlete_data_changed`."""
    if replace:
        BestEffort.objects.filter(activity=activity).delete()
        PaceCurve.objects.filter(activity=activity).delete()
    found, curve = _efforts_of(activity, times, distances)
    BestEffort.objects.bulk_create(found)
    if curve is not None:
        curve.save()


def _efforts_of(
    activity: Activity, times: list[Any], distances: list[Any]
) -> tuple[list[BestEffort], PaceCurve | None]:
    if activity.sport not in RUNNING_SPORTS:
        return [], None
    found = [
        BestEffort(
            activity=activity,
            user_id=activity.user_id,
            distance_key=effort.key,
            seconds=round(effort.seconds, 2),
            start_offset=round(effort.start_offset, 2),
            start_time=activity.start_time,
        )
        for effort in efforts.best_efforts(
            times, distances, whole_distance=activity.distance, whole_seconds=activity.duration
        )
    ]
    speeds = efforts.pace_curve(times, distances) if times else []
    if not any(speed is not None for speed in speeds):
        return found, None
    return found, PaceCurve(
        activity=activity, user_id=activity.user_id, start_time=activity.start_time, speeds=speeds
    )


def activity_update(
    *,
    activity: Activity,
    fields: dict[str, Any],
    allow_overlap: bool = True,
    samples: list[dict[str, Any]] | None = None,
) -> Activity:
    """An edit; with `samples`, the activity's streams are replaced too (a sync that sends
    the run again), and everything read from them follows."""
    fields = _name_follows_sport(activity, fields)
    with transaction.atomic():
        lock_athlete(activity.user)
        for name, value in fields.items():
            setattr(activity, name, value)
        if {"start_time", "distance"} & fields.keys() and not allow_overlap:
            duplicate = find_duplicate(
                user=activity.user,
                start_time=activity.start_time,
                distance=activity.distance,
                source=activity.source,
                external_id=None,
                content_hash=None,
                allow_overlap=False,
                exclude_pk=activity.pk,
                multisport_id=activity.multisport_id,
                sport=activity.sport,
            )
            if duplicate:
                raise duplicate
        if samples is not None:
            _stream_replace(activity, samples)
        stream = ActivityStream.objects.filter(activity=activity).first()
        columns = streams.unpack(stream.data) if stream else {}
        parsed = streams.to_samples(columns)
        context = training_context(activity.user, local_date(activity.start_time, activity.user.tz))
        for name, value in derived_fields(
            context=context,
            distance=activity.distance,
            duration=activity.duration,
            avg_heart_rate=activity.avg_heart_rate,
            samples=parsed,
        ).items():
            setattr(activity, name, value)
        activity.save()
        if stream is not None and "sport" in fields:  # cadence is read per sport
            stream.views = streams.pack_views(
                stream_views(columns, cadence_factor=streams.cadence_factor(activity.sport))
            )
            stream.save(update_fields=["views"])
        if EFFORT_INPUTS & fields.keys() or samples is not None:
            efforts_store(
                activity=activity,
                times=columns.get("t", []),
                distances=columns.get("distance") or [],
                replace=True,
            )
        athlete_data_changed([activity.user_id])
    return activity


def efforts_rebuild(*, activities: list[Activity], batch: int = 500) -> int:
    """Finds again the best efforts and pace curves of stored runs (for runs stored before
    they existed, or after their rules changed), a batch at a time; returns the count."""
    for first in range(0, len(activities), batch):
        chunk = activities[first : first + batch]
        ids = [a.pk for a in chunk]
        stored = {s.activity_id: s for s in ActivityStream.objects.filter(activity_id__in=ids)}
        rows: list[BestEffort] = []
        curves: list[PaceCurve] = []
        for activity in chunk:
            stream = stored.get(activity.pk)
            columns = streams.unpack(stream.data) if stream else {}
            if stream is not None:
                stream.views = streams.pack_views(
                    stream_views(columns, cadence_factor=streams.cadence_factor(activity.sport))
                )
            found, curve = _efforts_of(
                activity, columns.get("t", []), columns.get("distance") or []
            )
            rows += found
            curves += [curve] if curve is not None else []
        with transaction.atomic():
            BestEffort.objects.filter(activity_id__in=ids).delete()
            PaceCurve.objects.filter(activity_id__in=ids).delete()
            BestEffort.objects.bulk_create(rows)
            PaceCurve.objects.bulk_create(curves)
            ActivityStream.objects.bulk_update(stored.values(), ["views"])
            athlete_data_changed({a.user_id for a in chunk})
    return len(activities)


# What a run's best efforts and pace curve depend on: editing any of these rebuilds them.
# What a run's best efforts and pace curve are read from, and whose records they are (staff
# can move a run to another athlete in the admin).
EFFORT_INPUTS = {"sport", "distance", "duration", "start_time", "user"}


def activity_delete(*, activity: Activity) -> None:
    with transaction.atomic():
        user_id = activity.user_id
        activity.delete()
        athlete_data_changed([user_id])


def _stream_replace(activity: Activity, samples: list[dict[str, Any]]) -> None:
    """The activity's sample streams as sent now (none: no streams). Part of its update."""
    ActivityStream.objects.filter(activity=activity).delete()
    if samples:
        columns = streams.columns_of(samples)
        ActivityStream.objects.create(
            activity=activity,
            data=streams.pack(columns),
            sample_count=len(samples),
            views=streams.pack_views(
                stream_views(columns, cadence_factor=streams.cadence_factor(activity.sport))
            ),
        )


def _name_follows_sport(activity: Activity, fields: dict[str, Any]) -> dict[str, Any]:
    """API.md: a generated name ("Evening Other") follows a new sport until the athlete
    names the activity; a name sent unchanged is not naming it."""
    if "sport" not in fields or fields["sport"] == activity.sport:
        return fields
    if fields.get("name", activity.name) != activity.name:
        return fields  # the athlete names it now
    tz = activity.user.tz
    if activity.name != activity_name(activity.sport, activity.start_time, tz):
        return fields  # named by the athlete before
    start = fields.get("start_time", activity.start_time)
    return {**fields, "name": activity_name(fields["sport"], start, tz)}


def activity_name(sport: str, start_time: datetime, tz: Any) -> str:
    """ "Morning Run", "Evening Ride": what runners' apps call an imported activity.

    A computation."""
    hour = start_time.astimezone(tz).hour
    part = (
        "Morning"
        if 5 <= hour < 12
        else "Afternoon"
        if hour < 17
        else "Evening"
        if hour < 22
        else "Night"
    )
    return f"{part} {sport.replace('_', ' ').title()}"


@dataclass
class Imported:
    """The activities one file held (one per leg of a multisport file) and, when part of the
    file could not be read or was left out, what."""

    activities: list[Activity]
    warning: str | None = None

    @property
    def first(self) -> Activity:
        return self.activities[0]


def activity_import_file(
    *,
    user: User,
    filename: str,
    content: bytes,
    allow_overlap: bool = False,
    source: str = "file",
    sport: str | None = None,
) -> Imported:
    """Parses a FIT, GPX or TCX file (optionally gzip-compressed) and stores each of its
    activities; the legs of a multisport file share an event id, all stored or none.
    `sport`: what the athlete says the activity was, for a file that names none (`other`).

    Raises UnsupportedFileType, InvalidActivityFile, or ApiError 409 for a duplicate.
    """
    kind, raw = files.file_kind(filename, content)
    parsed = files.parse(kind, raw)
    multisport = len(parsed.legs) > 1
    event = new_event_id() if multisport and parsed.linked else None
    stored = []
    # The legs of a multisport file are stored together or not at all; one activity needs
    # no transaction around its own (a savepoint and its release, saved on every import).
    with transaction.atomic() if multisport else contextlib.nullcontext():
        for index, leg in enumerate(parsed.legs):
            if sport and leg.sport == "other":
                leg.sport = sport
            fields = leg.fields()
            problem = activity_problem(
                start_time=leg.start_time,
                distance=fields["distance"],
                duration=fields["duration"],
                avg_heart_rate=fields["avg_heart_rate"],
                max_heart_rate=fields["max_heart_rate"],
            )
            if problem is not None:  # the same rule as the JSON endpoint's
                where = f"leg {index + 1} ({leg.sport}): " if multisport else ""
                raise files.InvalidActivityFile(where + problem[1])
            fields["source"] = source
            # The first leg carries the file's own hash, so the same file is a duplicate;
            # the others a hash of their own (one hash per athlete and activity).
            suffix = b"" if index == 0 else f"#leg{index + 1}".encode()
            fields["content_hash"] = files.content_hash(raw + suffix)
            fields["name"] = activity_name(leg.sport, leg.start_time, user.tz)
            if event:
                fields["multisport_id"], fields["leg"] = event, index + 1
            stored.append(
                activity_create(
                    user=user,
                    fields=fields,
                    samples=leg.samples,
                    allow_overlap=allow_overlap,
                    laps=leg.laps,
                )
            )
        original_file_keep(stored[0], filename, kind, content, raw)
    return Imported(stored, parsed.warning)


def original_file_keep(
    activity: Activity, filename: str, kind: str, sent: bytes, raw: bytes
) -> ActivityFile:
    """The file as sent, gzip-compressed (kept as sent when it came compressed): a tenth of a
    GPX's bytes, half a FIT's.

    Not a data change: part of the activity's own write (no number is read from it)."""
    name = PurePosixPath(filename.replace("\\", "/")).name or f"activity{kind}"
    if name.lower().endswith(".gz"):
        name = name[:-3]
    if not name.lower().endswith(kind):
        name += kind
    data = sent if sent[:2] == b"\x1f\x8b" else gzip.compress(raw, compresslevel=1, mtime=0)
    return ActivityFile.objects.create(
        activity=activity, filename=name[-255:], kind=kind, size=len(raw), data=data
    )


def comment_create(*, activity: Activity, author: User, text: str) -> ActivityComment:
    """A comment under a run; the athlete's data changes (the comment count is shown)."""
    with transaction.atomic():
        comment = ActivityComment.objects.create(activity=activity, author=author, text=text)
        athlete_data_changed([activity.user_id])
    return comment


def comment_delete(*, comment: ActivityComment) -> None:
    with transaction.atomic():
        user_id = comment.activity.user_id
        comment.delete()
        athlete_data_changed([user_id])


# How many files one athlete's uploads may parse at once: a fourth waits for none of them and
# is refused at once, so one person cannot hold every web worker (issue 32).
UPLOADS_IN_FLIGHT = 3
_UPLOAD_LOCK = 0x55504C00  # "UPL\0": the advisory-lock class of upload slots


@contextlib.contextmanager
def upload_slot(user: User) -> Iterator[None]:
    """One of the athlete's UPLOADS_IN_FLIGHT upload slots for the duration of the block, held
    as a PostgreSQL advisory lock (so it counts across every process and machine, and goes
    with the connection if the process dies); a 429 `TOO_MANY_UPLOADS` when all are taken.

    Not a data change: a lock only."""
    with connection.cursor() as cursor:
        for slot in range(UPLOADS_IN_FLIGHT):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_UPLOAD_LOCK + slot, user.pk])
            if cursor.fetchone()[0]:
                break
        else:
            raise ApiError(
                f"{UPLOADS_IN_FLIGHT} of your uploads are still being read; "
                "send this one when one of them has finished.",
                "TOO_MANY_UPLOADS",
                field="file",
                status=429,
                retry_after=5,
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_UPLOAD_LOCK + slot, user.pk])
