"""Budgets an integration can plan against (API.md §5): every request with an API key or a
Bearer token counts against its caller's budget for the current minute, published on every
response in `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (the epoch
second the window ends); past it, 429 `RATE_LIMITED` with `Retry-After`.

Counted in a middleware, before the front cache answers a repeated GET: a cached answer
costs budget like any other. One cache round trip per request (two at a window's start);
with the cache away, requests pass uncounted (as the sign-in throttle does)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from astral import cache
from astral.api.middleware import json_error

WINDOW_SECONDS = 60


def budget_ident(request: HttpRequest) -> str | None:
    """Whose budget a request spends: an API key's (by its hash, whoever holds it), a
    person's (by the user id of a valid access token, so a forged token spends nobody's);
    None for a request with neither (the sign-in doors have their own throttle)."""
    key = request.headers.get("X-API-Key")
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            token = AccessToken(header[7:].strip())
        except TokenError:
            return None  # answered 401 by the view: nobody's budget
        return f"user:{token.get('user_id')}"
    return None


class ApiBudgetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        ident = budget_ident(request)
        if ident is None:
            return self.get_response(request)
        limit = settings.ASTRAL_API_BUDGET_PER_MINUTE
        now = time.time()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        reset = window + WINDOW_SECONDS
        used = cache.budget_count(f"budget:{ident}:{window}", WINDOW_SECONDS + 5)
        if used is not None and used > limit:
            response = json_error(
                f"Over this caller's budget of {limit} requests a minute; "
                f"try again in {math.ceil(reset - now)} seconds.",
                "RATE_LIMITED",
                429,
            )
            response["Retry-After"] = str(max(1, math.ceil(reset - now)))
        else:
            response = self.get_response(request)
        response["X-RateLimit-Limit"] = str(limit)
        response["X-RateLimit-Remaining"] = str(max(0, limit - (used or 0)))
        response["X-RateLimit-Reset"] = str(reset)
        return response
