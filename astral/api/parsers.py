"""The one rule for text PostgreSQL cannot store (NUL, unpaired surrogates), and the API's
parsers that apply it to JSON bodies and multipart fields; the middleware applies it to
query parameters and the pages' forms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import parsers

from astral.api.errors import ApiError

# What PostgreSQL cannot store in text: NUL, and a UTF-16 surrogate without its pair (a JSON
# "\ud800" escape decodes to one). Every way text comes in is checked against this one rule.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_reason(text: str) -> str | None:
    """Why PostgreSQL could not store this text, in words, or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return "NUL characters" if found.group() == "\x00" else "unpaired surrogate characters"


def unstorable_field(value: Any, path: str = "") -> tuple[str, str] | None:
    """The path (`workouts[0].name`) of the first key or string PostgreSQL cannot store and
    why, "body" for a bare string, or None when there is none."""
    if isinstance(value, str):
        reason = unstorable_reason(value)
        return ((path or "body"), reason) if reason else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            reason = unstorable_reason(str(key))
            if reason:
                return (UNSTORABLE.sub("", name) or "body", reason)
            found = unstorable_field(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def refuse_unstorable(pairs: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Query parameters, form or multipart fields (name, values): an ApiError naming the
    first whose name or value PostgreSQL cannot store."""
    for name, values in pairs:
        for text in (name, *values):
            if isinstance(text, str) and (reason := unstorable_reason(text)):
                field = UNSTORABLE.sub("", name) or "body"
                raise ApiError(f"{field} must not contain {reason}.", field=field)


class JSONParser(parsers.JSONParser):
    """NUL characters can be stored nowhere (PostgreSQL text refuses them), and not every
    body field goes through a serializer: refused here, with a 400 naming the field, as
    `ApiErrorMiddleware` does for query parameters."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            found = unstorable_field(data)
        except RecursionError:  # nested thousands of levels deep: nothing we accept is
            raise ApiError("The JSON body is nested too deeply.", field="body") from None
        if found is not None:
            field, reason = found
            raise ApiError(f"{field} must not contain {reason}.", field=field)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """An upload's form fields by the same rule as every other text (the files are bytes)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_unstorable(parsed.data.lists())
        return parsed
