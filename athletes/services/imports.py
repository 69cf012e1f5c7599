"""Bulk imports: a batch of files, each handled like an upload, the batch's count kept.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

import base64
import logging
import zlib
from collections.abc import Callable
from typing import Any

import orjson
from django.db import connection

from astral.api.errors import ApiError
from astral.celery import IMPORT_FILE, REFRESH_SNAPSHOT, enqueue
from athletes import files
from athletes.models import (
    ImportBatch,
    User,
)
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
    for name, read in members:
        content = read()
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
    return batch


def import_batch_file(
    *, batch_id: int, filename: str, content: bytes, allow_overlap: bool = False
) -> str:
    """Imports one file of a batch and counts how it ended (`imported`, `duplicate` or
    `rejected`) in one UPDATE, so any number of worker processes count together. Never
    raises: a file that fails is a rejected file, with the reason kept."""
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
    column = OUTCOMES[OUTCOMES.index(outcome)]  # one of three fixed names
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE athletes_importbatch SET done = done + 1, {column} = {column} + 1, "  # noqa: S608
            "problems = problems || %s::jsonb WHERE id = %s RETURNING done, total",
            [orjson.dumps([note] if note else []).decode(), batch_id],
        )
        done, total = cursor.fetchone()
    if done >= total:  # the last file of the batch, on whichever process
        enqueue(REFRESH_SNAPSHOT, ([batch.user_id],))
    return outcome
