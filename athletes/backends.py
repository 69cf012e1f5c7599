"""Sign in with an e-mail address or a username."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache as django_cache
from django.http import HttpRequest

from astral import cache
from athletes.models import User


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
FAILED_LOGIN_WINDOW = 15 * 60


def _attempts_key(login: str) -> str:
    return cache.make_key(
        "failed-logins", hashlib.sha256(login.strip().lower().encode()).hexdigest()
    )


def login_locked(login: str) -> bool:
    """Too many failed sign-ins for this account in the last 15 minutes."""
    try:
        return int(django_cache.get(_attempts_key(login)) or 0) >= FAILED_LOGIN_LIMIT
    except Exception:  # a lost cache never locks anyone out
        return False


def login_failed(login: str) -> None:
    cache.incr_counter(_attempts_key(login), FAILED_LOGIN_WINDOW)
