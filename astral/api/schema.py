"""The OpenAPI schema, truthful about the envelope and the errors (API.md §1).

Views declare what drf-spectacular cannot guess from an APIView, per method:
`api_doc = {"get": ApiDoc(params=[...]), "post": ApiDoc(request=SomeSerializer, status=201)}`.
Every operation gets the success envelope (or the auth endpoints' top-level object) and
the error shape for each error status it can return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

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
}


@dataclass(frozen=True)
class ApiDoc:
    params: list[OpenApiParameter] = field(default_factory=list)
    request: Any = None
    response: dict[str, Any] | None = None  # the success schema; the envelope by default
    status: int = 200
    errors: tuple[int, ...] = (400, 401, 403, 404)
    summary: str | None = None
    media_type: str | None = None  # of the success body, when not JSON


def query(
    name: str,
    kind: Any = OpenApiTypes.STR,
    *,
    required: bool = False,
    enum: list[str] | None = None,
    description: str = "",
) -> OpenApiParameter:
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, required=required, enum=enum, description=description
    )


USER_ID = query("user_id", description="Athlete id (usr_…); omitted: the caller")
PAGE = query("page", OpenApiTypes.INT, description="1-based page")
PER_PAGE = query("per_page", OpenApiTypes.INT, description="1..200")
PAGINATION = [PAGE, PER_PAGE]


def envelope(data: dict[str, Any] | None = None) -> dict[str, Any]:
    if data is None:
        return ENVELOPE_SCHEMA
    return {**ENVELOPE_SCHEMA, "properties": {**ENVELOPE_SCHEMA["properties"], "data": data}}


class AstralAutoSchema(AutoSchema):
    def _doc(self) -> ApiDoc:
        docs = getattr(self.view, "api_doc", {})
        return docs.get(self.method.lower(), ApiDoc())

    def get_override_parameters(self) -> list[Any]:
        return [*super().get_override_parameters(), *self._doc().params]

    def get_request_serializer(self) -> Any:
        return self._doc().request

    def get_response_serializers(self) -> Any:
        doc = self._doc()
        success = (doc.status, doc.media_type) if doc.media_type else doc.status
        responses: dict[Any, Any] = {success: doc.response or ENVELOPE_SCHEMA}
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
