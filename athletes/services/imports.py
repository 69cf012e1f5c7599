"""Bulk imports: a batch of files, each handled like an upload, the batch's count kept.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

import base64
import gzip
import logging
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import IO, Any

import orjson
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from astral.api.errors import ApiError
from astral.celery import IMPORT_ARCHIVE, IMPORT_FILES, REFRESH_SNAPSHOT, enqueue
from athletes import files
from athletes.models import Goal, HealthMetric, ImportBatch, ImportChunk, Source, User
from athletes.plausibility import activity_problem
from athletes.services.activities import (
    Imported,
    activity_create,
    activity_import_file,
    activity_import_files,
    activity_update,
)
from athletes.services.changes import _refresh_deferred
from athletes.services.health import HEALTH_FIELDS, health_metrics_upsert
from athletes.services.plans import goal_create
from metrics.formatting import parse_duration

logger = logging.getLogger(__name__)


OUTCOMES = ("imported", "duplicate", "rejected")

# An athlete's own export (api.athletes.export) names itself in this member: sent back to
# the import, its activities without an original file, its readings and goals are restored
# beside the files it holds.
EXPORT_MANIFEST = "astral-export.json"
EXPORT_FORMAT = "astral-export"
EXPORT_VERSION = 1
EXPORT_JSON_MAX_BYTES = 512 * 1024 * 1024  # activities.json with every sample stream


def import_batch_create(*, user: User, total: int) -> ImportBatch:
    """Not a data change: the batch's files each end in `athlete_data_changed`."""
    return ImportBatch.objects.create(user=user, total=total)


def import_payload(content: bytes) -> str:
    """A file as a task argument: gzip-compressed (activity XML shrinks about tenfold, so the
    broker carries a tenth; a file sent compressed is carried as sent), as base64 text for
    the JSON message. The worker keeps these very bytes as the original file.

    A computation."""
    if content[:2] != b"\x1f\x8b":
        content = gzip.compress(content, compresslevel=1, mtime=0)
    return base64.b64encode(content).decode()


def import_content(payload: str) -> bytes:
    """The file a payload carries, still compressed (`files.file_kind` reads it through).

    A computation."""
    content = base64.b64decode(payload)
    if content[:2] != b"\x1f\x8b":  # a task sent before gzip payloads: zlib-compressed
        content = zlib.decompress(content)
    return content


def import_batch_start(
    *,
    user: User,
    members: list[tuple[str, Callable[[], bytes]]],
    allow_overlap: bool = False,
    sent: Callable[[ImportBatch], Any] | None = None,
) -> ImportBatch:
    """A batch of files, sent a few at a time as tasks: with a broker every worker process
    (on every machine) takes a set of files as it frees up; without one, or with the broker
    away, they run here. `sent` is called after each file (the command's progress bar)."""
    batch = import_batch_create(user=user, total=len(members))
    import_members(batch=batch, members=members, allow_overlap=allow_overlap, sent=sent)
    return batch


# A task carries at most this many files, or this many bytes of them: each table is written
# once per set (and the athlete's caches replaced once), while a big import still spreads
# over every worker process (a batch is cut into at least `IMPORT_SETS_AT_LEAST` sets).
IMPORT_SET_FILES = 8
IMPORT_SET_BYTES = 32 * 1024 * 1024
IMPORT_SETS_AT_LEAST = 8


