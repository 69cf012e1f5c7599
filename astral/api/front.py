"""Repeated analytics GETs by an organization's API key, answered from one cache read.

Integrations poll the same URLs all day. The answer to (key, path, query string, gzip)
is stored with the tokens it depends on: the key's own (revoking it replaces it) and its
organization's (any change to a member, their data or a membership replaces it; see
`astral.cache`), and the instant it stops being right by the clock (the next quarter hour
for the roster, the athlete's next midnight for a profile). `FrontCacheMiddleware`, the innermost
middleware, reads the entry and both tokens in one round trip and, when they all hold,
answers before URL resolution, DRF, authentication and the view run. Anything else (first
request, a refresh, a changed token, a key whose use must be recorded) takes the normal
path, which stores the entry again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse

from astral import cache
from astral.api.keys import hash_api_key

PREFIX = "/api/v1/analytics/"
SKIP = ("refresh=", "no_cache=")  # explicit recomputations always reach the view
KNOWN_KEYS = 4096


@dataclass(frozen=True)
class KeyUse:
    """What authenticating a key established, kept on the request for the view. Both tokens
    were read first thing in the request, before the key, the athlete's access or any data
    was read, so an entry stored under them can only be older than they say, never newer."""

    key_hash: str
    key_token: str | None
    org_token: str | None  # None until this process has seen the key once


def organization_of(key_hash: str) -> int | None:
    return _organizations.get(key_hash)


# key hash -> organization pk. A key never changes organization, so this is safe to keep
# per process; it only says where to look, the tokens decide what may be served.
_organizations: OrderedDict[str, int] = OrderedDict()
# The paths whose answers this process has stored: the others (running_stats, the group
# dashboards) are never looked up, so they pay no extra round trip.
_stored_paths: set[str] = set()


def remember(key_hash: str, org_pk: int) -> None:
    _organizations[key_hash] = org_pk
    _organizations.move_to_end(key_hash)
    while len(_organizations) > KNOWN_KEYS:
        _organizations.popitem(last=False)


def accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


def body_response(body: bytes, gzipped: bool) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


def _entry_key(request: HttpRequest, key_hash: str, gzipped: bool) -> str:
    return cache.front_entry(key_hash, request.path, request.META.get("QUERY_STRING", ""), gzipped)


def _cacheable(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return (
        request.method == "GET"
        and request.path.startswith(PREFIX)
        and not any(flag in query for flag in SKIP)
    )


def store(request: HttpRequest, body: bytes, valid_until: datetime) -> None:
    """Called by a view with the body it answered a key's request with."""
    use = getattr(request, "astral_key_use", None)
    if use is None or use.key_token is None or use.org_token is None:
        return
    if not _cacheable(request):
        return
    expires = valid_until.timestamp()
    ttl = int(expires - time.time())
    if ttl <= 0:
        return
    key = _entry_key(request, use.key_hash, accepts_gzip(request))
    cache.store(key, (use.key_token, use.org_token), (expires, body), ttl)
    _stored_paths.add(request.path)


def lookup(request: HttpRequest) -> HttpResponse | None:
    raw = request.META.get("HTTP_X_API_KEY")
    if not raw or request.path not in _stored_paths or not _cacheable(request):
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None  # a bearer token is tried first by the normal path: let it decide
    key_hash = hash_api_key(raw.strip())
    org_pk = _organizations.get(key_hash)
    if org_pk is None:
        return None
    gzipped = accepts_gzip(request)
    used = cache.apikey_used(key_hash)
    found = cache.fetch(
        _entry_key(request, key_hash, gzipped),
        [cache.apikey(key_hash), cache.org(org_pk)],
        also=[used],
    )
    if not found.hit or used not in (found.extra or {}):
        return None  # nothing valid stored, or the key's use is due to be recorded
    expires, body = found.value
    if time.time() >= expires:
        return None
    return body_response(body, gzipped)


class FrontCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hit = lookup(request)
        if hit is not None:
            return hit
        return self.get_response(request)
