"""Sign in with an e-mail address or a username."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from athletes.models import FailedSignIn, User


class EmailOrUsernameBackend(ModelBackend):
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
        field = "email__iexact" if "@" in login else "username__iexact"
        user = User.objects.filter(**{field: login}).first()
        if user is None:
            User().set_password(password)  # same time whether or not the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


FAILED_LOGIN_LIMIT = 10
FAILED_LOGIN_WINDOW = timedelta(minutes=15)


def _login_hash(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


def login_locked(login: str) -> bool:
    """Too many failed sign-ins for this account in the last 15 minutes."""
    since = timezone.now() - FAILED_LOGIN_WINDOW
    recent = FailedSignIn.objects.filter(login_hash=_login_hash(login), at__gte=since)
    return recent.count() >= FAILED_LOGIN_LIMIT


def login_failed(login: str) -> None:
    login_hash = _login_hash(login)
    # The ledger keeps only the window: older rows of this login go as a new one comes.
    FailedSignIn.objects.filter(
        login_hash=login_hash, at__lt=timezone.now() - FAILED_LOGIN_WINDOW
    ).delete()
    FailedSignIn.objects.create(login_hash=login_hash)