def import_members(
    *,
    batch: ImportBatch,
    members: Iterable[tuple[str, Callable[[], bytes]]],
    allow_overlap: bool = False,
    sent: Callable[[ImportBatch], Any] | None = None,
) -> None:
    """Each member of a batch read (bounded, files.read_member) and handed on in sets of
    files, a task each; a member that cannot be read is a rejected file with its reason,
    counted like any other.

    Not a data change of its own: each set ends in `athlete_data_changed`."""
    per_set = max(1, min(IMPORT_SET_FILES, batch.total // IMPORT_SETS_AT_LEAST))
    pending: list[tuple[str, bytes]] = []
    for name, read in members:
        try:
            content = read()
        except files.InvalidActivityFile as exc:
            _count(batch.pk, {"rejected": 1}, [f"{name}: {exc}"])
        else:
            pending.append((name, content))
            if len(pending) >= per_set or sum(len(c) for _, c in pending) >= IMPORT_SET_BYTES:
                _send(batch, pending, allow_overlap)
                pending = []
        if sent is not None:
            sent(batch)
    if pending:
        _send(batch, pending, allow_overlap)


def _send(batch: ImportBatch, uploads: list[tuple[str, bytes]], allow_overlap: bool) -> None:
    payloads = [(name, import_payload(content)) for name, content in uploads]
    if not enqueue(IMPORT_FILES, (batch.pk, payloads, allow_overlap)):
        import_batch_files(batch_id=batch.pk, uploads=uploads, allow_overlap=allow_overlap)


ARCHIVE_CHUNK_BYTES = 8 * 1024 * 1024


def import_archive_start(
    *, user: User, upload: IO[bytes], allow_overlap: bool = False
) -> ImportBatch:
    """A whole export, answered at once: only the zip's directory is read here (its members
    are counted); the zip is kept in PostgreSQL, where any worker on any machine reads it,
    and one task unpacks it member by member (`import_archive`).

    Not a data change of its own: each file ends in `athlete_data_changed`."""
    archive = zipfile.ZipFile(upload)
    names = [name for name, _ in files.zip_members(archive)]
    exported = exported_activities(archive)
    if not names and exported is None:
        raise ApiError("The zip holds no .fit, .gpx or .tcx file.", "INVALID_FILE", field="file")
    with transaction.atomic():
        batch = import_batch_create(user=user, total=len(names if exported is None else exported))
        upload.seek(0)
        ImportChunk.objects.bulk_create(
            ImportChunk(batch=batch, seq=seq, data=chunk)
            for seq, chunk in enumerate(iter(lambda: upload.read(ARCHIVE_CHUNK_BYTES), b""))
        )
    # Committed above (no request is one transaction): a worker finds the zip when it starts.
    if not enqueue(IMPORT_ARCHIVE, (batch.pk, allow_overlap)):
        import_archive(batch_id=batch.pk, allow_overlap=allow_overlap)
    return batch


def import_archive(*, batch_id: int, allow_overlap: bool = False) -> None:
    """Unpacks a kept zip member by member into the batch's file tasks, then drops it.

    Not a data change of its own: each file ends in `athlete_data_changed`."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return
    with tempfile.TemporaryFile() as spool:
        for data in (
            ImportChunk.objects.filter(batch_id=batch_id)
            .order_by("seq")
            .values_list("data", flat=True)
        ):
            spool.write(data)
        spool.seek(0)
        try:
            archive = zipfile.ZipFile(spool)
            if EXPORT_MANIFEST in archive.namelist():
                export_restore(batch=batch, archive=archive, allow_overlap=allow_overlap)
            else:
                import_members(
                    batch=batch, members=files.zip_members(archive), allow_overlap=allow_overlap
                )
        except zipfile.BadZipFile as exc:  # the directory was read once; the rest is lost
            _finish(batch_id, f"the zip cannot be read ({exc})")
    ImportChunk.objects.filter(batch_id=batch_id).delete()


# A batch whose count has not moved for this long has lost its files (a worker killed while
# importing them, a task lost with its broker): they are counted rejected, so every batch
# reaches its end and says so.
STALL = timedelta(minutes=30)


def import_batches_finish_stalled(*, now: datetime | None = None) -> int:
    """Ends every batch that has not moved for `STALL`; the number of batches ended.

    Not a data change: no file of theirs is stored by this."""
    cutoff = (now or timezone.now()) - STALL
    stalled = list(
        ImportBatch.objects.filter(done__lt=F("total"), touched_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for batch_id in stalled:
        _finish(batch_id, "not imported: the worker handling them stopped; upload them again")
        ImportChunk.objects.filter(batch_id=batch_id).delete()
    return len(stalled)


def _finish(batch_id: int, reason: str) -> None:
    """Counts every file of the batch not yet ended as rejected, with one reason."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE athletes_importbatch SET rejected = rejected + (total - done), "
            "problems = problems || jsonb_build_array((total - done) || ' files ' || %s), "
            "done = total, touched_at = now() WHERE id = %s AND done < total "
            "RETURNING user_id",
            [reason, batch_id],
        )
        ended = cursor.fetchone()
    if ended:
        enqueue(REFRESH_SNAPSHOT, ([ended[0]],))


def _count(batch_id: int, ended: dict[str, int], notes: list[str]) -> None:
    """Files of the batch ended (so many `imported`, `duplicate` or `rejected`), counted in
    one UPDATE, so any number of worker processes count together; the last one refreshes
    the athlete's snapshot once for the whole batch."""
    counts = [ended.get(outcome, 0) for outcome in OUTCOMES]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE athletes_importbatch SET done = done + %s, imported = imported + %s, "
            "duplicate = duplicate + %s, rejected = rejected + %s, touched_at = now(), "
            "problems = problems || %s::jsonb WHERE id = %s RETURNING done, total, user_id",
            [sum(counts), *counts, orjson.dumps(notes).decode(), batch_id],
        )
        done, total, user_id = cursor.fetchone()
    if done >= total:  # the last file of the batch, on whichever process
        enqueue(REFRESH_SNAPSHOT, ([user_id],))


