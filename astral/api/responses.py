"""The success envelope of API.md §1, built in one place."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from astral.api.renderers import dumps


def ok(data: Any, status: int = 200) -> Response:
    return Response({"status": "ok", "data": data}, status=status)


def envelope_bytes(data: Any) -> bytes:
    """The rendered body of a success response, for caching as bytes."""
    return dumps({"status": "ok", "data": data})
