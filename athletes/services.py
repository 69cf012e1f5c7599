"""Writes to an athlete's data. Each one is atomic and ends with `athlete_data_changed`."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import secrets
import zlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from analytics.metrics import efforts
from analytics.metrics.load import calories_estimate, training_load
from analytics.metrics.streams import stream_views
from analytics.metrics.zones import Sample, zone_times
from astral import cache
from astral.api.errors import ApiError
from astral.celery import enqueue
from athletes import files, streams
from athletes.models import (
    RUNNING_SPORTS,
    Activity,
    ActivityComment,
    ActivityStream,
    BestEffort,
    EmailVerification,
    Goal,
    HealthMetric,
    ImportBatch,
    Integration,
    PaceCurve,
    Plan,
    PlanInstance,
    PlannedWorkout,
    User,
    new_event_id,
)
from athletes.plausibility import activity_problem
from athletes.selectors import TrainingContext, training_context

logger = logging.getLogger(__name__)

OVERLAP_WINDOW = timedelta(minutes=2)
OVERLAP_DISTANCE_RATIO = 0.03

# A refresh waits this long after the write, so a burst of writes (a sync of a week of runs)
# is computed once: the first refresh to run finds the snapshot stale, the others fresh.
SNAPSHOT_REFRESH_DELAY_S = 2.0

HEALTH_FIELDS = ("resting_hr", "hrv", "vo2_max", "recovery_score", "sleep_seconds")


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
            lambda: enqueue(
                "analytics.tasks.refresh_snapshot", (ids,), countdown=SNAPSHOT_REFRESH_DELAY_S
            )
        )


# Inside a bulk import, the snapshot is refreshed once when its last file ends, not per file.
_refresh_deferred: ContextVar[bool] = ContextVar("refresh_deferred", default=False)


def user_register(
    *,
    email: str,
    username: str,
    password: str,
    display_name: str = "",
    timezone_name: str = "",
    email_verified: bool = False,
) -> User:
    """A new account; 409 `EMAIL_TAKEN` / `USERNAME_TAKEN` naming the field (API.md §2)."""
    if User.objects.filter(email__iexact=email).exists():
        raise ApiError(
            "An account with this e-mail exists.", "EMAIL_TAKEN", field="email", status=409
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ApiError("This username is taken.", "USERNAME_TAKEN", field="username", status=409)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=username,
                email=email.strip().lower(),
                password=password,
                display_name=display_name,
                timezone=timezone_name,
                email_verified=email_verified,
            )
    except IntegrityError:
        raise ApiError(
            "An account with these details exists.", "EMAIL_TAKEN", field="email", status=409
        ) from None


def data_tokens(user_ids: Iterable[int]) -> list[str]:
    """The cache tokens a write of these athletes' training data replaces: theirs and their
    organizations' (not the members token: nobody's access changed)."""
    ids = sorted(set(user_ids))
    return [cache.athlete(pk) for pk in ids] + [cache.org(pk) for pk in organizations_of(ids)]


def person_changed(user_ids: Iterable[int]) -> None:
    """Replaces the cache tokens of these people (their profile, settings or existence
    changed) and of their organizations, members included: an API key's cached access to
    an athlete carries their profile."""
    ids = sorted(set(user_ids))
    tokens = [cache.athlete(pk) for pk in ids]
    for pk in organizations_of(ids):
        tokens += cache.org_and_members(pk)
    cache.invalidate(tokens)


def organizations_of(user_ids: Iterable[int]) -> list[int]:
    """The organizations these athletes are members of (through the membership relation,
    so this layer needs nothing of `organizations`)."""
    rows = User.objects.filter(pk__in=list(user_ids), memberships__isnull=False).values_list(
        "memberships__organization_id", flat=True
    )
    return sorted(set(rows))


def lock_athlete(user: User) -> None:
    """Serialises writes to one athlete's activities (a row lock in PostgreSQL), so the
    overlap check below cannot race with a concurrent insert."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def derived_fields(
    *,
    context: TrainingContext,
    distance: float,
    duration: float,
    avg_heart_rate: float | None,
    samples: list[Sample],
) -> dict[str, float]:
    zones = zone_times(
        samples=samples,
        duration=duration,
        distance=distance,
        avg_heart_rate=avg_heart_rate,
        pace_boundaries=context.pace_zones,
        hr_bounds=context.hr_zones,
    )
    fields = {f"pace_z{i + 1}_time": round(v, 1) for i, v in enumerate(zones.pace)}
    fields.update({f"hr_z{i + 1}_time": round(v, 1) for i, v in enumerate(zones.hr)})
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