def import_batch_files(
    *, batch_id: int, uploads: list[tuple[str, bytes]], allow_overlap: bool = False
) -> list[str]:
    """Imports a set of a batch's files together (`activity_import_files`) and counts how
    each ended (`imported`, `duplicate` or `rejected`). Never raises: a file that fails is a
    rejected file, with the reason kept. Should the set fail as a whole (a row PostgreSQL
    refuses, an error), its files are imported one by one, so only the file at fault is."""
    batch = ImportBatch.objects.select_related("user").get(pk=batch_id)
    deferred = _refresh_deferred.set(True)
    try:
        try:
            results = activity_import_files(
                user=batch.user, uploads=uploads, allow_overlap=allow_overlap
            )
        except Exception:
            results = [_import_alone(batch.user, *upload, allow_overlap) for upload in uploads]
    finally:
        _refresh_deferred.reset(deferred)
    ended: dict[str, int] = {}
    notes = []
    outcomes = []
    for (filename, _), result in zip(uploads, results, strict=True):
        outcome, note = _outcome(filename, result)
        ended[outcome] = ended.get(outcome, 0) + 1
        notes += [note] if note else []
        outcomes.append(outcome)
    _count(batch_id, ended, notes)
    return outcomes


def _import_alone(user: User, filename: str, content: bytes, allow_overlap: bool) -> Any:
    try:
        return activity_import_file(
            user=user, filename=filename, content=content, allow_overlap=allow_overlap
        )
    except (ApiError, files.InvalidActivityFile, files.UnsupportedFileType) as exc:
        return exc
    except Exception as exc:  # one bad file must not stop the others; the log has the trace
        logger.exception("importing %s failed", filename)
        return exc


def _outcome(filename: str, result: Any) -> tuple[str, str | None]:
    """How one file ended, and the note the batch keeps of it."""
    if isinstance(result, Imported):
        return "imported", f"{filename}: imported, but {result.warning}" if result.warning else None
    if isinstance(result, ApiError):
        if result.code == "DUPLICATE_ACTIVITY":
            return "duplicate", None
        return "rejected", f"{filename}: {result.message}"
    if isinstance(result, files.InvalidActivityFile | files.UnsupportedFileType):
        return "rejected", f"{filename}: {result}"
    return "rejected", f"{filename}: could not be imported (an error was logged)"


