"""Tasks of the athletes app: each takes plain values and calls one service."""

from __future__ import annotations

from celery import shared_task

from astral.celery import IMPORT_FILE


@shared_task(name=IMPORT_FILE, ignore_result=True)
def import_file(batch_id: int, filename: str, payload: str, allow_overlap: bool) -> str:
    """One file of a bulk import, on whichever worker process is free."""
    from athletes.services.imports import import_batch_file, import_content

    return import_batch_file(
        batch_id=batch_id,
        filename=filename,
        content=import_content(payload),
        allow_overlap=allow_overlap,
    )