def _duplicate(existing: Activity, message: str) -> ApiError:
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
    others = Activity.objects.filter(user=user)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if multisport_id:  # the legs of one event follow each other closely by nature
        others = others.exclude(multisport_id=multisport_id)
    if external_id:
        existing = others.filter(source=source, external_id=external_id).first()
        if existing:
            return _duplicate(existing, "This activity was already imported (same external_id).")
    if content_hash:
        existing = others.filter(content_hash=content_hash).first()
        if existing:
            return _duplicate(existing, "This file was already uploaded.")
    if not allow_overlap:
        nearby = others.filter(
            start_time__gte=start_time - OVERLAP_WINDOW,
            start_time__lte=start_time + OVERLAP_WINDOW,
        )
        for existing in nearby:
            if abs(existing.distance - distance) <= OVERLAP_DISTANCE_RATIO * max(
                existing.distance, distance
            ):
                return _duplicate(
                    existing,
                    f"The same {SPORT_WORDS.get(sport, 'activity')} is already stored (starts"
                    " within 2 minutes, distance within 3%). Pass allow_overlap=true to store"
                    " it anyway.",
                )
    return None


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
    parsed = [
        Sample(t=float(s["t"]), distance=s.get("distance"), heart_rate=s.get("heart_rate"))
        for s in samples or []
    ]
    try:
        return _activity_insert(
            user=user,
            fields=fields,
            samples=samples,
            parsed=parsed,
            allow_overlap=allow_overlap,
            laps=laps,
        )
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
        raise _duplicate(existing, "This activity was already stored.") from None


def _activity_insert(
    *,
    user: User,
    fields: dict[str, Any],
    samples: list[dict[str, Any]] | None,
    parsed: list[Sample],
    allow_overlap: bool,
    laps: list[dict[str, Any]] | None,
) -> Activity:
    with transaction.atomic():
        lock_athlete(user)
        duplicate = find_duplicate(
            user=user,
            start_time=fields["start_time"],
            distance=fields["distance"],
            source=fields.get("source", "manual"),
            external_id=fields.get("external_id"),
            content_hash=fields.get("content_hash"),
            allow_overlap=allow_overlap,
            multisport_id=fields.get("multisport_id"),
            sport=fields.get("sport", "run"),
        )
        if duplicate:
            raise duplicate
        context = training_context(user, timezone.localdate(timezone=user.tz))
        activity = Activity(user=user, **fields)
        if activity.calories is None:
            activity.calories = calories_estimate(activity.distance, context.weight_kg)
        for name, value in derived_fields(
            context=context,
            distance=activity.distance,
            duration=activity.duration,
            avg_heart_rate=activity.avg_heart_rate,
            samples=parsed,
        ).items():
            setattr(activity, name, value)
        activity.save()
        if samples:
            columns = streams.columns_of(samples)
            ActivityStream.objects.create(
                activity=activity,
                data=streams.pack(columns),
                sample_count=len(samples),
                laps=laps or [],
                views=streams.pack_views(
                    stream_views(columns, cadence_factor=streams.cadence_factor(activity.sport))
                ),
            )
        efforts_store(
            activity=activity,
            times=[s.get("t") for s in samples or []],
            distances=[s.get("distance") for s in samples or []],
        )
        athlete_data_changed([user.pk])
    return activity


