"""The API's JSON parser: DRF's, refusing NUL characters anywhere in the body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers

from astral.api.errors import ApiError


def nul_field(value: Any, path: str = "") -> str | None:
    """The path (`workouts[0].name`) of the first key or string holding a NUL character,
    "body" for a bare string, or None when there is none."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return name.replace("\x00", "") or "body"
            found = nul_field(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


class JSONParser(parsers.JSONParser):
    """NUL characters can be stored nowhere (PostgreSQL text refuses them), and not every
    body field goes through a serializer: refused here, with a 400 naming the field, as
    `ApiErrorMiddleware` does for query parameters."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            field = nul_field(data)
        except RecursionError:  # nested thousands of levels deep: nothing we accept is
            raise ApiError("The JSON body is nested too deeply.", field="body") from None
        if field is not None:
            raise ApiError(f"{field} must not contain NUL characters.", field=field)
        return data
