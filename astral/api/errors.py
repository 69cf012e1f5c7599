"""One error type and one handler: every API error leaves in the shape of API.md §1.

`{"error": "Human-readable message", "details": {"code": "MACHINE_CODE", "field": "param"}}`
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised anywhere in a request; turned into the API error shape by the handler."""

    def __init__(
        self,
        message: str,
        code: str = "VALIDATION_ERROR",
        field: str | None = None,
        status: int = 400,
        extra: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.extra = extra or {}
        # Seconds until the request may succeed, sent as Retry-After (every 429 says it).
        self.retry_after = retry_after


def error_body(
    message: str, code: str, field: str | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    details: dict[str, Any] = {"code": code}
    if field is not None:
        details["field"] = field
    if extra:
        details.update(extra)
    return {"error": message, "details": details}


def first_error(detail: Any, prefix: str = "") -> tuple[str | None, str]:
    """Walks a DRF ValidationError detail to the first (field path, message)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                return first_error(value, prefix)
            path = f"{prefix}.{key}" if prefix else str(key)
            return first_error(value, path)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list) and value:
                if isinstance(value, dict):
                    return first_error(value, f"{prefix}[{index}]")
                return first_error(value, prefix)
            if not isinstance(value, dict | list):
                return first_error(value, prefix)
        return (prefix or None, "Invalid value.")
    return (prefix or None, str(detail))


STATUS_CODES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_TOKEN",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "FILE_TOO_LARGE",
    415: "UNSUPPORTED_FILE_TYPE",
    429: "RATE_LIMITED",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApiError):
        response = Response(
            error_body(exc.message, exc.code, exc.field, exc.extra), status=exc.status
        )
        if exc.status == 429 or exc.retry_after:
            response["Retry-After"] = str(max(1, int(exc.retry_after or 60)))
        return response
    if isinstance(exc, Http404):
        return Response(error_body("Not found.", "NOT_FOUND"), status=404)
    if isinstance(exc, PermissionDenied):
        return Response(
            error_body("You do not have permission to do this.", "PERMISSION_DENIED"), status=403
        )
    if isinstance(exc, exceptions.ValidationError):
        field, message = first_error(exc.detail)
        if field and message and not message.startswith(field):
            message = f"{field}: {message}"
        return Response(error_body(message, "VALIDATION_ERROR", field), status=400)
    if isinstance(exc, exceptions.ParseError):
        return Response(error_body(f"Malformed request body: {exc.detail}", "PARSE_ERROR"), 400)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        code = "NOT_AUTHENTICATED"
        if isinstance(exc, exceptions.AuthenticationFailed):
            code = "INVALID_TOKEN"
        message = exc.detail if isinstance(exc.detail, str) else "Invalid credentials."
        if isinstance(exc.detail, dict):
            message = str(exc.detail.get("detail", "Invalid or expired token."))
        response = Response(error_body(str(message), code), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, exceptions.Throttled):
        response = Response(
            error_body("Too many requests; try again later.", "RATE_LIMITED"), status=429
        )
        response["Retry-After"] = str(max(1, int(exc.wait or 60)))
        return response
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Response(
            error_body(f"Unsupported Content-Type: {exc.detail}", "UNSUPPORTED_MEDIA_TYPE"),
            status=415,
        )
    if isinstance(exc, exceptions.APIException):
        code = STATUS_CODES.get(exc.status_code, "ERROR")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return Response(error_body(str(detail), code), status=exc.status_code)
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(
        error_body("Internal server error.", "INTERNAL_ERROR"),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
