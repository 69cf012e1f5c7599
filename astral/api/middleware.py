"""JSON for every error under /api/, including Django's own 404/405/500 outside DRF views."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from django.http import HttpRequest, HttpResponse

from astral.api.errors import STATUS_CODES, error_body

logger = logging.getLogger(__name__)


def json_error(message: str, code: str, status: int) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(error_body(message, code)), status=status, content_type="application/json"
    )


MESSAGES = {
    400: "Bad request.",
    401: "Invalid or expired credentials.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    429: "Too many requests; try again later.",
    500: "Internal server error.",
}


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
            # Django's own 404/405/413 pages, or a non-JSON renderer's error (the schema
            # view's YAML): the same JSON error shape as every other API error.
            status = 500 if response.status_code >= 500 else response.status_code
            code = STATUS_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "ERROR")
            return json_error(MESSAGES.get(status, "Request failed."), code, status)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            logger.exception("Unhandled error on %s", request.path, exc_info=exception)
            return json_error("Internal server error.", "INTERNAL_ERROR", 500)
        return None
