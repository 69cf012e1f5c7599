"""The OpenAPI schema, truthful about the envelope and the errors (API.md §1).

Views declare what drf-spectacular cannot guess from an APIView, per method:
`api_doc = {"get": ApiDoc(params=[...]), "post": ApiDoc(request=SomeSerializer, status=201)}`.
Every operation gets the success envelope (or the auth endpoints' top-level object) and
the error shape for each error status it can return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer
from rest_framework.serializers import CharField, ListSerializer

from astral.api.pagination import MAX_PAGE, MAX_PER_PAGE
from astral.api.params import FALSE_VALUES, TRUE_VALUES
from astral.api.requests import StrictSerializer

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "details"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "description": "Human-readable message"},
        "details": {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"type": "string", "description": "Machine code, e.g. VALIDATION_ERROR"},
                "field": {"type": "string", "description": "The offending parameter"},
            },
        },
    },
}

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "data"],
    "properties": {"status": {"type": "string", "enum": ["ok"]}, "data": {}},
}

PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["total", "page", "per_page", "total_pages", "has_next", "has_prev"],
    "properties": {
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "has_next": {"type": "boolean"},
        "has_prev": {"type": "boolean"},
    },
}

TOP_LEVEL_OBJECT: dict[str, Any] = {"type": "object"}

ERROR_TEXT = {
    400: "Validation error: `details.field` names the parameter",
    401: "Missing or invalid credentials",
    403: "Not allowed for this caller",
    404: "No such resource",
    409: "Conflict, e.g. a duplicate",
    413: "File too large",
    415: "Unsupported file or media type",
    429: "Rate limited",
    503: "Unavailable: a service Astral needs does not answer",
}


@dataclass(frozen=True)
class ApiDoc:
    params: list[OpenApiParameter] = field(default_factory=list)
    request: Any = None
    response: dict[str, Any] | None = None  # the success schema; the envelope by default
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses (a PUT that creates: 201)
    errors: tuple[int, ...] = (400, 401, 403, 404)
    summary: str | None = None
    media_type: str | None = None  # of the success body, when not JSON


# What the parsers in astral/api/params.py accept, said in the schema (a generated client and
# the fuzzer both hold the API to it): dates 1900..2199, ids by their prefix.
DATE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "pattern": "^(19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}$",
    "description": "YYYY-MM-DD, 1900-01-01..2199-12-31",
}


def public_id(prefix: str) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^{prefix}_[0-9a-hjkmnp-tv-z]{{16}}$"}


def text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def integer(minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def query(
    name: str,
    kind: Any = OpenApiTypes.STR,
    *,
    required: bool = False,
    enum: list[str] | None = None,
    description: str = "",
    deprecated: bool = False,
) -> OpenApiParameter:
    """A query parameter; `kind` is an OpenApiTypes or a JSON schema (`integer(1, 365)`);
    `deprecated`: kept for old clients, marked so in the schema (API.md §5)."""
    if kind == OpenApiTypes.DATE:
        kind = DATE_SCHEMA
    elif kind == OpenApiTypes.BOOL:  # what params.bool_param reads
        kind = {"type": "string", "enum": sorted((TRUE_VALUES | FALSE_VALUES) - {""})}
    elif kind == OpenApiTypes.STR:
        kind = {"type": "string", "minLength": 1}
    if isinstance(kind, dict) and kind.get("type") == "string":
        kind = {**kind, "minLength": 1}  # a parameter sent empty is a 400 (params._raw)
    return OpenApiParameter(
        name,
        kind,
        OpenApiParameter.QUERY,
        required=required,
        enum=enum,
        description=description,
        deprecated=deprecated,
    )


USER_ID = query("user_id", public_id("usr"), description="Athlete id (usr_…); omitted: the caller")
PAGE = query("page", integer(1, MAX_PAGE), description="1-based page")
PER_PAGE = query("per_page", integer(1, MAX_PER_PAGE), description="1..200")
PAGINATION = [PAGE, PER_PAGE]
CURSOR = query(
    "cursor",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,512}$"},
    description="next_cursor of the page before: stable pages while data is written",
)
WALK = [*PAGINATION, CURSOR]  # the lists of astral.api.pagination.walk


def envelope(data: dict[str, Any] | None = None) -> dict[str, Any]:
    if data is None:
        return ENVELOPE_SCHEMA
    return {**ENVELOPE_SCHEMA, "properties": {**ENVELOPE_SCHEMA["properties"], "data": data}}


NO_NUL = "^[^\\u0000]*$"
# A text field that trims its value and refuses it blank holds something besides white space
# (`\\s` as Python's str.strip() reads it: a lone U+0085 is blank too).
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


# API.md §5: answers every operation can get whatever it is, declared on each (a generated
# client parses them into the one Error model instead of raising "unexpected status").
ALWAYS = {
    405: "Method not allowed on this path",
    406: "Not acceptable: the API answers JSON",
    413: "Request body too large",
    414: "URL too long",
    429: "Over the caller's budget: `Retry-After` says when to come back",
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
NOT_MODIFIED = "Not modified: `If-None-Match` named the answer's current `ETag` (no body)"


def shared_error(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A postprocessing hook: every error answer is the one `Error` component, and every
    operation declares the statuses any request may get (ALWAYS)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if method == "get" and any(code.startswith("2") for code in responses):
                responses.setdefault("304", {"description": NOT_MODIFIED})
            for code, text in ALWAYS.items():
                responses.setdefault(
                    str(code),
                    {"description": text, "content": {"application/json": {"schema": ERROR_REF}}},
                )
            for answer in responses.values():
                for content in answer.get("content", {}).values():
                    if content.get("schema", {}).get("required") == ["error", "details"]:
                        content["schema"] = ERROR_REF
    return result


def storable_text(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A postprocessing hook: every free-text string says it holds no NUL character, which
    PostgreSQL cannot store and the API refuses (astral/api/middleware.py)."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and not {"format", "enum", "pattern"} & node.keys():
                node["pattern"] = NO_NUL
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result.get("paths"))
    visit(result.get("components"))
    return result


class AstralAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        result = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            result["additionalProperties"] = False  # an unknown field is a 400 naming it
        for name, child in serializer.fields.items():
            shape = result.get("properties", {}).get(name)
            if shape is None:
                continue
            if (
                isinstance(child, CharField)
                and child.trim_whitespace
                and not child.allow_blank
                and shape.get("type") == "string"
                and not {"format", "enum", "pattern"} & shape.keys()
            ):
                shape["pattern"] = NOT_BLANK
            # drf-spectacular leaves out a nested list's bounds (ListField's it keeps).
            if isinstance(child, ListSerializer):
                if child.min_length is not None:
                    result["properties"][name]["minItems"] = child.min_length
                if child.max_length is not None:
                    result["properties"][name]["maxItems"] = child.max_length
        return result

    def _doc(self) -> ApiDoc:
        docs = getattr(self.view, "api_doc", {})
        return docs.get(self.method.lower(), ApiDoc())

    def _get_request_body(self, direction: str = "request") -> Any:
        body = super()._get_request_body(direction)
        if body is not None and isinstance(self._doc().request, PolymorphicProxySerializer):
            body["required"] = True  # one of several shapes, none of them empty
        return body

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), *self._doc().params]

    def get_request_serializer(self) -> Any:
        return self._doc().request

    def get_response_serializers(self) -> Any:
        doc = self._doc()
        success = (doc.status, doc.media_type) if doc.media_type else doc.status
        responses: dict[Any, Any] = {success: doc.response or ENVELOPE_SCHEMA}
        for other in doc.also:
            responses[other] = doc.response or ENVELOPE_SCHEMA
        errors = set(doc.errors) | {500}
        if self.method in ("POST", "PUT", "PATCH"):
            errors.add(415)  # a body in another media type than documented
        if getattr(self.view, "authentication_classes", None) != []:
            errors.add(401)
        for code in sorted(errors):
            responses[code] = OpenApiResponse(
                ERROR_SCHEMA, description=ERROR_TEXT.get(code, "Internal error")
            )
        return responses

    def get_operation_id(self) -> str:
        tokens = [t.strip("{}") for t in self.path.strip("/").split("/") if t not in ("api", "v1")]
        return "_".join([*tokens, self.method.lower()])

    def get_summary(self) -> str | None:
        return self._doc().summary or super().get_summary()


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "organizations.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


class BearerScheme(SimpleJWTScheme):
    target_class = "organizations.authentication.BearerAuthentication"
