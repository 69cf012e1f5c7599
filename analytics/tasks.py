"""Celery tasks: load ids, call a service."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="analytics.tasks.refresh_snapshot", ignore_result=True)
def refresh_snapshot(user_ids: list[int]) -> int:
    from analytics.snapshots import snapshots_refresh

    return snapshots_refresh(user_ids)


@shared_task(name="analytics.tasks.refresh_all_snapshots", ignore_result=True)
def refresh_all_snapshots(batch_size: int = 200) -> int:
    from analytics.snapshots import snapshots_refresh_all

    return snapshots_refresh_all(batch_size=batch_size)


def enqueue_snapshot_refresh(user_ids: Iterable[int]) -> None:
    """Called on commit after a write. A lost broker never fails the write: the snapshot
    is stale by version and will be recomputed on read, or by the hourly refresh."""
    try:
        refresh_snapshot.delay(list(user_ids))
    except Exception:
        logger.warning("could not enqueue snapshot refresh for %s", user_ids, exc_info=True)
