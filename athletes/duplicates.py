"""The duplicate rule: when an activity sent is one already stored (API.md, Activities:
the same external id, the same file, or the same run from another source)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q

from astral.api.errors import ApiError
from athletes.models import Activity, User

OVERLAP_WINDOW = timedelta(minutes=2)


OVERLAP_DISTANCE_RATIO = 0.03


def duplicate_error(existing: Activity, message: str) -> ApiError:
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


DUPLICATE_FIELDS = ("pk", "public_id", "start_time", "distance", "source", "external_id",
                    "content_hash", "multisport_id")  # fmt: skip


def stored_alike(
    user: User, candidates: list[Activity], *, allow_overlap: bool, exclude_pk: int | None = None
) -> list[Activity]:
    """The athlete's stored activities any of these could duplicate, in one indexed read (by
    external id, by file hash, or starting within the overlap window of one), oldest first.

    A read."""
    alike = Q()
    ids = {(c.source, c.external_id) for c in candidates if c.external_id}
    for source, external_id in ids:
        alike |= Q(source=source, external_id=external_id)
    hashes = {c.content_hash for c in candidates if c.content_hash}
    if hashes:
        alike |= Q(content_hash__in=hashes)
    if not allow_overlap:
        for c in candidates:
            alike |= Q(start_time__range=(c.start_time - OVERLAP_WINDOW,
                                          c.start_time + OVERLAP_WINDOW))  # fmt: skip
    if not alike:
        return []
    others = Activity.objects.filter(alike, user=user).only(*DUPLICATE_FIELDS).order_by("pk")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return list(others)


def duplicate_among(
    candidate: Activity, others: Iterable[Activity], *, allow_overlap: bool
) -> ApiError | None:
    """The 409 when `candidate` is one of `others` again: the same external id, the same
    file, or (unless `allow_overlap`) the same run from another source: starting within 2
    minutes with a distance within 3 %. The legs of one multisport event follow each other
    closely by nature and are never each other's duplicates.

    A computation."""
    others = [
        o
        for o in others
        if not (candidate.multisport_id and o.multisport_id == candidate.multisport_id)
    ]
    if candidate.external_id:
        for existing in others:
            if (existing.source, existing.external_id) == (candidate.source, candidate.external_id):
                return duplicate_error(
                    existing, "This activity was already imported (same external_id)."
                )
    if candidate.content_hash:
        for existing in others:
            if existing.content_hash == candidate.content_hash:
                return duplicate_error(existing, "This file was already uploaded.")
    if not allow_overlap:
        for existing in others:
            if abs(existing.start_time - candidate.start_time) <= OVERLAP_WINDOW and abs(
                existing.distance - candidate.distance
            ) <= OVERLAP_DISTANCE_RATIO * max(existing.distance, candidate.distance):
                return duplicate_error(
                    existing,
                    f"The same {SPORT_WORDS.get(candidate.sport, 'activity')} is already stored"
                    " (starts within 2 minutes, distance within 3%). Pass allow_overlap=true to"
                    " store it anyway.",
                )
    return None


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
    candidate = Activity(
        start_time=start_time,
        distance=distance,
        source=source,
        external_id=external_id,
        content_hash=content_hash,
        multisport_id=multisport_id,
        sport=sport,
    )
    stored = stored_alike(user, [candidate], allow_overlap=allow_overlap, exclude_pk=exclude_pk)
    return duplicate_among(candidate, stored, allow_overlap=allow_overlap)
