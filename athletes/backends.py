"""Sign in with an e-mail address or a username."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from athletes.models import FailedSignIn, User


def find_account(login: str) -> User | None:
    """The account a login names: an e-mail address or a username, in any case, matched by
    PostgreSQL (whose case folding is the one that decides, a dotless ı included)."""
    login = login.strip()
    if not login:
        return None
    field = "email__iexact" if "@" in login else "username__iexact"
    return User.objects.filter(**{field: login}).first()


class EmailOrUsernameBackend(ModelBackend):
    """Every sign-in (the API, the web form, the admin) comes through here, so every one
    shares the account's lockout: failures count against the account the login resolves to,
    whatever spelling, case or identifier was typed."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        login = username or kwargs.get("email")
        if not login or not password:
            return None
        user = find_account(login)
        key = _lock_key(login, user)
        if _locked(key):
            raise PermissionDenied("locked")  # ends authenticate() for every backend
        if user is None:
            User().set_password(password)  # same time whether or not the user exists
        elif user.check_password(password) and self.user_can_authenticate(user):
            return user
        _failed(key)
        return None


FAILED_LOGIN_LIMIT = 10
FAILED_LOGIN_WINDOW = timedelta(minutes=15)


def _lock_key(login: str, user: User | None) -> str:
    text = f"user:{user.pk}" if user is not None else "login:" + login.strip().casefold()
    return hashlib.sha256(text.encode()).hexdigest()


def _locked(key: str) -> bool:
    since = timezone.now() - FAILED_LOGIN_WINDOW
    recent = FailedSignIn.objects.filter(login_hash=key, at__gte=since)
    return recent.count() >= FAILED_LOGIN_LIMIT


def _failed(key: str) -> None:
    # The ledger keeps only the window: older rows of this account go as a new one comes.
    FailedSignIn.objects.filter(
        login_hash=key, at__lt=timezone.now() - FAILED_LOGIN_WINDOW
    ).delete()
    FailedSignIn.objects.create(login_hash=key)


def login_locked(login: str) -> bool:
    """Too many failed sign-ins for the account this login names in the last 15 minutes
    (for the views' own message; the backend refuses a locked account by itself)."""
    return _locked(_lock_key(login, find_account(login)))


def lockout_of(user: User) -> datetime | None:
    """When the account's sign-in lockout ends, or None when it is not locked (the admin's
    column: a locked person can be helped)."""
    return _lockout_end(_lock_key("", user))


def _lockout_end(key: str) -> datetime | None:
    since = timezone.now() - FAILED_LOGIN_WINDOW
    times = list(
        FailedSignIn.objects.filter(login_hash=key, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)[:FAILED_LOGIN_LIMIT]
    )
    if len(times) < FAILED_LOGIN_LIMIT:
        return None
    return times[-1] + FAILED_LOGIN_WINDOW


def lockout_seconds(login: str) -> int:
    """Seconds until the account this login names may sign in again (the 429's Retry-After);
    0 when it is not locked."""
    end = _lockout_end(_lock_key(login, find_account(login)))
    return max(0, math.ceil((end - timezone.now()).total_seconds())) if end else 0


def lockout_clear(user: User) -> int:
    """Forgets the account's failed sign-ins (staff, once they know it is the person)."""
    deleted, _ = FailedSignIn.objects.filter(login_hash=_lock_key("", user)).delete()
    return deleted