def _export_member(archive: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    """A JSON list of the export, read bounded like any member; [] when absent or unreadable."""
    try:
        info = archive.getinfo(name)
        rows = orjson.loads(files.read_member(archive, info, EXPORT_JSON_MAX_BYTES))
    except (KeyError, orjson.JSONDecodeError, files.InvalidActivityFile):
        return []
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def exported_activities(archive: zipfile.ZipFile) -> list[dict[str, Any]] | None:
    """The activities of an Astral export, each restored from its original file (`file`) or,
    when it came from none (typed in, pushed by the API), from its JSON. None when the zip is
    not an Astral export.

    A read."""
    if EXPORT_MANIFEST not in archive.namelist():
        return None
    return _export_member(archive, "activities.json")


RESTORED_FIELDS = (
    "name",
    "notes",
    "sport",
    "distance",
    "duration",
    "elapsed_time",
    "avg_heart_rate",
    "max_heart_rate",
    "calories",
    "elevation_gain",
    "source",
    "external_id",
)


def _restored_activity(row: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An exported activity as the fields and samples `activity_create` takes; ValueError
    naming the first field that is not what an export writes."""
    fields = {k: row[k] for k in RESTORED_FIELDS if row.get(k) is not None}
    try:
        fields["start_time"] = datetime.fromisoformat(str(row.get("start_time")))
    except ValueError:
        raise ValueError("start_time is not an ISO 8601 time") from None
    if fields["start_time"].tzinfo is None:
        raise ValueError("start_time has no offset")
    for name in ("distance", "duration", "elapsed_time", "avg_heart_rate", "max_heart_rate",
                 "calories", "elevation_gain"):  # fmt: skip
        if name in fields and (
            isinstance(fields[name], bool) or not isinstance(fields[name], int | float)
        ):
            raise ValueError(f"{name} is not a number")
    for name in ("name", "notes", "sport", "source", "external_id"):
        if name in fields and not isinstance(fields[name], str):
            raise ValueError(f"{name} is not text")
    if fields.get("source") not in {choice for choice, _ in Source.choices}:
        fields["source"] = Source.MANUAL
    problem = activity_problem(
        start_time=fields["start_time"],
        distance=fields.get("distance"),
        duration=fields.get("duration"),
        avg_heart_rate=fields.get("avg_heart_rate"),
        max_heart_rate=fields.get("max_heart_rate"),
    )
    if problem is not None:
        raise ValueError(problem[1])
    columns = row.get("samples") or {}
    samples: list[dict[str, Any]] = []
    if isinstance(columns, dict) and isinstance(columns.get("t"), list):
        names = [k for k, v in columns.items() if isinstance(v, list)]
        for index, t in enumerate(columns["t"]):
            if isinstance(t, bool) or not isinstance(t, int | float):
                raise ValueError(f"samples.t[{index}] is not a number")
            samples.append({k: columns[k][index] for k in names if index < len(columns[k])})
    return fields, samples


def export_restore(*, batch: ImportBatch, archive: zipfile.ZipFile, allow_overlap: bool) -> None:
    """An Astral export, in one task: each activity counted in the batch like a file (from its
    original file, with the name, notes and sport the athlete gave it, or from its JSON), then
    its daily readings and goals (what is already there is kept, not doubled)."""
    rows = exported_activities(archive) or []
    user = batch.user
    from_file: dict[str, list[int]] = {}  # a multisport file's legs share it
    for index, row in enumerate(rows):
        if isinstance(row.get("file"), str):
            from_file.setdefault(row["file"], []).append(index)
    deferred = _refresh_deferred.set(True)
    try:
        for path, indexes in from_file.items():
            outcome, note = _restore_file(user, archive, path, [rows[i] for i in indexes])
            _count(batch.pk, {outcome: len(indexes)}, [note] * len(indexes) if note else [])
        for index, row in enumerate(rows):
            if not isinstance(row.get("file"), str):
                outcome, note = _restore_typed(user, row, f"activities.json[{index}]",
                                               allow_overlap)  # fmt: skip
                _count(batch.pk, {outcome: 1}, [note] if note else [])
        _restore_readings_and_goals(user, archive)
    finally:
        _refresh_deferred.reset(deferred)


def _restore_file(
    user: User, archive: zipfile.ZipFile, path: str, rows: list[dict[str, Any]]
) -> tuple[str, str | None]:
    """One original file of the export, stored as its upload was, then named as the athlete
    had named each of its legs."""
    try:
        content = files.read_member(archive, archive.getinfo(path), files.MAX_DECOMPRESSED_BYTES)
        imported = activity_import_file(user=user, filename=path, content=content)
    except KeyError:
        return "rejected", f"{path}: not in the zip"
    except ApiError as exc:
        if exc.code == "DUPLICATE_ACTIVITY":
            return "duplicate", None
        return "rejected", f"{path}: {exc.message}"
    except (files.InvalidActivityFile, files.UnsupportedFileType) as exc:
        return "rejected", f"{path}: {exc}"
    for activity, row in zip(imported.activities, rows, strict=False):
        given = {k: row[k] for k in ("name", "notes", "sport") if isinstance(row.get(k), str)}
        changed = {k: v for k, v in given.items() if getattr(activity, k) != v}
        if changed:
            activity_update(activity=activity, fields=changed)
    return "imported", None


def _restore_typed(
    user: User, row: dict[str, Any], label: str, allow_overlap: bool
) -> tuple[str, str | None]:
    try:
        fields, samples = _restored_activity(row)
        laps = row.get("laps") if isinstance(row.get("laps"), list) else None
        with transaction.atomic():
            activity_create(
                user=user, fields=fields, samples=samples, allow_overlap=allow_overlap, laps=laps
            )
    except ApiError as exc:
        if exc.code == "DUPLICATE_ACTIVITY":
            return "duplicate", None
        return "rejected", f"{label}: {exc.message}"
    except (ValueError, TypeError, KeyError, DatabaseError) as exc:
        return "rejected", f"{label}: {exc}"
    return "imported", None


def _restore_readings_and_goals(user: User, archive: zipfile.ZipFile) -> None:
    entries = []
    for row in _export_member(archive, "health_metrics.json"):
        reading = HealthMetric(user=user, date=row.get("date"))
        values = {k: row.get(k) for k in HEALTH_FIELDS if row.get(k) is not None}
        for name, value in values.items():
            setattr(reading, name, value)
        try:
            reading.full_clean(exclude=["user"], validate_unique=False)
        except ValidationError:
            continue  # a reading the API would refuse is not restored
        entries.append((user, {"date": reading.date, **values}))
    if entries:
        try:
            health_metrics_upsert(entries=entries)
        except DatabaseError:
            logger.warning("the readings of %s's export were refused by PostgreSQL", user.pk)
    have = set(user.goals.values_list("race_name", "race_date"))
    for row in _export_member(archive, "goals.json"):
        try:
            goal = Goal(
                user=user,
                race_name=row.get("race_name"),
                race_date=row.get("race_date"),
                distance=row.get("distance"),
                goal_time=parse_duration(row["goal_time"]) if row.get("goal_time") else None,
            )
            goal.full_clean(exclude=["user"])
        except (ValidationError, ValueError, TypeError, AttributeError):
            continue
        if (goal.race_name, goal.race_date) in have:
            continue
        have.add((goal.race_name, goal.race_date))
        goal_create(
            athlete=user,
            fields={
                k: getattr(goal, k) for k in ("race_name", "race_date", "distance", "goal_time")
            },
        )