def efforts_store(
    *, activity: Activity, times: list[Any], distances: list[Any], replace: bool = False
) -> None:
    """The run's best efforts and pace curve (analytics/metrics/efforts.py), stored with
    it; nothing for rides, swims and walks, whose speeds are not running records."""
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
    *, activity: Activity, fields: dict[str, Any], allow_overlap: bool = True
) -> Activity:
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
        stream = ActivityStream.objects.filter(activity=activity).first()
        columns = streams.unpack(stream.data) if stream else {}
        parsed = streams.to_samples(columns)
        context = training_context(activity.user, timezone.localdate(timezone=activity.user.tz))
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
        if EFFORT_INPUTS & fields.keys():
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
EFFORT_INPUTS = {"sport", "distance", "duration", "start_time"}


def activity_delete(*, activity: Activity) -> None:
    with transaction.atomic():
        user_id = activity.user_id
        activity.delete()
        athlete_data_changed([user_id])


def health_metrics_upsert(*, entries: list[tuple[User, dict[str, Any]]]) -> list[HealthMetric]:
    """Upserts daily rows: for each (user, date) the later write wins for the fields it
    sends, atomically in the database (INSERT … ON CONFLICT DO UPDATE), so concurrent
    writers never lose each other's fields."""
    merged: dict[tuple[int, Any], dict[str, Any]] = {}
    users: dict[int, User] = {}
    for user, entry in entries:
        users[user.pk] = user
        merged.setdefault((user.pk, entry["date"]), {}).update(entry)
    by_fields: dict[tuple[str, ...], list[HealthMetric]] = {}
    for (user_pk, day), values in merged.items():
        sent = tuple(sorted(k for k in values if k in HEALTH_FIELDS))
        row = HealthMetric(user_id=user_pk, date=day, **{k: values[k] for k in sent})
        by_fields.setdefault(sent, []).append(row)
    with transaction.atomic():
        for sent, rows in by_fields.items():
            HealthMetric.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["user", "date"],
                update_fields=[*sent, "updated_at"],
            )
        athlete_data_changed(users.keys())
    keys = list(merged)
    stored = HealthMetric.objects.filter(
        user_id__in=users.keys(), date__in={day for _, day in keys}
    )
    index = {(m.user_id, m.date): m for m in stored}
    return [index[k] for k in keys]


def activity_name(sport: str, start_time: datetime, tz: Any) -> str:
    """ "Morning Run", "Evening Ride": what runners' apps call an imported activity."""
    hour = start_time.astimezone(tz).hour
    part = (
        "Morning"
        if 5 <= hour < 12
        else "Afternoon"
        if hour < 17
        else "Evening"
        if hour < 22
        else "Night"
    )
    return f"{part} {sport.replace('_', ' ').title()}"


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
) -> Imported:
    """Parses a FIT, GPX or TCX file (optionally gzip-compressed) and stores each of its
    activities; the legs of a multisport file share an event id, all stored or none.

    Raises UnsupportedFileType, InvalidActivityFile, or ApiError 409 for a duplicate.
    """
    kind, raw = files.file_kind(filename, content)
    parsed = files.parse(kind, raw)
    multisport = len(parsed.legs) > 1
    event = new_event_id() if multisport and parsed.linked else None
    stored = []
    # The legs of a multisport file are stored together or not at all; one activity needs
    # no transaction around its own (a savepoint and its release, saved on every import).
    with transaction.atomic() if multisport else contextlib.nullcontext():
        for index, leg in enumerate(parsed.legs):
            fields = leg.fields()
            problem = activity_problem(
                start_time=leg.start_time,
                distance=fields["distance"],
                duration=fields["duration"],
                avg_heart_rate=fields["avg_heart_rate"],
                max_heart_rate=fields["max_heart_rate"],
            )
            if problem is not None:  # the same rule as the JSON endpoint's
                where = f"leg {index + 1} ({leg.sport}): " if multisport else ""
                raise files.InvalidActivityFile(where + problem[1])
            fields["source"] = source
            # The first leg carries the file's own hash, so the same file is a duplicate;
            # the others a hash of their own (one hash per athlete and activity).
            suffix = b"" if index == 0 else f"#leg{index + 1}".encode()
            fields["content_hash"] = files.content_hash(raw + suffix)
            fields["name"] = activity_name(leg.sport, leg.start_time, user.tz)
            if event:
                fields["multisport_id"], fields["leg"] = event, index + 1
            stored.append(
                activity_create(
                    user=user,
                    fields=fields,
                    samples=leg.samples,
                    allow_overlap=allow_overlap,
                    laps=leg.laps,
                )
            )
    return Imported(stored, parsed.warning)


