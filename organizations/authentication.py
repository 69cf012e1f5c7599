"""`X-API-Key` authentication for organization integrations (API.md §2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication

from astral import cache
from astral.api import front, prefetch
from astral.api.keys import hash_api_key

LAST_USED = timedelta(seconds=60)


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

    def __init__(self, api_key: Any, prefetched: dict[str, Any] | None = None) -> None:
        self.api_key = api_key
        self.organization = api_key.organization
        self.prefetched = prefetched

    def __str__(self) -> str:
        return f"api key {self.api_key.public_id}"


class BearerAuthentication(JWTAuthentication):
    """simplejwt's Bearer tokens, first making sure a request carries one credential: a
    token and a key together is a 401, never one silently preferred over the other (a bad
    key beside a good token, or a stray header beside a good key, is not ignored)."""

    def authenticate(self, request: Request) -> Any:
        if "HTTP_AUTHORIZATION" in request.META and ApiKeyAuthentication.header in request.META:
            raise exceptions.AuthenticationFailed(
                "Send one credential: a Bearer token or an X-API-Key, not both."
            )
        return super().authenticate(request)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A key is looked up by its hash, in the cache first: the cached key is valid while its
    token is, and revoking deletes the token, so a revoked key is refused at once."""

    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, Any] | None:
        from organizations.models import ApiKey

        raw = request.META.get(self.header)
        if not raw:
            return None
        key_hash = hash_api_key(raw.strip())
        entry = cache.apikey_entry(key_hash)
        used = cache.apikey_used(key_hash)
        # The organization's token too, when this process knows the key's organization:
        # read before anything else, it is what a repeated answer is stored under (front).
        # And its members' (what its access to an athlete is cached under).
        org_pk = front.organization_of(key_hash)
        org_token = cache.org(org_pk) if org_pk is not None else None
        also = [used]
        if org_pk is not None and org_token is not None:
            also += [org_token, cache.members(org_pk)]
        # And the organization's access to the athlete asked about, so checking it costs no
        # second round trip (organizations.access).
        user_id = request.query_params.get("user_id") if request.method == "GET" else None
        if org_pk is not None and isinstance(user_id, str) and 0 < len(user_id) <= 32:
            also.append(cache.access_key(org_pk, user_id))
            # And what the view reads about that athlete (astral.api.prefetch).
            also += prefetch.view_keys(request, user_id)
        lookup = cache.fetch(entry, [cache.apikey(key_hash)], also=also)
        extra = lookup.extra or {}
        key = lookup.value if lookup.hit else self.load(entry, key_hash, lookup.tokens)
        # Recorded on use, at a one-minute resolution so a busy integration is not a write
        # per request (the marker in the cache says it was recorded in the last minute).
        if used not in extra and cache.add_marker(used, LAST_USED.seconds):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        front.remember(key_hash, key.organization_id)
        known = org_pk == key.organization_id and org_token is not None
        request._request.astral_key_use = front.KeyUse(
            key_hash=key_hash,
            key_token=lookup.tokens[0] if lookup.tokens else None,
            org_token=extra.get(org_token) if known else None,
        )
        prefetched = {name: extra.get(name) for name in also[1:]} if known else None
        return ApiKeyUser(key, prefetched), key

    def load(self, entry: str, key_hash: str, tokens: tuple[str, ...] | None) -> Any:
        from organizations.models import ApiKey

        key = (
            ApiKey.objects.select_related("organization")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        cache.store(entry, tokens, key, cache.APIKEY_TTL)
        return key

    def authenticate_header(self, request: Request) -> str:
        return "X-API-Key"
