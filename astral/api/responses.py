"""The success envelope of API.md §1, built in one place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from astral import cache
from astral.api import front
from astral.api.renderers import dumps


def ok(data: Any, status: int = 200) -> Response:
    return Response({"status": "ok", "data": data}, status=status)


def envelope_bytes(data: Any) -> bytes:
    """The rendered body of a success response, for caching as bytes."""
    return dumps({"status": "ok", "data": data})


def cached_response(
    key: str,
    ttl: int,
    compute: Any,
    refresh: bool,
    request: Request,
    deps: list[str],
    valid_until: datetime | None = None,
    known: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The envelope's bytes from the cache (gzip-compressed for clients that accept it),
    valid while the generation tokens `deps` are unchanged; for an API key, also kept for
    the front cache until `valid_until` (when the answer changes by the clock) at the
    latest. `known`: what the key's sign-in read for the view (astral.api.prefetch)."""
    gzipped = front.accepts_gzip(request)
    body, tokens = cache.cached_body(
        key, ttl, lambda: envelope_bytes(compute()), deps, refresh, gzipped, known
    )
    if tokens is not None:
        until = timezone.now() + timedelta(seconds=ttl)
        front.store(request._request, body, min(until, valid_until or until))
    return front.body_response(body, gzipped)