def user_delete(*, user: User) -> None:
    """Removes the person and everything of theirs (activities, streams, health, goals,
    plans, memberships). Their organizations' caches are invalidated in the same
    transaction, so a coach loses sight of them at once."""
    with transaction.atomic():
        person_changed([user.pk])
        user.delete()


def refresh_token_use(*, jti: str, user: User, token: str, expires_at: datetime) -> bool:
    """Marks a refresh token used, exactly once: of any number of requests racing with the
    same token, one gets True (the unique row it creates decides), the others False."""
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=jti, defaults={"user": user, "token": token, "expires_at": expires_at}
        )
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def sessions_revoke(*, user: User) -> int:
    """Every refresh token of the user stops working (a password change or reset)."""
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    open_tokens = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in open_tokens], ignore_conflicts=True
    )
    return len(revoked)


def password_set(*, user: User, password: str) -> None:
    """A new password (already validated); every session's refresh token is revoked."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions_revoke(user=user)


def _athlete_row_update(record: Any, changes: dict[str, Any], user_id: int) -> None:
    with transaction.atomic():
        for name, value in changes.items():
            setattr(record, name, value)
        # Only what changed: a whole-row save wrote back the data version the caller loaded,
        # so a write since (a watch syncing) was undone and a version number came round
        # again, which made a snapshot or plan standing of older data look fresh.
        if changes:
            record.save(update_fields=list(changes))
        athlete_data_changed([user_id])


def user_update(*, user: User, changes: dict[str, Any]) -> None:
    """Profile, units, zones, time zone: every derived number may change with them."""
    if (
        "username" in changes
        and User.objects.exclude(pk=user.pk).filter(username__iexact=changes["username"]).exists()
    ):
        raise ApiError("This username is taken.", "USERNAME_TAKEN", field="username", status=409)
    _athlete_row_update(user, changes, user.pk)


def integration_connect(*, user: User, provider: str, external_id: str) -> None:
    with transaction.atomic():
        Integration.objects.update_or_create(
            user=user,
            provider=provider,
            defaults={"external_id": external_id, "last_sync_at": None},
        )
        athlete_data_changed([user.pk])


def integration_disconnect(*, user: User, provider: str) -> None:
    with transaction.atomic():
        Integration.objects.filter(user=user, provider=provider).delete()
        athlete_data_changed([user.pk])


def goal_create(*, athlete: User, fields: dict[str, Any]) -> Goal:
    with transaction.atomic():
        goal = Goal.objects.create(user=athlete, **fields)
        athlete_data_changed([athlete.pk])
    return goal


def goal_update(*, goal: Goal, changes: dict[str, Any]) -> None:
    _athlete_row_update(goal, changes, goal.user_id)
    goal.refresh_from_db(fields=["goal_time_text"])  # the database formats it


def goal_delete(*, goal: Goal) -> None:
    with transaction.atomic():
        goal.delete()
        athlete_data_changed([goal.user_id])


def plan_create(
    *,
    organization: Any,
    name: str,
    total_weeks: int,
    description: str,
    created_by: User | None,
    workouts: list[dict[str, Any]],
) -> tuple[Plan, list[PlannedWorkout]]:
    with transaction.atomic():
        plan = Plan.objects.create(
            organization=organization,
            name=name,
            total_weeks=total_weeks,
            description=description,
            created_by=created_by,
        )
        rows = PlannedWorkout.objects.bulk_create(
            [PlannedWorkout(plan=plan, **workout) for workout in workouts]
        )
    return plan, rows


def plan_assign(*, plan: Plan, athletes: list[User], start_date: date) -> list[PlanInstance]:
    with transaction.atomic():
        created = PlanInstance.objects.bulk_create(
            [PlanInstance(plan=plan, user=athlete, start_date=start_date) for athlete in athletes]
        )
        athlete_data_changed([athlete.pk for athlete in athletes])
    return created


def plan_instance_update(*, instance: PlanInstance, changes: dict[str, Any]) -> None:
    _athlete_row_update(instance, changes, instance.user_id)


VERIFY_LIMIT_PER_HOUR = 3
VERIFY_TOKEN_LIFETIME = timedelta(hours=24)


def email_verification_request(*, email: str) -> None:
    """A verification link for an account's address; at most 3 per address per hour,
    counted in the database (exact, and it survives cache loss). The same for an address
    without an account, which gets nothing."""
    email = email.lower()
    since = timezone.now() - timedelta(hours=1)
    with transaction.atomic():
        recent = EmailVerification.objects.select_for_update().filter(
            email=email, created_at__gte=since
        )
        if len(recent) >= VERIFY_LIMIT_PER_HOUR:
            raise ApiError(
                "At most 3 verification e-mails per address per hour.",
                "RATE_LIMITED",
                field="email",
                status=429,
            )
        token = secrets.token_urlsafe(32)
        user = User.objects.filter(email__iexact=email).first()
        EmailVerification.objects.create(
            email=email, user=user, token_hash=hashlib.sha256(token.encode()).hexdigest()
        )
    if user is not None:
        logger.info("verification link for %s: /verify?token=%s", email, token)


def email_verification_confirm(*, token: str) -> None:
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    with transaction.atomic():
        record = (
            EmailVerification.objects.select_for_update()
            .filter(token_hash=token_hash, used_at__isnull=True, user__isnull=False)
            .first()
        )
        if record is None or timezone.now() - record.created_at > VERIFY_TOKEN_LIFETIME:
            raise ApiError("Invalid or expired token.", "INVALID_TOKEN", field="token")
        record.used_at = timezone.now()
        record.save(update_fields=["used_at"])
        User.objects.filter(pk=record.user_id).update(email_verified=True)
        person_changed([record.user_id])


def plan_workouts_set(*, plan: Plan, workouts: list[dict[str, Any]]) -> None:
    """The plan's weeks as a whole: what is not in `workouts` is no longer planned. Everyone
    following the plan gets new compliance and calendars."""
    with transaction.atomic():
        plan.workouts.all().delete()
        PlannedWorkout.objects.bulk_create(
            [PlannedWorkout(plan=plan, **workout) for workout in workouts]
        )
        athlete_data_changed(plan.instances.values_list("user_id", flat=True))


def plan_copy(*, plan: Plan, name: str, created_by: User | None) -> Plan:
    """A new plan with the same weeks, for another block or another group."""
    copied, _ = plan_create(
        organization=plan.organization,
        name=name,
        total_weeks=plan.total_weeks,
        description=plan.description,
        created_by=created_by,
        workouts=[
            {
                "week": w.week,
                "day": w.day,
                "type": w.type,
                "distance": w.distance,
                "duration": w.duration,
                "pace_zone": w.pace_zone,
                "note": w.note,
            }
            for w in plan.workouts.all()
        ],
    )
    return copied


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


# The training calendar: a coach changes one athlete's days -------------------------------


def _own_plan(instance: PlanInstance, created_by: User | None) -> PlanInstance:
    """The instance's plan, made the athlete's own first when others follow it too, so a
    change to one athlete's day never moves anyone else's (copy on write)."""
    plan = instance.plan
    if plan.instances.exclude(pk=instance.pk).exists():
        copy = plan_copy(plan=plan, name=f"{plan.name} · {instance.user.name}"[:200],
                         created_by=created_by)  # fmt: skip
        instance.plan = copy
        instance.save(update_fields=["plan"])
    return instance


def _plan_day(instance: PlanInstance, day: date) -> tuple[int, int] | None:
    """(week, day) of a date inside the instance's weeks, None outside them."""
    offset = (day - instance.start_date).days
    if offset < 0 or offset >= 7 * instance.plan.total_weeks:
        return None
    return offset // 7 + 1, offset % 7 + 1


