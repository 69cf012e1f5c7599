"""Celery tasks: load ids, call a service."""

from __future__ import annotations

import logging

from celery import shared_task

from astral.celery import FORGET_CACHE_TOKENS, REFRESH_ALL_SNAPSHOTS, REFRESH_SNAPSHOT

logger = logging.getLogger(__name__)


# Idempotent: a worker process lost mid-refresh (killed, out of memory) hands its batch back
# to the queue instead of dropping it.
@shared_task(
    name=REFRESH_SNAPSHOT,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def refresh_snapshot(user_ids: list[int], force: bool = False) -> int:
    """The athletes' snapshots and the standings of their plans (those stale; all with
    `force`). The standings first: the snapshots are what the hourly refresh is timed by."""
    from analytics.snapshots import snapshots_refresh
    from analytics.standings import standings_refresh_for

    standings_refresh_for(user_ids, force=force)
    return snapshots_refresh(user_ids, force=force)


@shared_task(name=REFRESH_ALL_SNAPSHOTS, ignore_result=True)
def refresh_all_snapshots(batch_size: int = 200, force: bool = False) -> int:
    """The hourly refresh fans out: one task per batch, so every worker process, on every
    machine, takes a share (on 2 cores, 1,000 athletes in about half the time of one
    process). Only athletes whose data or local day changed since their snapshot are in the
    batches (`force`: everyone). Without a broker the batches run here in turn."""
    from analytics.snapshots import snapshot_batches

    batches = snapshot_batches(batch_size, only_stale=not force)
    for batch in batches:
        refresh_snapshot.delay(batch, force)
    return sum(len(batch) for batch in batches)


@shared_task(name=FORGET_CACHE_TOKENS, ignore_result=True)
def forget_cache_tokens(names: list[str]) -> None:
    """Invalidation again, once a read replica has replayed the write (astral/cache.py)."""
    from astral import cache

    cache.forget(names)
