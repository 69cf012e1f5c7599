"""Per-client limits on the doors a stranger can knock on (sign-in, sign-up, password reset):
one throttle for the API's endpoints and the pages' forms, keyed on the client's address as
the trusted proxies saw it (ASTRAL_TRUSTED_PROXIES), counted in the cache."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import SimpleRateThrottle

from astral.cache import throttle_store


class AuthRateThrottle(SimpleRateThrottle):
    """Per client IP, on sign-in, token, register and reset endpoints and forms."""

    scope = "auth"
    cache = throttle_store

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttled_posts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page's form under the API's own throttle: a POST past the client's budget is a 429
    that says when to try again, before the form is read."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = AuthRateThrottle()
        if request.method == "POST" and not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 60) + 1
            response = HttpResponse(
                f"Too many attempts from this network; try again in {wait} seconds.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return wrapper
