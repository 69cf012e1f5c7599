"""`X-API-Key` authentication for organization integrations (API.md §2)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyUser:
    """What `request.user` is for a key: authenticated, acting for one organization."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    public_id = None

    def __init__(self, api_key: Any) -> None:
        self.api_key = api_key
        self.organization = api_key.organization

    def __str__(self) -> str:
        return f"api key {self.api_key.public_id}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, Any] | None:
        from organizations.models import ApiKey

        raw = request.META.get(self.header)
        if not raw:
            return None
        key = (
            ApiKey.objects.select_related("organization")
            .filter(key_hash=hash_api_key(raw.strip()), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        now = timezone.now()
        # Recorded on use, at a one-minute resolution so a busy integration is not a write
        # per request.
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return ApiKeyUser(key), key

    def authenticate_header(self, request: Request) -> str:
        return "X-API-Key"
