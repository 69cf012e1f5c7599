"""What every API view does with a request, written once: read a strict JSON body, insist
on a signed-in person, and fetch a resource by its public id and then check the caller's
reach (404 before 403, so an unknown id never says more than "not found")."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from astral.api.errors import ApiError
from astral.localtime import place_zone, places

M = TypeVar("M", bound=Model)


def finite_float(value: Any) -> float:
    """A number as typed (`"12.5"`, 12.5): ValueError for anything that is not a finite
    number (`NaN`, `inf`, `1e999`), which no column may hold (a CHECK refuses it too)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


class FiniteFloatField(serializers.FloatField):
    """The API's one float field: `NaN`, `Infinity` and overflowing numbers, as JSON numbers
    or as strings, are a 400 naming the field (DRF's own takes them, and they passed every
    minimum and maximum)."""

    default_error_messages = {"invalid": "A finite number is required."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        try:
            return finite_float(data)
        except (TypeError, ValueError, OverflowError):
            self.fail("invalid")


class StrictText:
    """Text fields take JSON strings only, never a number or a boolean coerced to one
    (`{"name": 0}`, `{"username": 12345}` are a 400 naming the field), as the schema's
    `type: string` says. Mixed into every text field of the API."""

    default_error_messages = {"not_text": "A string is required."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_text")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class TextField(StrictText, serializers.CharField):
    """The API's text field."""


class EmailField(StrictText, serializers.EmailField):
    pass


class RegexField(StrictText, serializers.RegexField):
    pass


class URLField(StrictText, serializers.URLField):
    pass


def timezone_schema() -> dict[str, Any]:
    return {"type": "string", "enum": sorted(places()), "description": "IANA time zone"}


@extend_schema_field(timezone_schema())
class TimezoneField(TextField):
    """An IANA place's time zone (`Europe/Paris`); the schema lists every one accepted."""

    default_error_messages = {"zone": "Unknown time zone; use an IANA name."}

    def to_internal_value(self, data: Any) -> str:
        name = super().to_internal_value(data)
        if place_zone(name) is None:
            self.fail("zone")
        return name


class StrictSerializer(serializers.Serializer):
    """A serializer for JSON bodies that must be objects, with no field it does not know:
    a misspelt or unsupported field (`password` on a profile) is a 400 naming it, never
    silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(str(name) for name in data if name not in self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field; it is not accepted here."] for name in unknown}
            )
        return super().to_internal_value(data)


def validated(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    """The body's validated data; a 400 naming the first bad field otherwise."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class HasUser(Protocol):
    @property
    def user(self) -> Any: ...


def require_user(caller: HasUser) -> Any:
    """The signed-in person behind the request; an API key is refused with a 403."""
    if caller.user is None:
        raise ApiError(
            "This endpoint is for signed-in users, not API keys.", "PERMISSION_DENIED", status=403
        )
    return caller.user


def fetch_visible(
    queryset: QuerySet[M], public_id: str, what: str, allowed: Callable[[M], bool]
) -> M:
    """The row with this public id, if the caller may see it (`allowed`)."""
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise ApiError(f"No such {what}.", "NOT_FOUND", status=404)
    if not allowed(found):
        raise ApiError(f"You may not see this {what}.", "PERMISSION_DENIED", status=403)
    return found
