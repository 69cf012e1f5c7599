"""JSON for every error under /api/, including Django's own 404/405/500 outside DRF views."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from django.http import HttpRequest, HttpResponse

from astral.api.errors import error_body

logger = logging.getLogger(__name__)


def json_error(message: str, code: str, status: int) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(error_body(message, code)), status=status, content_type="application/json"
    )


def refuse_nul_characters(request: HttpRequest) -> HttpResponse | None:
    """NUL characters can be stored nowhere (PostgreSQL text refuses them): a 400 naming
    the parameter, before any view runs."""
    if "\x00" in request.path:
        return json_error("The path must not contain NUL characters.", "VALIDATION_ERROR", 400)
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            body = error_body(
                f"{name.strip(chr(0))} must not contain NUL characters.",
                "VALIDATION_ERROR",
                name.replace("\x00", ""),
            )
            return HttpResponse(orjson.dumps(body), status=400, content_type="application/json")
    return None


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = refuse_nul_characters(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if not request.path.startswith("/api/") or request.path.startswith("/api/docs"):
            return response
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            if response.status_code == 404:
                return json_error("Not found.", "NOT_FOUND", 404)
            if response.status_code == 405:
                return json_error("Method not allowed.", "METHOD_NOT_ALLOWED", 405)
            if response.status_code == 413:
                return json_error("Request body too large.", "FILE_TOO_LARGE", 413)
            if response.status_code == 400:
                return json_error("Bad request.", "BAD_REQUEST", 400)
            if response.status_code == 403:
                return json_error("Forbidden.", "PERMISSION_DENIED", 403)
            if response.status_code >= 500:
                return json_error("Internal server error.", "INTERNAL_ERROR", 500)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            logger.exception("Unhandled error on %s", request.path, exc_info=exception)
            return json_error("Internal server error.", "INTERNAL_ERROR", 500)
        return None
