"""Every answer the suite's test clients receive from /api/ is checked against the OpenAPI
schema (API.md §5: "a schema that types everything"): its status is one the operation
declares, and its JSON body has the declared fields and types, no more and no fewer. A field
added, dropped or retyped in code without api/shapes.py saying so fails the test that met it.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from typing import Any

from django.test import client as django_client
from django.urls import Resolver404
from jsonschema import Draft7Validator


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema says it."""
    if isinstance(node, dict):
        out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable"):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node


@functools.cache
def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    raw = _json_schema(SchemaGenerator().get_schema(request=None, public=True))
    return json.loads(json.dumps(raw, default=str))


def _route_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def check_answer(method: str, response: Any) -> None:
    try:
        route = response.resolver_route  # resolved lazily
    except (Resolver404, AttributeError):
        return  # no such path: not an operation of the schema
    if not route.startswith("api/v1/") or route == "api/v1/schema":
        return
    raw = _schema()
    operation = raw["paths"].get(_route_path(route), {}).get(method.lower())
    if operation is None:
        return  # a method the path does not have: its 405 is declared on the others
    status = str(response.status_code)
    declared = operation["responses"]
    assert status in declared, (
        f"{method} {route} answered {status}, which the schema does not declare "
        f"({sorted(declared)}): {response.content[:300]!r}"
    )
    content_type = response.get("Content-Type", "").split(";")[0]
    if content_type != "application/json" or status == "304":
        return
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    schema = declared[status]["content"]["application/json"]["schema"]
    schema = {**schema, "components": raw["components"]}
    validator = Draft7Validator(schema)
    errors = sorted(validator.iter_errors(json.loads(body)), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path)
        raise AssertionError(
            f"{method} {route} {status}: the answer breaks its schema at `{where}`: "
            f"{first.message[:300]}"
        )


_request = django_client.Client.request


def _checked_request(self: Any, **request: Any) -> Any:
    response = _request(self, **request)
    check_answer(request.get("REQUEST_METHOD", "GET"), response)
    return response


def install() -> None:
    django_client.Client.request = _checked_request