def calendar_workout_add(
    *, athlete: User, organization: Any, day: date, fields: dict[str, Any], by: User | None
) -> PlannedWorkout:
    """A workout on an athlete's day: into the plan they follow on that day, or, on a day no
    plan covers, into a one-week plan of their own that starts on that Monday."""
    with transaction.atomic():
        lock_athlete(athlete)
        covering = [
            i
            for i in PlanInstance.objects.filter(user=athlete)
            .exclude(status="cancelled")
            .select_related("plan", "user")
            if _plan_day(i, day) is not None
        ]
        if covering:
            instance = _own_plan(covering[0], by)
        else:
            monday = day - timedelta(days=day.weekday())
            plan, _ = plan_create(
                organization=organization,
                name=f"{athlete.name} · week of {monday:%-d %b %Y}"[:200],
                total_weeks=1,
                description="Sessions added on the calendar.",
                created_by=by,
                workouts=[],
            )
            instance = PlanInstance.objects.create(plan=plan, user=athlete, start_date=monday)
        week, weekday = _plan_day(instance, day) or (1, 1)
        workout = PlannedWorkout.objects.create(
            plan=instance.plan, week=week, day=weekday, **fields
        )
        athlete_data_changed([athlete.pk])
    return workout


def calendar_workout_move(
    *, instance: PlanInstance, workout: PlannedWorkout, day: date, by: User | None
) -> PlannedWorkout:
    """Moves one planned workout to another day inside the same plan's weeks.

    Raises ApiError 400 (field `date`) for a day outside them."""
    with transaction.atomic():
        lock_athlete(instance.user)
        if _plan_day(instance, day) is None:
            raise ApiError("Move the workout to a day inside the plan's weeks.", field="date")
        moved = _copied(instance, workout, by)
        moved.week, moved.day = _plan_day(instance, day) or (moved.week, moved.day)
        moved.save(update_fields=["week", "day"])
        athlete_data_changed([instance.user_id])
    return moved


