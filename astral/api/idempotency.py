"""Safe retries (API.md §5): a POST, PUT or PATCH with an `Idempotency-Key` header (1–255
visible ASCII characters) is done once per caller and key for 24 hours. A retry with the same
body gets the first answer again (status and body, `Idempotent-Replayed: true`) without the
work being done twice; the same key with another body is 409 `IDEMPOTENCY_KEY_REUSED`; while
the first is still being answered, a second is 409 `IDEMPOTENCY_KEY_IN_USE` (retry shortly).

Answers below 500 are kept (a 400 stays a 400 on retry: the body was wrong); a 5xx is not,
so a retry after a failure does the work. Kept in the cache; with the cache away the header
is read but nothing is kept (the work is done, as without a key)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from astral import cache
from astral.api.budget import budget_ident
from astral.api.middleware import json_error

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
PENDING_SECONDS = 120  # a first answer longer than this in coming is taken as lost
VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]{1,255}$")
MAX_HASHED_BODY = 32 * 1024 * 1024  # a larger body is known by its length (whole exports)


def _fingerprint(request: HttpRequest) -> str:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if length <= MAX_HASHED_BODY:
        digest.update(request.body)
    else:
        digest.update(f"{length} bytes".encode())
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method not in ("POST", "PUT", "PATCH")
            or not request.path.startswith("/api/")
        ):
            return self.get_response(request)
        if not VISIBLE_ASCII.match(key):
            return json_error(
                "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces).",
                "VALIDATION_ERROR",
                400,
                field=HEADER,
            )
        caller = budget_ident(request) or f"ip:{request.META.get('REMOTE_ADDR', '')}"
        slot = "idem:" + hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
        fingerprint = _fingerprint(request)
        kept: Any = cache.guarded_get(slot)
        if kept is None and not cache.guarded_add(
            slot, {"fingerprint": fingerprint, "pending": True}, PENDING_SECONDS
        ):
            kept = cache.guarded_get(slot)
        if isinstance(kept, dict):
            if kept["fingerprint"] != fingerprint:
                return json_error(
                    "This Idempotency-Key was used with another request in the last 24 hours; "
                    "use a new key for a new request.",
                    "IDEMPOTENCY_KEY_REUSED",
                    409,
                    field=HEADER,
                )
            if kept.get("pending"):
                return json_error(
                    "The first request with this Idempotency-Key is still being answered; "
                    "retry in a moment.",
                    "IDEMPOTENCY_KEY_IN_USE",
                    409,
                    field=HEADER,
                )
            replay = HttpResponse(
                kept["body"], status=kept["status"], content_type=kept["content_type"]
            )
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = self.get_response(request)
        if response.status_code < 500 and not response.streaming:
            cache.guarded_set(
                slot,
                {
                    "fingerprint": fingerprint,
                    "status": response.status_code,
                    "content_type": response.get("Content-Type", "application/json"),
                    "body": response.content,
                },
                TTL_SECONDS,
            )
        else:
            cache.guarded_delete(slot)
        return response
