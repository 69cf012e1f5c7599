"""Accounts: sign-up, profile changes, sessions and passwords, e-mail verification, integrations, deletion.

Every write is atomic and ends in `athlete_data_changed` (or says why not)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from astral.api.errors import ApiError
from athletes.models import (
    EmailVerification,
    Integration,
    User,
)
from athletes.services.changes import athlete_data_changed, person_changed

logger = logging.getLogger(__name__)


def user_register(
    *,
    email: str,
    username: str,
    password: str,
    display_name: str = "",
    timezone_name: str = "",
    email_verified: bool = False,
) -> User:
    """A new account; 409 `EMAIL_TAKEN` / `USERNAME_TAKEN` naming the field (API.md §2).

    Not a data change: a new account has no training data to invalidate yet."""
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


def user_delete(*, user: User) -> None:
    """Removes the person and everything of theirs (activities, streams, health, goals,
    plans, memberships). Their organizations' caches are invalidated in the same
    transaction, so a coach loses sight of them at once.

    Not a data change: the athlete's rows go with them; `person_changed` replaces the caches of everyone who saw them.

    Nothing personal stays behind: their session tokens, their sign-in failures, the address
    of the invitations they answered, their e-mail verifications. A club they alone belong to
    goes with them; the only owner of a club with other members must hand it over first (409
    `SOLE_OWNER`, before anything is deleted)."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from athletes.backends import lockout_clear
    from organizations.models import Invitation, Membership, Organization, Role

    with transaction.atomic():
        owned = Organization.objects.filter(
            memberships__user=user, memberships__role=Role.OWNER
        ).distinct()
        for club in owned:
            others = Membership.objects.filter(organization=club).exclude(user=user)
            if others.exists() and not others.filter(role=Role.OWNER).exists():
                raise ApiError(
                    f"You are the only owner of {club.name}: make another member its owner "
                    "(Club page, Members) before deleting your account.",
                    "SOLE_OWNER",
                    status=409,
                    extra={"org_id": club.public_id},
                )
        person_changed([user.pk])
        others = Membership.objects.filter(organization=OuterRef("pk")).exclude(user=user)
        Organization.objects.filter(memberships__user=user).filter(~Exists(others)).delete()
        Invitation.objects.filter(answered_by=user).update(email="", answered_by=None)
        OutstandingToken.objects.filter(user=user).delete()  # their blacklist rows with them
        EmailVerification.objects.filter(email__iexact=user.email).delete()
        lockout_clear(user)
        user.delete()


def refresh_token_use(*, jti: str, user: User, token: str, expires_at: datetime) -> bool:
    """Marks a refresh token used, exactly once: of any number of requests racing with the
    same token, one gets True (the unique row it creates decides), the others False.

    Not a data change: sessions are not training data."""
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
    """Every refresh token of the user stops working (a password change or reset).

    Not a data change: sessions are not training data."""
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
    """A new password (already validated); every session's refresh token is revoked.

    Not a data change: a password is not training data."""
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
            if any(f.name == "updated_at" for f in record._meta.concrete_fields):
                record.refresh_from_db(fields=["updated_at"])  # PostgreSQL moved it
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


VERIFY_LIMIT_PER_HOUR = 3


VERIFY_TOKEN_LIFETIME = timedelta(hours=24)


def email_verification_request(*, email: str) -> None:
    """A verification link for an account's address; at most 3 per address per hour,
    counted in the database (exact, and it survives cache loss). The same for an address
    without an account, which gets nothing.

    Not a data change: an address's verification is not training data."""
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
                retry_after=3600,
            )
        token = secrets.token_urlsafe(32)
        user = User.objects.filter(email__iexact=email).first()
        EmailVerification.objects.create(
            email=email, user=user, token_hash=hashlib.sha256(token.encode()).hexdigest()
        )
    if user is not None:
        logger.info("verification link for %s: /verify?token=%s", email, token)


def email_verification_confirm(*, token: str) -> None:
    """Not a data change: an address's verification is not training data."""
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
