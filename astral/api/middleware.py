"""JSON for every error under /api/, including Django's own 404/405/500 outside DRF views."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from astral.api.errors import STATUS_CODES, ApiError, error_body
from astral.api.parsers import refuse_unstorable, unstorable_reason

logger = logging.getLogger(__name__)


def json_error(message: str, code: str, status: int, field: str | None = None) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(error_body(message, code, field)),
        status=status,
        content_type="application/json",
    )


MESSAGES = {
    400: "Bad request.",
    401: "Invalid or expired credentials.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    414: "The URL is too long.",
    429: "Too many requests; try again later.",
    500: "Internal server error.",
}


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unstorable_text(request: HttpRequest) -> HttpResponse | None:
    """Text PostgreSQL cannot store (NUL, unpaired surrogates) in the path, a query
    parameter or a page's form field: a 400 naming it, before any view runs. (JSON bodies
    and the API's multipart fields are checked by their parsers, astral.api.parsers.)"""
    api = request.path.startswith("/api/")
    try:
        if unstorable_reason(request.path):
            raise ApiError("The path must not contain NUL characters.", field="path")
        refuse_unstorable(request.GET.lists())
        if not api and request.method == "POST" and request.content_type in FORMS:
            refuse_unstorable(request.POST.lists())
    except ApiError as error:
        if api:
            body = error_body(error.message, "VALIDATION_ERROR", error.field)
            return HttpResponse(orjson.dumps(body), status=400, content_type="application/json")
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    return None


MAX_URL_LENGTH = 8192
IMPORT_PATH = "/api/v1/activities/import"


def refuse_oversized(request: HttpRequest) -> HttpResponse | None:
    """A body larger than any request may send is refused by its Content-Length, before a
    byte of it is read; an absurd URL likewise."""
    if len(request.META.get("PATH_INFO", "")) + len(request.META.get("QUERY_STRING", "")) > (
        MAX_URL_LENGTH
    ):
        return json_error("The URL is too long.", "URI_TOO_LONG", 414)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return json_error("Content-Length must be a number.", "VALIDATION_ERROR", 400)
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        # A whole export (a zip, streamed to a temporary file) may be larger than one file.
        most = (
            settings.ASTRAL_IMPORT_MAX_BYTES
            if request.META.get("PATH_INFO", "") == IMPORT_PATH
            else settings.ASTRAL_UPLOAD_MAX_BYTES
        )
        if length > most + 1024 * 1024:  # the file and its form
            limit = most // 2**20
            return json_error(f"The file is larger than {limit} MB.", "FILE_TOO_LARGE", 413)
    elif length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20
        return json_error(f"The request body is larger than {limit} MB.", "BODY_TOO_LARGE", 413)
    return None


class ApiErrorMiddleware:
    """Outermost: even Django's own refusals (an unknown Host header) reach an API client as
    the API's JSON error, never as an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = refuse_oversized(request) if request.path.startswith("/api/") else None
        refused = refused or refuse_unstorable_text(request)
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