def calendar_workout_delete(
    *, instance: PlanInstance, workout: PlannedWorkout, by: User | None
) -> None:
    with transaction.atomic():
        lock_athlete(instance.user)
        _copied(instance, workout, by).delete()
        athlete_data_changed([instance.user_id])


def _copied(instance: PlanInstance, workout: PlannedWorkout, by: User | None) -> PlannedWorkout:
    """The workout in the athlete's own plan (the same one when the plan was theirs)."""
    before = instance.plan_id
    _own_plan(instance, by)
    if instance.plan_id == before:
        return workout
    same = instance.plan.workouts.filter(
        week=workout.week, day=workout.day, type=workout.type, distance=workout.distance
    ).first()
    if same is None:  # pragma: no cover - the copy holds every workout
        raise ApiError("The workout is no longer in the plan.", "NOT_FOUND", status=404)
    return same


# Bulk import ------------------------------------------------------------------------------

OUTCOMES = ("imported", "duplicate", "rejected")


def import_batch_create(*, user: User, total: int) -> ImportBatch:
    return ImportBatch.objects.create(user=user, total=total)


def import_payload(content: bytes) -> str:
    """A file as a task argument: compressed (activity XML shrinks about tenfold, so the
    broker carries a tenth) and base64 text for the JSON message."""
    return base64.b64encode(zlib.compress(content, 1)).decode()


def import_content(payload: str) -> bytes:
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
            "athletes.tasks.import_file",
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
        enqueue("analytics.tasks.refresh_snapshot", ([batch.user_id],))
    return outcome
