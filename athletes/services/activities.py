"""Activities: duplicates, the derived fields, create, update, delete, files, best efforts, comments.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, connection, transaction

from astral.api.errors import ApiError
from astral.localtime import local_date
from athletes import files, streams
from athletes.duplicates import duplicate_among, duplicate_error, find_duplicate, stored_alike
from athletes.models import (
    RUNNING_SPORTS,
    Activity,
    ActivityComment,
    ActivityFile,
    ActivityStream,
    BestEffort,
    PaceCurve,
    User,
)
from athletes.selectors import TrainingContext, training_context, training_contexts
from athletes.services.changes import athlete_data_changed, lock_athlete
from athletes.uploads import Upload, activity_name, original_file, upload_read
from metrics import efforts
from metrics.load import calories_estimate, training_load
from metrics.streams import stream_views
from metrics.zones import Sample, zone_times


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
    # METRICS.md §2: the 7 local days ending on the activity's own day.
    context = training_context(user, local_date(fields["start_time"], user.tz))
    prepared = activity_prepare(
        user=user, fields=fields, samples=samples, laps=laps, context=context
    )
    try:
        with transaction.atomic():
            lock_athlete(user)
            duplicate = duplicate_among(
                prepared.activity,
                stored_alike(user, [prepared.activity], allow_overlap=allow_overlap),
                allow_overlap=allow_overlap,
            )
            if duplicate:
                raise duplicate
            prepared_store([prepared])
            athlete_data_changed([user.pk])
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
        raise duplicate_error(existing, "This activity was already stored.") from None
    return prepared.activity


@dataclass
class Prepared:
    """An activity ready to store: its row with every derived field set, and what is read
    from its samples (its stream row, best efforts and pace curve), all computed before
    anything is locked and inserted together by `prepared_store`."""

    activity: Activity
    stream: ActivityStream | None
    efforts: list[BestEffort]
    curve: PaceCurve | None


def activity_prepare(
    *,
    user: User,
    fields: dict[str, Any],
    samples: list[dict[str, Any]] | None,
    laps: list[dict[str, Any]] | None,
    context: TrainingContext,
) -> Prepared:
    """Server-computed zone times, load and calories, the stream's chart views and the
    run's best efforts, for an activity not yet stored.

    A computation: its caller stores it (`prepared_store`) and ends in `athlete_data_changed`."""
    activity = Activity(user=user, **fields)
    if activity.calories is None:
        activity.calories = calories_estimate(activity.distance, context.weight_kg)
    columns = streams.columns_of(samples) if samples else {}
    for name, value in derived_fields(
        context=context,
        distance=activity.distance,
        duration=activity.duration,
        avg_heart_rate=activity.avg_heart_rate,
        samples=streams.to_samples(columns),
    ).items():
        setattr(activity, name, value)
    stream = None
    if samples:
        stream = ActivityStream(
            activity=activity,
            data=streams.pack(columns),
            sample_count=len(samples),
            laps=laps or [],
            views=streams.pack_views(
                stream_views(columns, cadence_factor=streams.cadence_factor(activity.sport))
            ),
        )
    found, curve = _efforts_of(activity, columns.get("t", []), columns.get("distance") or [])
    return Prepared(activity, stream, found, curve)


def prepared_store(prepared: list[Prepared]) -> None:
    """Inserts prepared activities with their streams, efforts and curves: one statement per
    table whatever their number, so PostgreSQL's statement triggers keep the month and club
    totals, the roster rows and the effort places once for all of them.

    Not a data change of its own: its caller's write ends in `athlete_data_changed`."""
    Activity.objects.bulk_create([p.activity for p in prepared])
    ActivityStream.objects.bulk_create([p.stream for p in prepared if p.stream is not None])
    BestEffort.objects.bulk_create([e for p in prepared for e in p.efforts])
    PaceCurve.objects.bulk_create([p.curve for p in prepared if p.curve is not None])


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
    (outcome,) = activity_import_files(
        user=user, uploads=[(filename, content)], allow_overlap=allow_overlap, source=source,
        sport=sport,
    )  # fmt: skip
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


# What one file of `activity_import_files` can end in besides its activities.
FileRefused = ApiError | files.InvalidActivityFile | files.UnsupportedFileType


def activity_import_files(
    *,
    user: User,
    uploads: list[tuple[str, bytes]],
    allow_overlap: bool = False,
    source: str = "file",
    sport: str | None = None,
) -> list[Imported | FileRefused]:
    """Stores the activities of several files of one athlete together, each file's outcome
    in order: what it stored, or why not (its activities all stored or none).

    Everything read from the files (parsing, zone times, load, chart views, best efforts,
    the kept original) is computed before anything is locked; then, in one transaction
    under the athlete's lock, their duplicates are found in one read and each table is
    written once for all of them (`prepared_store`), with one data change."""
    outcomes: list[Imported | FileRefused | None] = []
    read: list[Upload | None] = []
    for filename, content in uploads:
        try:
            read.append(upload_read(user, filename, content, source=source, sport=sport))
            outcomes.append(None)
        except (files.InvalidActivityFile, files.UnsupportedFileType) as exc:
            read.append(None)
            outcomes.append(exc)
    contexts = training_contexts(
        user,
        [local_date(leg.start_time, user.tz) for item in read if item for _, leg in item.legs],
    )
    prepared: list[list[Prepared]] = [
        [
            activity_prepare(
                user=user, fields=fields, samples=leg.samples, laps=leg.laps,
                context=contexts[local_date(leg.start_time, user.tz)],
            )
            for fields, leg in item.legs
        ]
        if item
        else []
        for item in read
    ]  # fmt: skip
    kept = [
        original_file(item.filename, item.kind, item.sent, item.raw) if item else None
        for item in read
    ]
    candidates = [p.activity for legs in prepared for p in legs]
    if not candidates:  # every file refused already
        return cast(list[Imported | FileRefused], outcomes)
    with transaction.atomic():
        lock_athlete(user)
        seen = stored_alike(user, candidates, allow_overlap=allow_overlap)
        stored: list[Prepared] = []
        for index, legs in enumerate(prepared):
            if not legs:
                continue
            refused = next(
                (
                    d
                    for p in legs
                    if (d := duplicate_among(p.activity, seen, allow_overlap=allow_overlap))
                ),
                None,
            )
            if refused:
                outcomes[index] = refused
                continue
            seen += [p.activity for p in legs]
            stored += legs
            outcomes[index] = Imported([p.activity for p in legs], read[index].warning)
        if stored:
            prepared_store(stored)
            files_kept = []
            for index, legs in enumerate(prepared):
                if isinstance(outcomes[index], Imported):
                    kept[index].activity = legs[0].activity
                    files_kept.append(kept[index])
            ActivityFile.objects.bulk_create(files_kept)
            athlete_data_changed([user.pk])
    return cast(list[Imported | FileRefused], outcomes)  # each file has its outcome now


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
