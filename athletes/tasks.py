"""Tasks of the athletes app: each takes plain values and calls one service."""

from __future__ import annotations

from celery import shared_task

from astral.celery import (
    FINISH_STALLED_IMPORTS,
    IMPORT_ARCHIVE,
    IMPORT_FILE,
    IMPORT_FILES,
    PRUNE_CHANGES,
)


@shared_task(name=IMPORT_FILES, ignore_result=True)
def import_files(batch_id: int, payloads: list[tuple[str, str]], allow_overlap: bool) -> list[str]:
    """A set of a bulk import's files, on whichever worker process is free."""
    from athletes.services.imports import import_batch_files, import_content

    return import_batch_files(
        batch_id=batch_id,
        uploads=[(filename, import_content(payload)) for filename, payload in payloads],
        allow_overlap=allow_overlap,
    )


@shared_task(name=IMPORT_FILE, ignore_result=True)
def import_file(batch_id: int, filename: str, payload: str, allow_overlap: bool) -> list[str]:
    """One file of a bulk import, as tasks sent before files went in sets still come."""
    return import_files(batch_id, [(filename, payload)], allow_overlap)


@shared_task(name=IMPORT_ARCHIVE, ignore_result=True)
def import_archive(batch_id: int, allow_overlap: bool) -> None:
    """A whole export's zip, kept in PostgreSQL: unpacked member by member into file tasks."""
    from athletes.services.imports import import_archive as unpack

    unpack(batch_id=batch_id, allow_overlap=allow_overlap)


@shared_task(name=FINISH_STALLED_IMPORTS, ignore_result=True)
def finish_stalled_imports() -> int:
    """Every batch reaches its end: the files of one that stopped moving are counted lost."""
    from athletes.services.imports import import_batches_finish_stalled

    return import_batches_finish_stalled()


@shared_task(name=PRUNE_CHANGES, ignore_result=True)
def prune_changes() -> int:
    """The change feed keeps 30 days (API.md §5); older changes go, once a day."""
    from athletes.services.changes import data_changes_prune

    return data_changes_prune()
