"""Bulk imports: a batch of files, each handled like an upload, the batch's count kept.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

import base64
import logging
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import IO, Any

import orjson
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from astral.api.errors import ApiError
from astral.celery import IMPORT_ARCHIVE, IMPORT_FILE, REFRESH_SNAPSHOT, enqueue
from athletes import files
from athletes.models import ImportBatch, ImportChunk, User
from athletes.services.activities import activity_import_file
from athletes.services.changes import _refresh_deferred

logger = logging.getLogger(__name__)


OUTCOMES = ("imported", "duplicate", "rejected")


def import_batch_create(*, user: User, total: int) -> ImportBatch:
    """Not a data change: the batch's files each end in `athlete_data_changed`."""
    return ImportBatch.objects.create(user=user, total=total)


def import_payload(content: bytes) -> str:
    """A file as a task argument: compressed (activity XML shrinks about tenfold, so the
    broker carries a tenth) and base64 text for the JSON message.

    A computation."""
    return base64.b64encode(zlib.compress(content, 1)).decode()


def import_content(payload: str) -> bytes:
    """A computation."""
    return zlib.decompress(base64.b64decode(payload))


def import_batch_start(
    *,
    user: User,
    members: list[tuple[str, Callable[[], bytes]]],
    allow_overlap: bool = False,
    sent: Callable[[ImportBatch], Any] | None = None,
) -> ImportBatch:
    """A batch of files, each a task: with a broker every worker process (on every machine)
    takes files as it frees up; without one, or with the broker away, they run here.
    `sent` is called after each file (the command's progress bar)."""
    batch = import_batch_create(user=user, total=len(members))
    import_members(batch=batch, members=members, allow_overlap=allow_overlap, sent=sent)
    return batch


def import_members(
    *,
    batch: ImportBatch,
    members: Iterable[tuple[str, Callable[[], bytes]]],
    allow_overlap: bool = False,
    sent: Callable[[ImportBatch], Any] | None = None,
) -> None:
    """Each member of a batch read (bounded, files.read_member) and handed on as a task; a
    member that cannot be read is a rejected file with its reason, counted like any other.

    Not a data change of its own: each file ends in `athlete_data_changed`."""
    for name, read in members:
        try:
            content = read()
        except files.InvalidActivityFile as exc:
            _count(batch.pk, "rejected", f"{name}: {exc}")
        else:
            queued = enqueue(
                IMPORT_FILE,
                (batch.pk, name, import_payload(content), allow_overlap),
            )
            if not queued:
                import_batch_file(
                    batch_id=batch.pk, filename=name, content=content, allow_overlap=allow_overlap
                )
        if sent is not None:
            sent(batch)


ARCHIVE_CHUNK_BYTES = 8 * 1024 * 1024


def import_archive_start(
    *, user: User, upload: IO[bytes], allow_overlap: bool = False
) -> ImportBatch:
    """A whole export, answered at once: only the zip's directory is read here (its members
    are counted); the zip is kept in PostgreSQL, where any worker on any machine reads it,
    and one task unpacks it member by member (`import_archive`).

    Not a data change of its own: each file ends in `athlete_data_changed`."""
    names = [name for name, _ in files.zip_members(zipfile.ZipFile(upload))]
    if not names:
        raise ApiError("The zip holds no .fit, .gpx or .tcx file.", "INVALID_FILE", field="file")
    with transaction.atomic():
        batch = import_batch_create(user=user, total=len(names))
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


def _count(batch_id: int, outcome: str, note: str | None) -> None:
    """One file of the batch ended (`imported`, `duplicate` or `rejected`), counted in one
    UPDATE, so any number of worker processes count together; the last one refreshes the
    athlete's snapshot once for the whole batch."""
    column = OUTCOMES[OUTCOMES.index(outcome)]  # one of three fixed names
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE athletes_importbatch SET done = done + 1, {column} = {column} + 1, "  # noqa: S608
            "touched_at = now(), problems = problems || %s::jsonb WHERE id = %s "
            "RETURNING done, total, user_id",
            [orjson.dumps([note] if note else []).decode(), batch_id],
        )
        done, total, user_id = cursor.fetchone()
    if done >= total:  # the last file of the batch, on whichever process
        enqueue(REFRESH_SNAPSHOT, ([user_id],))


def import_batch_file(
    *, batch_id: int, filename: str, content: bytes, allow_overlap: bool = False
) -> str:
    """Imports one file of a batch and counts how it ended (`imported`, `duplicate` or
    `rejected`). Never raises: a file that fails is a rejected file, with the reason kept."""
    batch = ImportBatch.objects.select_related("user").get(pk=batch_id)
    note = None
    deferred = _refresh_deferred.set(True)
    try:
        result = activity_import_file(
            user=batch.user, filename=filename, content=content, allow_overlap=allow_overlap
        )
        outcome = "imported"
        if result.warning:
            note = f"{filename}: imported, but {result.warning}"
    except ApiError as exc:
        outcome = "duplicate" if exc.code == "DUPLICATE_ACTIVITY" else "rejected"
        note = None if outcome == "duplicate" else f"{filename}: {exc.message}"
    except (files.InvalidActivityFile, files.UnsupportedFileType) as exc:
        outcome, note = "rejected", f"{filename}: {exc}"
    except Exception:  # one bad file must not stop the others; the log has the trace
        logger.exception("importing %s failed", filename)
        outcome, note = "rejected", f"{filename}: could not be imported (an error was logged)"
    finally:
        _refresh_deferred.reset(deferred)
    _count(batch_id, outcome, note)
    return outcome
