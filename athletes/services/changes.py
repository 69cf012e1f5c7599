"""Telling the rest of Astral that an athlete's data changed: the data version, the cache tokens, the snapshot refresh.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from astral import cache
from astral.celery import REFRESH_SNAPSHOT, enqueue
from athletes.models import DataChange, User

# A refresh waits this long after the write, so a burst of writes (a sync of a week of runs)
# is computed once: the first refresh to run finds the snapshot stale, the others fresh.
SNAPSHOT_REFRESH_DELAY_S = 2.0


def athlete_data_changed(user_ids: Iterable[int]) -> None:
    """Bumps the athletes' data versions (their snapshots are stale from now on), replaces
    the cache tokens of the athletes and their organizations, and refreshes the snapshots.

    Called inside the writing transaction; the refresh is enqueued once it commits (by the
    task's name: a lost broker never fails or delays the write, and a stale snapshot is
    recomputed when read or by the hourly refresh).
    """
    ids = sorted(set(user_ids))
    if not ids:
        return
    User.objects.filter(pk__in=ids).update(data_version=F("data_version") + 1)
    cache.invalidate(data_tokens(ids))
    if not _refresh_deferred.get():
        transaction.on_commit(
            lambda: enqueue(REFRESH_SNAPSHOT, (ids,), countdown=SNAPSHOT_REFRESH_DELAY_S)
        )


# Inside a bulk import, the snapshot is refreshed once when its last file ends, not per file.
_refresh_deferred: ContextVar[bool] = ContextVar("refresh_deferred", default=False)


def data_tokens(user_ids: Iterable[int]) -> list[str]:
    """The cache tokens a write of these athletes' training data replaces: theirs and their
    organizations' (not the members token: nobody's access changed).

    A read: the tokens only."""
    ids = sorted(set(user_ids))
    return [cache.athlete(pk) for pk in ids] + [cache.org(pk) for pk in organizations_of(ids)]


def person_changed(user_ids: Iterable[int]) -> None:
    """Replaces the cache tokens of these people (their profile, settings or existence
    changed) and of their organizations, members included: an API key's cached access to
    an athlete carries their profile.

    Not a data change: a person's name, settings or existence, not their training data (their caches are replaced, their data version stays)."""
    ids = sorted(set(user_ids))
    tokens = [cache.athlete(pk) for pk in ids]
    for pk in organizations_of(ids):
        tokens += cache.org_and_members(pk)
    cache.invalidate(tokens)


def organizations_of(user_ids: Iterable[int]) -> list[int]:
    """The organizations these athletes are members of (through the membership relation,
    so this layer needs nothing of `organizations`).

    A read."""
    rows = User.objects.filter(pk__in=list(user_ids), memberships__isnull=False).values_list(
        "memberships__organization_id", flat=True
    )
    return sorted(set(rows))


def lock_athlete(user: User) -> None:
    """Serialises writes to one athlete's activities (a row lock in PostgreSQL), so the
    overlap check below cannot race with a concurrent insert.

    Not a data change: the lock only, inside the caller's write."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


CHANGES_KEPT = timedelta(days=30)


def data_changes_prune(*, now: datetime | None = None) -> int:
    """Forgets changes older than 30 days (a cursor from before is then 410).

    Not a data change: the log of changes is not training data."""
    cutoff = (now or timezone.now()) - CHANGES_KEPT
    deleted, _ = DataChange.objects.filter(at__lt=cutoff).delete()
    return deleted
